"""`gateway audit watch` against a real HTTP server that serves checkpoints and proofs of a tree it can rewrite."""

from __future__ import annotations

import argparse
import base64
import io
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from gateway.audit.checkpoint import Checkpoint, open_checkpoint
from gateway.audit.merkle import consistency_proof, leaf_hash, root
from gateway.audit.note import NoteSigner, sign_note
from gateway.audit.witness import decide
from gateway.web.witness_client import run_watch, watch

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]

ORIGIN = "gateway.sip.example/audit"
SIGNER = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
VERIFIER = SIGNER.verifier
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def _records(n: int, *, changed: int | None = None) -> list[bytes]:
    return [f'{{"i":{i}{",x" if i == changed else ""}}}'.encode() for i in range(n)]


def _problem(status: int, detail: str) -> web.Response:
    body = {"type": "about:blank", "title": "Bad proof request", "status": status, "detail": detail}
    return web.Response(status=status, text=json.dumps(body), content_type="application/problem+json")


@dataclass
class Log:
    """A gateway's audit endpoints over a list of records: the checkpoint, and proofs from ``replica`` (a node that
    may lag behind) or the same records. Tests rewrite its fields between checks."""

    records: list[bytes]
    signer: NoteSigner = SIGNER
    origin: str = ORIGIN
    served_note: str | None = None  # served instead of the checkpoint of ``records``
    replica: list[bytes] | None = None
    down_for: int = 0  # the next checkpoint requests answered 503
    proof_override: Callable[[int, int, list[str]], web.Response] | None = None
    between_checks: Callable[[Log, int], None] | None = None
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)

    def checkpoint(self) -> str:
        if self.served_note is not None:
            return self.served_note
        hashes = [leaf_hash(r) for r in self.records]
        return Checkpoint(self.origin, len(hashes), root(hashes)).sign([self.signer])

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/v1/audit/checkpoint", self._checkpoint)
        app.router.add_get("/v1/audit/proof/consistency", self._consistency)
        return app

    def _seen(self, request: web.Request) -> None:
        self.requests.append((request.path, dict(request.query)))
        self.authorizations.append(request.headers.get("Authorization"))

    async def _checkpoint(self, request: web.Request) -> web.Response:
        if self.between_checks is not None:
            self.between_checks(self, sum(path.endswith("/checkpoint") for path, _ in self.requests))
        self._seen(request)
        if self.down_for:
            self.down_for -= 1
            return web.Response(status=503, text="restarting")
        return web.Response(text=self.checkpoint(), content_type="text/plain")

    async def _consistency(self, request: web.Request) -> web.Response:
        self._seen(request)
        first, second = int(request.query["first"]), int(request.query["second"])
        hashes = [leaf_hash(r) for r in (self.records if self.replica is None else self.replica)]
        if first > second or second > len(hashes):
            return _problem(400, f"no consistency proof from {first} to {second} in a log of {len(hashes)}")
        proof = [
            base64.b64encode(h).decode() for h in consistency_proof(first, second, lambda lo, hi: root(hashes[lo:hi]))
        ]
        if self.proof_override is not None:
            return self.proof_override(first, second, proof)
        return web.json_response({"first": first, "second": second, "proof": proof})

    def proof_requests(self) -> list[dict[str, str]]:
        return [query for path, query in self.requests if path.endswith("/consistency")]


@dataclass
class Witness:
    """The command under test, pointed at ``url`` with its state in ``state``."""

    url: str
    state: Path
    session: aiohttp.ClientSession
    out: io.StringIO = field(default_factory=io.StringIO)
    err: io.StringIO = field(default_factory=io.StringIO)

    async def run(self, *, interval: float | None = None, once: bool = True, token: str | None = None) -> int:
        self.out, self.err = io.StringIO(), io.StringIO()
        return await watch(
            self.url,
            VERIFIER,
            self.state,
            token=token,
            interval=interval,
            once=once,
            out=self.out,
            err=self.err,
            session=self.session,
            now=lambda: NOW,
        )

    def saved(self) -> dict[str, object]:
        fields: dict[str, object] = json.loads(self.state.read_text(encoding="utf-8"))
        return fields


@pytest.fixture
def log() -> Log:
    return Log(_records(10))


