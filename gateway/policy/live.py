"""The running policy, and reloads that never leave the gateway without a valid one.

A reload loads the candidate (and the shadow policy, if configured) in a worker thread, so the event loop keeps
serving; checks it as start-up does (valid, fits the routes, signed if required); records the change in the audit
trail; and only then swaps it in by assigning ``Gateway.policy``. The data path reads that attribute once per
transfer, so each transfer is decided wholly by one revision. Reloads are serialized; a candidate with any problem
is refused whole and the running policy stays.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from gateway.audit.record import encode, policy_record
from gateway.errors import ConfigError
from gateway.model import Json
from gateway.pipeline import Gateway
from gateway.policy.bundle import verify_bundle
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from gateway.policy.shadow import ShadowStats

__all__ = [
    "Candidate",
    "LivePolicy",
    "Loaded",
    "PolicyLoader",
    "ReloadRefused",
    "Reloaded",
    "problem_entry",
    "problems_of",
]

_log = structlog.get_logger("gateway.policy")


def problems_of(error: ConfigError) -> tuple[ConfigError, ...]:
    """Each problem an error reports: its ``problems`` when the loader collected several, else the error itself."""
    found = getattr(error, "problems", None)
    if isinstance(found, Sequence):
        listed = tuple(p for p in found if isinstance(p, ConfigError))
        if listed:
            return listed
    return (error,)


def problem_entry(problem: ConfigError) -> dict[str, Json]:
    """One problem as the admin API lists it: file, line, column (when known) and message."""
    entry: dict[str, Json] = {"file": problem.file, "line": problem.line}
    column = getattr(problem, "column", None)
    if isinstance(column, int):
        entry["column"] = column
    entry["message"] = getattr(problem, "message", str(problem))
    return entry


class ReloadRefused(ConfigError):
    """A reload candidate has problems; the running policy is unchanged."""

    kind = "policy-invalid"

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"the policy candidate has {count} problem{'s' if count != 1 else ''}:\n{listed}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A policy that passed every check, and the id of the key that signed it (when signatures are required)."""

    policy: CompiledPolicy
    source: Path
    signed_by: str | None = None


@dataclass(frozen=True, slots=True)
class Loaded:
    """A policy in force (or in shadow): where it came from and when it was loaded (UTC)."""

    policy: CompiledPolicy
    source: Path
    loaded_at: datetime
    signed_by: str | None = None


@dataclass(frozen=True, slots=True)
class PolicyLoader:
    """Loads a policy directory and checks it as start-up does. Blocking: reloads run it in a worker thread.

    ``check`` raises :class:`ConfigError` when the policy does not fit the gateway (e.g. a route's recipient is
    missing); ``trusted_keys`` is None when no signature is required.
    """

    check: Callable[[CompiledPolicy], None]
    trusted_keys: tuple[Ed25519PublicKey, ...] | None = None

    def load(self, directory: Path) -> Candidate:
        """Load, check and (if required) verify the signature of one directory; the first problem is raised."""
        policy = load_policy(directory)
        self.check(policy)
        signed_by = None
        if self.trusted_keys is not None:
            signed_by = verify_bundle(directory, policy.revision, self.trusted_keys)
        return Candidate(policy, directory, signed_by)

    def load_all(self, live: Path, shadow: Path | None) -> tuple[Candidate, Candidate | None]:
        """Both policies, or :class:`ReloadRefused` listing the problems of either."""
        problems: list[ConfigError] = []
        candidates: list[Candidate | None] = []
        for directory in (live, shadow):
            try:
                candidates.append(self.load(directory) if directory is not None else None)
            except ConfigError as e:
                problems.extend(problems_of(e))
                candidates.append(None)
        first, second = candidates
        if problems or first is None:
            raise ReloadRefused(problems)
        return first, second


@dataclass(frozen=True, slots=True)
class Reloaded:
    """What a reload did."""

    changed: bool
    previous_revision: str
    revision: str
    loaded_at: datetime
    shadow_revision: str | None = None
    shadow_changed: bool = False


class LivePolicy:
    """The policy in force (``gw.policy``), the shadow policy, and :meth:`reload`."""

    def __init__(
        self,
        gw: Gateway,
        loader: PolicyLoader,
        live: Loaded,
        shadow: Loaded | None = None,
        *,
        shadow_dir: Path | None = None,
        stats: ShadowStats | None = None,
    ) -> None:
        self._gw = gw
        self._loader = loader
        self._live = live
        self._shadow = shadow
        self._shadow_dir = shadow_dir if shadow_dir is not None else (shadow.source if shadow else None)
        self.stats = stats or ShadowStats()
        self._lock = asyncio.Lock()
        gw.policy = live.policy
        self._publish_shadow()

    @property
    def live(self) -> Loaded:
        return self._live

    @property
    def shadow(self) -> Loaded | None:
        return self._shadow

    def _publish_shadow(self) -> None:
        self.stats.reset(self._live.policy.revision, self._shadow.policy.revision if self._shadow else None)
        self._gw.shadow = self._shadow.policy if self._shadow else None
        self._gw.shadow_stats = self.stats if self._shadow else None

    async def reload(self, *, requested_by: str, via: str) -> Reloaded:
        """Load the candidates and swap them in if every check passes.

        Raises :class:`ReloadRefused` (nothing changed), or :class:`gateway.errors.AuditUnavailable` when the
        change cannot be recorded (nothing changed either: a policy change the trail does not show never happens).
        """
        async with self._lock:
            previous = self._live
            try:
                live, shadow = await asyncio.to_thread(self._loader.load_all, previous.source, self._shadow_dir)
            except ConfigError:
                raise
            except Exception as e:  # a loader fault must refuse the reload, not stop the gateway
                _log.exception("policy_loader_fault", source=str(previous.source))
                raise ReloadRefused([ConfigError(f"the policy loader failed ({e.__class__.__name__})")]) from e
            now = self._gw.clock.now()
            changed = live.policy.revision != previous.policy.revision
            old_shadow = self._shadow.policy.revision if self._shadow else None
            shadow_changed = (shadow.policy.revision if shadow else None) != old_shadow
            if changed:
                record = policy_record(
                    time=now,
                    policy=live.policy.name,
                    previous_revision=previous.policy.revision,
                    revision=live.policy.revision,
                    requested_by=requested_by,
                    via=via,
                    source=str(live.source),
                    signed_by=live.signed_by,
                )
                await self._gw.audit.append(encode(record))  # durable before the new policy decides anything
                self._live = Loaded(live.policy, live.source, now, live.signed_by)
                self._gw.policy = live.policy  # the swap: transfers from now on read the new policy
            if shadow_changed and shadow is not None:
                self._shadow = Loaded(shadow.policy, shadow.source, now, shadow.signed_by)
            if changed or shadow_changed:
                self._publish_shadow()
            return Reloaded(
                changed=changed,
                previous_revision=previous.policy.revision,
                revision=self._live.policy.revision,
                loaded_at=self._live.loaded_at,
                shadow_revision=self._shadow.policy.revision if self._shadow else None,
                shadow_changed=shadow_changed,
            )
