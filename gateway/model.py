"""Values that travel along the data path. All immutable; none holds I/O.

Most are frozen dataclasses. :class:`Finding` and :class:`Subject` are named tuples: a body can hold hundreds of
them, and a named tuple costs a third of a frozen dataclass to build.

Raw identifier values exist only in :class:`Subject.key_value` and in the body itself, and are excluded from
``repr`` so that a stray log call cannot print them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import NamedTuple

__all__ = [
    "Classification",
    "Consent",
    "Decision",
    "Effect",
    "Explanation",
    "Facts",
    "Finding",
    "Json",
    "Level",
    "MechanismRef",
    "MechanismTried",
    "Obligation",
    "Principal",
    "RuleHit",
    "Subject",
    "Transfer",
]


Json = None | bool | int | float | str | list["Json"] | dict[str, "Json"]
"""A parsed JSON document."""


class Level(IntEnum):
    """Data levels of the policy vocabulary (reference/regulatory.md s.5.1)."""

    PUBLIC = 0
    GENERAL = 1
    PERSONAL = 2
    SENSITIVE = 3
    IMPORTANT = 4
    CORE = 5


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    OBLIGE = "oblige"  # a rule that only adds obligations to an allowed transfer; never a decision's effect


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller: an organisation, a subject within it, and roles."""

    organisation: str
    subject: str
    roles: frozenset[str]


class Finding(NamedTuple):
    """One piece of classified data: where it is (JSON pointer, and a span for text inside a string)."""

    pointer: str
    detector: str
    category: str
    confidence: float
    start: int = 0
    end: int | None = None  # None: the whole value


class Subject(NamedTuple):
    """An individual in the payload: the object that holds their data and their strongest identifier."""

    pointer: str
    key_detector: str
    key_value: str
    finding_count: int
    categories: frozenset[str] = frozenset()

    def __repr__(self) -> str:
        return (
            f"Subject(pointer={self.pointer!r}, key_detector={self.key_detector!r}, "
            f"finding_count={self.finding_count}, categories={sorted(self.categories)!r})"
        )


@dataclass(frozen=True, slots=True)
class Classification:
    """What the classifier found in a body."""

    findings: tuple[Finding, ...]
    subjects: tuple[Subject, ...]
    opaque: bool = False

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(f.category for f in self.findings)

    def category_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.category for f in self.findings).items()))

    def detector_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(f.detector for f in self.findings).items()))


@dataclass(frozen=True, slots=True)
class Transfer:
    """A resolved transfer: who sends what, to whom, for what purpose (step 1)."""

    decision_id: str
    received_at: datetime
    principal: Principal
    route: str
    recipient: str
    jurisdiction: str
    purpose: str
    scenario: str
    method: str
    path: str
    content_type: str


@dataclass(frozen=True, slots=True)
class Obligation:
    """An edit the body must undergo before it leaves: ``redact``, ``mask``, ``pseudonymise`` or ``generalise``.

    The values it applies to are those of ``categories`` or ``detectors`` (as classified) and those at ``paths``
    (JSON pointers in which ``*`` is any one key or index). ``key`` names the pseudonymisation key, ``to`` the
    precision a date is generalised to (``year`` or ``month``).
    """

    action: str
    categories: tuple[str, ...]
    rule_id: str
    keep_first: int = 0
    keep_last: int = 0
    detectors: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    key: str | None = None
    to: str | None = None


@dataclass(frozen=True, slots=True)
class Consent:
    """A consent record as a fact of the decision: what one individual agreed to, and whether it still stands."""

    id: str
    recipients: frozenset[str]
    purposes: frozenset[str]
    categories: frozenset[str]
    separate: bool
    given_by: str  # individual | guardian
    notice: frozenset[str]  # the notice fields shown before consent was given
    given_at: datetime
    expires_at: datetime | None = None
    withdrawn: bool = False

    def stands(self, now: datetime) -> bool:
        """Given, not withdrawn, not expired at ``now``."""
        return not self.withdrawn and self.given_at <= now and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True, slots=True)
class Facts:
    """What the decision knows besides the request: year-to-date counts and the individuals' consents.

    The counts are of individuals sent abroad by this exporter since 1 January, this transfer included;
    ``consents`` are keyed by the JSON pointer of the individual in this body.
    """

    ytd_personal: int
    ytd_sensitive: int
    consents: Mapping[str, tuple[Consent, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RuleHit:
    """A rule that matched, with its reason and legal reference."""

    rule_id: str
    effect: Effect
    reason: str
    legal: str


@dataclass(frozen=True, slots=True)
class MechanismRef:
    """The transfer mechanism relied on (reference/regulatory.md s.5.2) and its reference number."""

    mechanism: str
    reference: str


@dataclass(frozen=True, slots=True)
class MechanismTried:
    """One mechanism an ``allow`` rule could rely on, and why it was or was not chosen."""

    rule_id: str
    mechanism: str
    reference: str | None
    chosen: bool
    why: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a decision came out as it did, in words an enterprise engineer understands."""

    level: str
    individuals: int
    sensitive_individuals: int
    ytd_personal: int
    ytd_sensitive: int
    mechanisms: tuple[MechanismTried, ...] = ()
    consent: tuple[str, ...] = ()  # what the consent requirements found

    def lines(self) -> list[str]:
        """The explanation as sentences, in the order a reader needs them."""
        out = [
            f"Highest data level found: {self.level}; {self.individuals} individual(s) in this transfer, "
            f"{self.sensitive_individuals} with sensitive personal information.",
            f"Exporter's individuals since 1 January, this transfer included: {self.ytd_personal} "
            f"({self.ytd_sensitive} with sensitive personal information).",
        ]
        for m in self.mechanisms:
            ref = f" {m.reference}" if m.reference else ""
            out.append(f"{'Chosen' if m.chosen else 'Not chosen'}: {m.mechanism}{ref} (rule {m.rule_id}): {m.why}")
        out.extend(self.consent)
        return out


@dataclass(frozen=True, slots=True)
class Decision:
    """The policy's answer for one transfer. A denial is a value, not an exception.

    ``dropped`` names the individuals (JSON pointers) removed for want of consent; ``consents`` the consent
    records relied on; ``seal_for`` the regulator keys (by name, sorted) the body as received must be sealed for
    (``seal_evidence`` obligations; only an allowed transfer has any).
    """

    effect: Effect
    deciding: RuleHit | None
    hits: tuple[RuleHit, ...]
    policy_revision: str
    mechanism: MechanismRef | None = None
    obligations: tuple[Obligation, ...] = ()
    dropped: tuple[str, ...] = ()
    consents: tuple[str, ...] = ()
    explanation: Explanation | None = None
    seal_for: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.effect is Effect.ALLOW

    @property
    def rule_id(self) -> str:
        return self.deciding.rule_id if self.deciding else "no-rule-matched"

    @property
    def reason(self) -> str:
        if self.deciding:
            return self.deciding.reason
        return "No policy rule allows this transfer; anything not allowed is refused."
