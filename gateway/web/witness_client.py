"""`gateway audit watch`: a regulator's witness of a gateway's audit log, over HTTP.

Each check reads the state the witness kept (:mod:`gateway.audit.witness`), fetches the gateway's signed checkpoint
and, when the log grew, the consistency proof between the two sizes, lets the pure witness decide, and records the
new checkpoint only when it was verified consistent (atomically: temporary file, fsync, rename). Exit codes::

    0  first sight, unchanged, or grown consistently
    1  ALARM: fork, rollback, bad signature, origin changed (the state is left as it was)
    2  usage, state file, network, HTTP or malformed-answer errors

With an interval the command checks again and again until an alarm or Ctrl-C; a network error is reported and
tried again at the next interval, as a gateway restarting is no evidence against it.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import json
import os
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

import aiohttp

from gateway.audit.merkle import HASH_SIZE
from gateway.audit.note import NoteInvalid, NoteVerifier
from gateway.audit.witness import Outcome, StateInvalid, Verdict, WitnessState, decide, proof_needed
from gateway.web.bounded import read_bounded

__all__ = [
    "WatchFailed",
    "check",
    "fetch_checkpoint",
    "fetch_consistency",
    "load_state",
    "run_watch",
    "save_state",
    "watch",
]

CHECKPOINT_PATH = "/v1/audit/checkpoint"
CONSISTENCY_PATH = "/v1/audit/proof/consistency"
MAX_ANSWER_BYTES = 64 * 1024  # a checkpoint is a few hundred bytes; a proof at most 2 * 64 hashes
MAX_PROOF_HASHES = 128
TIMEOUT_SECONDS = 30.0


class WatchFailed(Exception):
    """A check that could not conclude: ``retry`` when the next interval may do better (network, HTTP, answer),
    not when the witness itself is misconfigured (state file, URL)."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.message = message
        self.retry = retry


# --- the state file ------------------------------------------------------------------------------------------------


def load_state(path: Path, verifier: NoteVerifier) -> WitnessState | None:
    """The state kept at ``path``, verified again with ``verifier``; None if there is no file yet."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise WatchFailed(f"cannot read the state file {path}: {e.strerror}", retry=False) from e
    try:
        return WitnessState.from_json(data.decode("utf-8"), verifier)
    except UnicodeDecodeError as e:
        raise WatchFailed(
            f"the state file {path} cannot be used: it is not UTF-8; it was left as it is", retry=False
        ) from e
    except StateInvalid as e:
        raise WatchFailed(f"the state file {path} cannot be used: {e}; it was left as it is", retry=False) from e


def save_state(path: Path, state: WitnessState) -> None:
    """Replace the state at ``path`` atomically: a crash leaves the old file or the new one, never a mix."""
    folder = path.parent
    try:
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(state.to_json())
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_directory(folder)
    except OSError as e:
        raise WatchFailed(f"cannot write the state file {path}: {e.strerror or e}", retry=False) from e


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable (POSIX); platforms that cannot open a directory skip it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- HTTP ----------------------------------------------------------------------------------------------------------


def _base_url(url: str) -> str:
    base = url.rstrip("/")
    if not base.startswith(("http://", "https://")) or len(base.split("://", 1)[1]) == 0:
        raise WatchFailed(f"the gateway URL must be http:// or https:// and a host, not {url!r}", retry=False)
    return base


def _printable(text: str, limit: int = 200) -> str:
    """A server's words, safe to print: no control characters, bounded."""
    cleaned = "".join(c if c.isprintable() else " " for c in text)
    return cleaned if len(cleaned) <= limit else cleaned[:limit] + "..."


async def _get(
    session: aiohttp.ClientSession, url: str, params: dict[str, str], token: str | None, media_type: str
) -> bytes:
    """The body of a 200 answer of ``media_type``; :class:`WatchFailed` (retry) for anything else."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    too_large = WatchFailed(f"GET {url}: the answer exceeds {MAX_ANSWER_BYTES} bytes", retry=True)
    try:
        async with session.get(url, params=params, headers=headers, allow_redirects=False) as response:
            body = await read_bounded(response.content, response.content_length, MAX_ANSWER_BYTES, too_large)
            if response.status != 200:
                raise WatchFailed(_http_error(url, response, body), retry=True)
            if response.content_type != media_type:
                raise WatchFailed(
                    f"GET {url}: malformed answer: {_printable(response.content_type, 60)}, not {media_type}",
                    retry=True,
                )
            return body
    except (aiohttp.ClientError, TimeoutError) as e:
        reason = _printable(str(e)) or type(e).__name__
        raise WatchFailed(f"GET {url}: the gateway cannot be reached: {reason}", retry=True) from e


def _http_error(url: str, response: aiohttp.ClientResponse, body: bytes) -> str:
    """``GET url: HTTP 400 Bad Request``, with the problem document's title and detail (RFC 9457) if there is one."""
    message = f"GET {url}: HTTP {response.status} {_printable(response.reason or '', 60)}".rstrip()
    if response.content_type == "application/problem+json":
        try:
            problem = json.loads(body)
        except ValueError:
            return message
        if isinstance(problem, dict):
            words = [str(problem[k]) for k in ("title", "detail") if isinstance(problem.get(k), str)]
            if words:
                message += ": " + _printable(": ".join(words))
    return message


async def fetch_checkpoint(session: aiohttp.ClientSession, base: str, token: str | None) -> str:
    """The signed note the gateway serves as its checkpoint."""
    url = base + CHECKPOINT_PATH
    body = await _get(session, url, {}, token, "text/plain")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise WatchFailed(f"GET {url}: malformed answer: the checkpoint is not UTF-8", retry=True) from e