@pytest.fixture
async def witness(aiohttp_server: ServerFactory, log: Log, tmp_path: Path) -> AsyncIterator[Witness]:
    server = await aiohttp_server(log.app())
    async with aiohttp.ClientSession() as session:
        yield Witness(str(server.make_url("/")), tmp_path / "witness.json", session)


async def _seen_at(witness: Witness, log: Log, records: list[bytes]) -> bytes:
    """Let the witness see ``records`` first; the state file's bytes."""
    log.records = records
    assert await witness.run() == 0
    log.requests.clear()
    return witness.state.read_bytes()


async def test_first_sight_records_the_signed_checkpoint(witness: Witness, log: Log) -> None:
    """Trust on first use: said so on stdout, and the full signed note is kept, with origin, size, root and time."""
    assert not witness.state.exists()
    assert await witness.run() == 0
    assert witness.out.getvalue().startswith(f"first sight of {ORIGIN} at size 10")
    assert "trusted on first use" in witness.out.getvalue()
    assert witness.err.getvalue() == ""
    saved = witness.saved()
    assert saved["note"] == log.checkpoint()
    assert (saved["origin"], saved["size"], saved["seen_at"]) == (ORIGIN, 10, "2025-03-04T05:06:07Z")
    checkpoint = open_checkpoint(str(saved["note"]), [VERIFIER], ORIGIN)
    assert saved["root"] == base64.b64encode(checkpoint.root).decode()
    assert log.proof_requests() == []
    assert [p.name for p in witness.state.parent.iterdir()] == ["witness.json"]  # no temporary file left behind


@pytest.mark.parametrize(("first", "second"), [(1, 2), (3, 7), (4, 8), (10, 12), (5, 13), (6, 17)])
async def test_growth_is_checked_with_the_proof_and_recorded(
    witness: Witness, log: Log, first: int, second: int
) -> None:
    records = _records(second)
    await _seen_at(witness, log, records[:first])
    log.records = records
    assert await witness.run() == 0
    assert log.proof_requests() == [{"first": str(first), "second": str(second)}]
    assert f"grew consistently from size {first} to {second}" in witness.out.getvalue()
    assert (witness.saved()["size"], witness.saved()["note"]) == (second, log.checkpoint())


async def test_growth_from_an_empty_log_needs_no_proof(witness: Witness, log: Log) -> None:
    await _seen_at(witness, log, [])
    log.records = _records(5)
    assert await witness.run() == 0
    assert log.proof_requests() == []
    assert witness.saved()["size"] == 5


