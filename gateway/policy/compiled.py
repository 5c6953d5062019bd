"""The compiled form of a policy: what :func:`gateway.policy.decide.decide` evaluates. Frozen, no I/O.

Conditions are compiled to predicates over a :class:`Context` built once per decision, and rules are indexed by
the recipient and origin they name, so a decision evaluates only the rules that could apply to its transfer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from gateway.classify.scanner import Classifier
from gateway.model import Effect, Level, Obligation, RuleHit

if TYPE_CHECKING:
    from gateway.policy.context import Context

__all__ = [
    "CompiledPolicy",
    "ConsentRequirement",
    "EvidenceSeal",
    "Exporter",
    "HeldMechanism",
    "MechanismKind",
    "Predicate",
    "Recipient",
    "Rule",
    "expand_category",
]

Predicate = Callable[["Context"], bool]


def expand_category(pattern: str, known: Iterable[str]) -> frozenset[str]:
    """A category name, or ``PREFIX.*`` for a whole family, as the names of ``known`` it stands for (maybe none)."""
    if pattern.endswith(".*"):
        return frozenset(c for c in known if c.startswith(pattern[:-1]))
    return frozenset(c for c in known if c == pattern)


@dataclass(frozen=True, slots=True)
class MechanismKind:
    """A mechanism of the vocabulary: ``held`` by a recipient, or an ``exemption``/``consent`` a rule relies on."""

    id: str
    kind: str
    basis: str
    requires_countries: bool = False
    related_only: bool = False


@dataclass(frozen=True, slots=True)
class HeldMechanism:
    """A transfer mechanism a recipient holds: reference number, validity, covered categories and limits."""

    mechanism: str
    reference: str
    valid_from: date
    valid_until: date
    categories: frozenset[str]
    max_individuals: int | None = None
    countries: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Exporter:
    """An enterprise admitted to the sandbox: where it exports from, and whether it is a CIIO."""

    id: str
    name: str
    jurisdiction: str
    ciio: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient abroad as the individual must be told of it (PIPL Art 39), and what it may receive."""

    id: str
    name: str
    jurisdiction: str
    contact: str
    related: bool
    purposes: frozenset[str]
    mechanisms: tuple[HeldMechanism, ...]
    routes: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class ConsentRequirement:
    """Individuals holding any of ``categories`` need a consent record that covers this transfer."""

    rule_id: str
    categories: frozenset[str]
    separate: bool
    given_by: str | None  # None: anyone; "guardian" for children
    notice: frozenset[str]
    on_missing: str  # refuse | drop


@dataclass(frozen=True, slots=True)
class EvidenceSeal:
    """The body as received is sealed for the regulator key ``key`` (a ``seal_evidence`` obligation)."""

    rule_id: str
    key: str


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: a compiled condition, an effect, and what an ``allow``/``oblige`` brings with it."""

    id: str
    description: str
    legal: str
    effect: Effect
    when: Predicate
    mechanisms: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    consent: tuple[ConsentRequirement, ...] = ()
    seals: tuple[EvidenceSeal, ...] = ()
    recipients: frozenset[str] | None = None  # the index: None means any
    origins: frozenset[str] | None = None
    line: int | None = None
    hit: RuleHit = field(init=False, repr=False, compare=False)  # this rule as a decision names it, made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "hit", RuleHit(self.id, self.effect, self.description, self.legal))


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A validated policy, ready to evaluate. ``revision`` is the digest of its canonical source."""

    name: str
    revision: str
    levels: dict[str, Level]
    recipients: dict[str, Recipient]
    rules: tuple[Rule, ...]
    accept_content_types: frozenset[str]
    exporters: dict[str, Exporter] = field(default_factory=dict)
    mechanisms: dict[str, MechanismKind] = field(default_factory=dict)
    routes: dict[str, str] = field(default_factory=dict)  # route -> recipient id
    pseudonym_keys: frozenset[str] = frozenset()
    evidence_keys: frozenset[str] = frozenset()  # the regulator keys seal_evidence obligations name
    disabled: tuple[str, ...] = ()  # ids of rules switched off with ``enabled: false``
    classifier: Classifier = field(default_factory=Classifier, repr=False)  # the policy's classification section
    _index: dict[tuple[str | None, str | None], tuple[Rule, ...]] = field(default_factory=dict, repr=False)
    _level_memo: dict[frozenset[str], Level] = field(default_factory=dict, repr=False)

    def level_of(self, categories: frozenset[str]) -> Level:
        """The highest level among ``categories``; general (L1) when there is no classified data."""
        found = self._level_memo.get(categories)
        if found is None:
            found = max((self.levels.get(c, Level.PERSONAL) for c in categories), default=Level.GENERAL)
            if len(self._level_memo) < 4096:  # a few dozen category sets occur in practice; never grows unbounded
                self._level_memo[categories] = found
        return found

    def rules_for(self, recipient: str | None, origin: str | None) -> tuple[Rule, ...]:
        """The rules, in file order, that could match a transfer to ``recipient`` from ``origin``."""
        key = (recipient, origin)
        found = self._index.get(key)
        if found is None:
            found = tuple(
                r
                for r in self.rules
                if (r.recipients is None or recipient in r.recipients) and (r.origins is None or origin in r.origins)
            )
            self._index[key] = found  # a benign race: two threads compute the same tuple
        return found