async def fetch_consistency(
    session: aiohttp.ClientSession, base: str, token: str | None, first: int, second: int
) -> list[bytes]:
    """The consistency proof from ``first`` to ``second``, each hash checked for its form (not yet verified)."""
    url = base + CONSISTENCY_PATH
    body = await _get(session, url, {"first": str(first), "second": str(second)}, token, "application/json")
    try:
        return _parse_proof(body, first, second)
    except ValueError as e:
        raise WatchFailed(f"GET {url}: malformed answer: {e}", retry=True) from e


def _parse_proof(body: bytes, first: int, second: int) -> list[bytes]:
    """``{"first": M, "second": N, "proof": [base64 hash, ...]}`` for the sizes asked; ValueError says what is not."""
    try:
        answer = json.loads(body)
    except ValueError as e:
        raise ValueError("the proof is not JSON") from e
    if not isinstance(answer, dict):
        raise ValueError("the proof is not a JSON object")
    sizes = (answer.get("first"), answer.get("second"))
    if any(type(size) is not int for size in sizes) or sizes != (first, second):
        raise ValueError(f"the proof is not for the sizes asked, {first} and {second}")
    hashes = answer.get("proof")
    if not isinstance(hashes, list) or len(hashes) > MAX_PROOF_HASHES:
        raise ValueError(f"'proof' is not a list of at most {MAX_PROOF_HASHES} hashes")
    proof = []
    for item in hashes:
        try:
            value = base64.b64decode(item, validate=True) if isinstance(item, str) else b""
        except (ValueError, binascii.Error):
            value = b""
        if len(value) != HASH_SIZE:
            raise ValueError(f"a proof hash is not the standard base64 of {HASH_SIZE} bytes")
        proof.append(value)
    return proof


# --- the command ---------------------------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def check(
    session: aiohttp.ClientSession,
    base: str,
    verifier: NoteVerifier,
    state_path: Path,
    *,
    token: str | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> Outcome:
    """One check: read the state, fetch, decide, and record the new checkpoint if (and only if) it is trusted."""
    previous = load_state(state_path, verifier)
    note = await fetch_checkpoint(session, base, token)
    sizes = proof_needed(previous, note, verifier)
    proof = None if sizes is None else await fetch_consistency(session, base, token, *sizes)
    seen_at = now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    outcome = decide(previous, note, verifier, proof, seen_at=seen_at)
    if outcome.record is not None:
        save_state(state_path, outcome.record)
    return outcome


def _report(outcome: Outcome, state_path: Path, out: TextIO, err: TextIO) -> int:
    """Print the outcome where it belongs and give its exit code."""
    if outcome.verdict.alarm:
        print(outcome.text, file=err)
        if outcome.evidence is not None:
            print(
                f"The checkpoint the log serves now (keep it as evidence; {state_path} keeps the one before):", file=err
            )
            print(outcome.evidence, end="", file=err)
        return 1
    if outcome.verdict is Verdict.MALFORMED:
        print(f"error: malformed answer: {outcome.message}", file=err)
        return 2
    recorded = f" (recorded in {state_path})" if outcome.record is not None else ""
    print(outcome.text + recorded, file=out)
    return 0


async def watch(
    url: str,
    verifier: NoteVerifier,
    state_path: Path,
    *,
    token: str | None = None,
    interval: float | None = None,
    once: bool = True,
    out: TextIO | None = None,
    err: TextIO | None = None,
    session: aiohttp.ClientSession | None = None,
    now: Callable[[], datetime] = _utc_now,
) -> int:
    """Check the gateway at ``url`` once, or every ``interval`` seconds (``once`` False) until an alarm; the exit
    code as in the module's docstring. ``session`` is used if given, otherwise one is opened and closed here."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    own = session is None
    client = session or aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS), cookie_jar=aiohttp.DummyCookieJar()
    )
    try:
        base = _base_url(url)
        while True:
            code, retry = await _one(client, base, verifier, state_path, token, now, out, err)
            if once or interval is None or code == 1 or not retry:
                return code
            await asyncio.sleep(interval)
    except WatchFailed as e:
        print(f"error: {e.message}", file=err)
        return 2
    finally:
        if own:
            await client.close()


async def _one(
    session: aiohttp.ClientSession,
    base: str,
    verifier: NoteVerifier,
    state_path: Path,
    token: str | None,
    now: Callable[[], datetime],
    out: TextIO,
    err: TextIO,
) -> tuple[int, bool]:
    """One check reported: its exit code, and whether a failure may be retried."""
    try:
        outcome = await check(session, base, verifier, state_path, token=token, now=now)
    except WatchFailed as e:
        print(f"error: {e.message}", file=err)
        return 2, e.retry
    code = _report(outcome, state_path, out, err)
    return code, code != 1


def run_watch(args: argparse.Namespace) -> int:
    """The synchronous entry point for ``gateway audit watch`` (args: url, key, state, token, interval, once)."""
    try:
        verifier = NoteVerifier.parse(args.key)
    except NoteInvalid as e:
        print(f"error: --key is not a verifier key (name+hex id+base64 key): {e}", file=sys.stderr)
        return 2
    interval: float | None = args.interval
    if interval is not None and interval <= 0:
        print("error: --interval is a number of seconds above zero", file=sys.stderr)
        return 2
    once = bool(args.once) or interval is None
    try:
        return asyncio.run(watch(args.url, verifier, Path(args.state), token=args.token, interval=interval, once=once))
    except KeyboardInterrupt:
        print("stopped; no alarm was raised", file=sys.stderr)
        return 0
