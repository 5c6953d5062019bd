"""Values that travel along the data path. All immutable; none holds I/O.

Most are frozen dataclasses. :class:`Finding` and :class:`Subject` are named tuples: a body can hold hundreds of
them, and a named tuple costs a third of a frozen dataclass to build.

Raw identifier values exist only in :class:`Subject.key_value` and in the body itself, and are excluded from
``repr`` so that a stray log call cannot print them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import NamedTuple

__all__ = [
    "Classification",
    "Decision",
    "Effect",
    "Finding",
    "Json",
    "Level",
    "MechanismRef",
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

    def __repr__(self) -> str:
        return (
            f"Subject(pointer={self.pointer!r}, key_detector={self.key_detector!r}, finding_count={self.finding_count})"
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
    """Something the body must undergo before it leaves: ``mask`` or ``redact`` the given categories."""

    action: str
    categories: tuple[str, ...]
    rule_id: str
    keep_first: int = 0
    keep_last: int = 0


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
class Decision:
    """The policy's answer for one transfer. A denial is a value, not an exception."""

    effect: Effect
    deciding: RuleHit | None
    hits: tuple[RuleHit, ...]
    policy_revision: str
    mechanism: MechanismRef | None = None
    obligations: tuple[Obligation, ...] = ()

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