async def test_an_unchanged_log_leaves_the_state_as_it_was(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    assert await witness.run() == 0
    assert witness.out.getvalue() == f"{ORIGIN} unchanged at size 10\n"
    assert witness.state.read_bytes() == before


async def _assert_alarm(witness: Witness, before: bytes, *words: str) -> None:
    """One check raises an alarm: exit 1, ALARM first on stderr, nothing on stdout, the state untouched."""
    assert await witness.run() == 1
    assert witness.err.getvalue().startswith("ALARM: ")
    for word in words:
        assert word in witness.err.getvalue()
    assert witness.out.getvalue() == ""
    assert witness.state.read_bytes() == before


async def test_a_rollback_raises_an_alarm(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    log.records = _records(8)
    await _assert_alarm(witness, before, "ALARM: rollback:", log.checkpoint())


async def test_another_root_at_the_same_size_raises_a_fork_alarm(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    log.records = _records(10, changed=9)
    await _assert_alarm(witness, before, "ALARM: fork:", "two different roots for size 10", log.checkpoint())


async def test_a_rewritten_history_is_caught_by_its_proof(witness: Witness, log: Log) -> None:
    """Tree A of 10 seen; the server switches to tree B of 12 with record 3 changed; B's proof fails A's root."""
    before = await _seen_at(witness, log, _records(10))
    log.records = _records(12, changed=3)
    await _assert_alarm(witness, before, "ALARM: fork:", "does not extend the tree of size 10")
    assert log.proof_requests() == [{"first": "10", "second": "12"}]


async def test_a_checkpoint_under_another_key_raises_an_alarm(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    log.signer = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    log.records = _records(11)
    await _assert_alarm(witness, before, "not signed by the key")


async def test_a_changed_origin_raises_an_alarm(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    log.origin = "other.example/log"
    log.signer = NoteSigner(log.origin, Ed25519PrivateKey.generate())
    await _assert_alarm(witness, before, "ALARM: origin changed", "'other.example/log'")


async def test_the_same_key_signing_another_origin_raises_an_alarm(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(10))
    log.origin = "other.example/log"
    await _assert_alarm(witness, before, "ALARM: origin changed", log.checkpoint())


@pytest.mark.parametrize(
    ("content", "want"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b'{"origin": "other.example/log", "size": 0, "root": "", "note": "", "seen_at": ""}', "other.example/log"),
    ],
    ids=["not json", "not text", "another log"],
)
async def test_an_unusable_state_file_is_an_error_not_a_reset(
    witness: Witness, log: Log, content: bytes, want: str
) -> None:
    witness.state.write_bytes(content)
    assert await witness.run() == 2
    assert witness.err.getvalue().startswith(f"error: the state file {witness.state} ")
    assert want in witness.err.getvalue()
    assert witness.err.getvalue().endswith("; it was left as it is\n")
    assert witness.state.read_bytes() == content
    assert log.requests == []


async def test_a_state_file_kept_under_another_key_is_an_error(witness: Witness, log: Log) -> None:
    """A state kept by a witness of another key with the same name: its note cannot be verified, so it is refused."""
    other = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    note = Checkpoint(ORIGIN, 0, root([])).sign([other])
    record = decide(None, note, other.verifier, None, seen_at="2025-01-01T00:00:00Z").record
    assert record is not None
    witness.state.write_text(record.to_json(), encoding="utf-8")
    before = witness.state.read_bytes()
    assert await witness.run() == 2
    assert "does not verify with the key" in witness.err.getvalue()
    assert witness.state.read_bytes() == before


async def test_an_unreachable_gateway_is_an_error(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    state = tmp_path / "witness.json"
    code = await watch(f"http://127.0.0.1:{_free_port()}", VERIFIER, state, out=out, err=err)
    assert code == 2
    assert err.getvalue().startswith("error: GET http://127.0.0.1:")
    assert "cannot be reached" in err.getvalue()
    assert not state.exists()


async def test_a_400_from_the_gateway_is_an_error_with_its_problem_detail(witness: Witness, log: Log) -> None:
    """A node behind the one that signed the checkpoint refuses the proof: reported, not taken for a fork."""
    before = await _seen_at(witness, log, _records(10))
    log.records = _records(12)
    log.replica = _records(11)
    assert await witness.run() == 2
    message = witness.err.getvalue()
    assert message.startswith("error: GET ")
    assert "/v1/audit/proof/consistency: HTTP 400 Bad Request: Bad proof request: no consistency proof" in message
    assert "ALARM" not in message
    assert witness.state.read_bytes() == before


async def test_a_missing_endpoint_is_an_http_error(witness: Witness) -> None:
    witness.url += "nothing-here"
    assert await witness.run() == 2
    assert "nothing-here/v1/audit/checkpoint: HTTP 404 Not Found" in witness.err.getvalue()
    assert not witness.state.exists()


def _json(body: object) -> web.Response:
    return web.json_response(body)


@pytest.mark.parametrize(
    ("override", "want"),
    [
        (lambda m, n, p: _json({"first": m, "second": n + 1, "proof": p}), "not for the sizes asked"),
        (lambda m, n, p: _json({"first": True, "second": n, "proof": p}), "not for the sizes asked"),
        (lambda m, n, p: _json({"first": m, "second": n, "proof": [*p[:-1], "AAAA"]}), "32 bytes"),
        (lambda m, n, p: _json({"first": m, "second": n, "proof": [*p[:-1], "*" * 44]}), "32 bytes"),
        (lambda m, n, p: _json({"first": m, "second": n, "proof": "x"}), "not a list"),
        (lambda m, n, p: _json([m, n, p]), "not a JSON object"),
        (lambda m, n, p: web.Response(text="{", content_type="application/json"), "not JSON"),
        (lambda m, n, p: web.Response(text=json.dumps(p), content_type="text/html"), "text/html, not application/json"),
    ],
    ids=["other sizes", "bool size", "short hash", "not base64", "not a list", "array", "not json", "html"],
)
async def test_a_malformed_proof_answer_is_an_error_not_an_alarm(
    witness: Witness, log: Log, override: Callable[[int, int, list[str]], web.Response], want: str
) -> None:
    before = await _seen_at(witness, log, _records(6))
    log.records = _records(9)
    log.proof_override = override
    assert await witness.run() == 2
    assert "malformed answer" in witness.err.getvalue()
    assert want in witness.err.getvalue()
    assert witness.state.read_bytes() == before


async def test_a_signed_note_that_is_not_a_checkpoint_is_an_error(witness: Witness, log: Log) -> None:
    before = await _seen_at(witness, log, _records(6))
    log.served_note = sign_note("hello\n", [SIGNER])
    assert await witness.run() == 2
    assert witness.err.getvalue().startswith("error: malformed answer: the log signed a note that is not a checkpoint")
    assert witness.state.read_bytes() == before


async def test_the_bearer_token_is_sent_and_a_trailing_slash_is_accepted(witness: Witness, log: Log) -> None:
    assert witness.url.endswith("/")
    await _seen_at(witness, log, _records(3))
    log.records = _records(5)
    assert await witness.run(token="t0ken") == 0
    assert log.authorizations[-2:] == ["Bearer t0ken", "Bearer t0ken"]
    assert [path for path, _ in log.requests] == ["/v1/audit/checkpoint", "/v1/audit/proof/consistency"]


async def test_watching_retries_network_errors_and_stops_at_the_first_alarm(witness: Witness, log: Log) -> None:
    """Every interval: a restart (503) is reported and retried; first sight, growth, then a rollback ends it."""

    def script(log: Log, checks: int) -> None:
        if checks == 2:
            log.records = _records(14)
        if checks == 3:
            log.records = _records(13)

    log.down_for = 1
    log.between_checks = script
    assert await witness.run(interval=0, once=False) == 1
    err = witness.err.getvalue().splitlines()
    assert err[0].endswith("/v1/audit/checkpoint: HTTP 503 Service Unavailable")
    assert err[1].startswith("ALARM: rollback:")
    assert witness.out.getvalue().splitlines()[0].startswith(f"first sight of {ORIGIN} at size 10")
    assert "grew consistently from size 10 to 14" in witness.out.getvalue()
    assert witness.saved()["size"] == 14


async def test_watching_stops_at_once_on_an_unusable_state_file(witness: Witness, log: Log) -> None:
    witness.state.write_text("{", encoding="utf-8")
    assert await witness.run(interval=0, once=False) == 2
    assert log.requests == []


async def test_once_checks_a_single_time_even_with_an_interval(witness: Witness, log: Log) -> None:
    assert await witness.run(interval=0, once=True) == 0
    assert len(log.requests) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _args(**changes: object) -> argparse.Namespace:
    fields: dict[str, object] = {
        "url": f"http://127.0.0.1:{_free_port()}",
        "key": VERIFIER.vkey,
        "state": "witness.json",
        "token": None,
        "interval": None,
        "once": False,
    }
    fields.update(changes)
    return argparse.Namespace(**fields)


@pytest.mark.parametrize(
    ("changes", "want"),
    [
        ({"key": "not-a-key"}, "error: --key is not a verifier key"),
        ({"interval": 0.0}, "error: --interval is a number of seconds above zero"),
        ({"url": "ftp://gateway.example"}, "error: the gateway URL must be http:// or https://"),
        ({}, "cannot be reached"),
    ],
    ids=["bad key", "zero interval", "not http", "nobody listening"],
)
def test_run_watch_reports_usage_and_network_errors_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, object], want: str
) -> None:
    args = _args(state=str(tmp_path / "witness.json"), **changes)
    assert run_watch(args) == 2
    assert want in capsys.readouterr().err
    assert not (tmp_path / "witness.json").exists()


async def test_a_state_that_cannot_be_written_is_an_error(witness: Witness) -> None:
    witness.state = witness.state.parent / "missing" / "witness.json"
    assert await witness.run() == 2
    assert witness.err.getvalue().startswith(f"error: cannot write the state file {witness.state}")
    assert witness.out.getvalue() == ""
