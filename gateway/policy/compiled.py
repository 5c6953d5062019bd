"""The compiled form of a policy: what :func:`gateway.policy.decide.decide` evaluates. Frozen, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from gateway.model import Effect, Level, Obligation

__all__ = ["CompiledPolicy", "HeldMechanism", "Recipient", "Rule", "When"]


@dataclass(frozen=True, slots=True)
class HeldMechanism:
    """A transfer mechanism a recipient holds: its id, reference number, validity and covered categories."""

    mechanism: str
    reference: str
    valid_from: date
    valid_until: date
    categories: frozenset[str]

    def covers(self, categories: frozenset[str], on: date) -> bool:
        """Whether this mechanism is in force ``on`` that day and covers every category in ``categories``."""
        return self.valid_from <= on <= self.valid_until and categories <= self.categories


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

    def mechanism_for(self, wanted: tuple[str, ...], categories: frozenset[str], on: date) -> HeldMechanism | None:
        """The first of ``wanted`` (in the rule's order) held, in force and covering ``categories``."""
        for mechanism_id in wanted:
            for held in self.mechanisms:
                if held.mechanism == mechanism_id and held.covers(categories, on):
                    return held
        return None


@dataclass(frozen=True, slots=True)
class When:
    """A rule's conditions; all that are set must hold. ``None`` means "not constrained"."""

    routes: frozenset[str] | None = None
    recipients: frozenset[str] | None = None
    jurisdictions: frozenset[str] | None = None
    purposes: frozenset[str] | None = None
    scenarios: frozenset[str] | None = None
    categories_any: frozenset[str] | None = None
    categories_none: frozenset[str] | None = None
    level_at_least: Level | None = None
    level_at_most: Level | None = None
    purpose_permitted: bool | None = None
    recipient_lacks_mechanism: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: conditions, an effect, and for ``allow`` the mechanisms it may rely on and its obligations."""

    id: str
    reason: str
    legal: str
    when: When
    effect: Effect
    mechanisms: tuple[str, ...] = ()
    obligations: tuple[Obligation, ...] = ()


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    """A validated policy, ready to evaluate. ``revision`` is the digest of its canonical source."""

    name: str
    revision: str
    levels: dict[str, Level]
    recipients: dict[str, Recipient]
    rules: tuple[Rule, ...]
    accept_content_types: frozenset[str]

    def level_of(self, categories: frozenset[str]) -> Level:
        """The highest level among ``categories``; general (L1) when there is no classified data."""
        return max((self.levels[c] for c in categories), default=Level.GENERAL)
