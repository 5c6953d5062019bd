"""Compile a rule's ``when`` into one predicate over a decision :class:`~gateway.policy.context.Context`.

Each condition becomes a small closure and a mapping of conditions becomes their conjunction, so a decision pays
only for the conditions a rule states. The recipients and origins a rule names at its top level are returned too:
the policy indexes rules by them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.errors import ConfigError
from gateway.model import Level
from gateway.policy.compiled import Predicate
from gateway.policy.source import Located, Reader, child

if TYPE_CHECKING:
    from gateway.policy.context import Context

__all__ = ["CONDITIONS", "CompiledWhen", "compile_when"]

Expand = Callable[[tuple[str, ...], Located, str], frozenset[str]]

# condition -> a test of membership of one attribute of the context, written out so each costs one closure call
_NAME_SETS: dict[str, Callable[[frozenset[str]], Predicate]] = {
    "exporters": lambda s: lambda c: c.exporter_id in s,
    "origin": lambda s: lambda c: c.origin in s,
    "recipients": lambda s: lambda c: c.recipient_id in s,
    "jurisdictions": lambda s: lambda c: c.jurisdiction in s,
    "routes": lambda s: lambda c: c.route in s,
    "purposes": lambda s: lambda c: c.purpose in s,
    "scenarios": lambda s: lambda c: c.scenario in s,
}
_FLAGS: dict[str, Callable[[Context], bool]] = {
    "exporter_listed": lambda c: c.exporter is not None,
    "exporter_ciio": lambda c: c.exporter is not None and c.exporter.ciio,
    "recipient_related": lambda c: c.recipient is not None and c.recipient.related,
    "purpose_permitted": lambda c: c.purpose_permitted,
}
_COUNTS: dict[str, Callable[[Context], int]] = {
    "individuals": lambda c: c.individuals,
    "sensitive_individuals": lambda c: c.sensitive_individuals,
    "ytd_personal": lambda c: c.facts.ytd_personal,
    "ytd_sensitive": lambda c: c.facts.ytd_sensitive,
}
CONDITIONS = frozenset(
    {*_NAME_SETS, *_FLAGS, *_COUNTS}
    | {"categories_any", "categories_none", "detectors_any", "level_at_least", "level_at_most"}
    | {"has_mechanism", "lacks_mechanism", "all", "any", "not"}
)


@dataclass(frozen=True, slots=True)
class CompiledWhen:
    predicate: Predicate
    recipients: frozenset[str] | None
    origins: frozenset[str] | None


def _conjunction(preds: list[Predicate]) -> Predicate:
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda c: a(c) and b(c)
    frozen = tuple(preds)

    def every(c: Context) -> bool:
        for p in frozen:  # noqa: SIM110 - a plain loop: all() over a generator costs twice as much per decision
            if not p(c):
                return False
        return True

    return every


def _disjunction(preds: list[Predicate]) -> Predicate:
    frozen = tuple(preds)

    def some(c: Context) -> bool:
        for p in frozen:  # noqa: SIM110 - as in _conjunction
            if p(c):
                return True
        return False

    return some


class _WhenCompiler:
    def __init__(
        self, doc: Located, names: Mapping[str, frozenset[str]], expand: Expand, levels: Mapping[str, Level]
    ) -> None:
        self.doc = doc
        self.r = Reader(doc)
        self.names = names
        self.expand = expand
        self.levels = levels

    def names_of(self, key: str, pointer: str) -> frozenset[str]:
        known = self.names.get(key)

        def check(value: str, at: str) -> None:
            if known is not None and value not in known:
                what = key.removesuffix("s").removesuffix("_any").replace("_", " ")
                raise self.doc.error(at, f"unknown {what} {value!r}")

        return frozenset(self.r.strings(pointer, check))

    def flag(self, pointer: str) -> bool:
        value = self.r.at(pointer)
        if not isinstance(value, bool):
            raise self.doc.error(pointer, "must be true or false")
        return value

    def count_range(self, pointer: str) -> tuple[int, int | None]:
        fields = self.r.mapping(pointer, allowed={"at_least", "below"})
        if not fields:
            raise self.doc.error(pointer, "give at_least, below or both")
        low = self.r.integer(child(pointer, "at_least"), default=0)
        high = self.r.integer(child(pointer, "below"), default=0) if "below" in fields else None
        if high is not None and high <= low:
            raise self.doc.error(child(pointer, "below"), "must be greater than at_least: nothing would match")
        return low, high

    def level(self, pointer: str) -> Level:
        name = self.r.string(pointer)
        if name not in self.levels:
            raise self.doc.error(pointer, f"unknown level {name!r}; expected one of {', '.join(self.levels)}")
        return self.levels[name]

    def mapping(self, pointer: str) -> CompiledWhen:
        fields = self.r.mapping(pointer, allowed=set(CONDITIONS))
        if not fields:
            raise self.doc.error(pointer, "an empty condition would match every transfer; state the conditions")
        preds: list[Predicate] = []
        recipients = origins = None
        for key in fields:
            at = child(pointer, key)
            preds.append(self.condition(key, at))
            if key == "recipients":
                recipients = self.names_of(key, at)
            elif key == "origin":
                origins = self.names_of(key, at)
        return CompiledWhen(_conjunction(preds), recipients, origins)

    def condition(self, key: str, at: str) -> Predicate:
        """One condition: a test of a name, a flag or a count, or one on the data, mechanisms or other conditions."""
        if key in _NAME_SETS:
            return _NAME_SETS[key](self.names_of(key, at))
        if key in _FLAGS:
            wanted, test = self.flag(at), _FLAGS[key]
            return lambda c: test(c) == wanted
        if key in _COUNTS:
            (low, high), count = self.count_range(at), _COUNTS[key]
            if high is None:
                return lambda c: count(c) >= low
            return lambda c: low <= count(c) < high
        return self.special(key, at)

    def special(self, key: str, at: str) -> Predicate:  # noqa: PLR0911 - one return per kind of condition
        if key in {"categories_any", "categories_none"}:
            cats = self.expand(self.r.strings(at), self.doc, at)
            if key == "categories_any":
                return lambda c: not cats.isdisjoint(c.categories)
            return lambda c: cats.isdisjoint(c.categories)
        if key == "detectors_any":
            detectors = self.names_of(key, at)
            return lambda c: not detectors.isdisjoint(c.detectors)
        if key == "level_at_least":
            floor = self.level(at)
            return lambda c: c.level >= floor
        if key == "level_at_most":
            ceiling = self.level(at)
            return lambda c: c.level <= ceiling
        if key in {"has_mechanism", "lacks_mechanism"}:
            wanted_ids = tuple(self.r.strings(at, self._check(key)))
            if key == "has_mechanism":
                return lambda c: c.first_available(wanted_ids) is not None
            return lambda c: c.first_available(wanted_ids) is None
        if key == "not":
            inner = self.mapping(at).predicate
            return lambda c: not inner(c)
        items = self.r.at(at)
        if not isinstance(items, list) or not items:
            raise self.doc.error(at, f"'{key}' needs a non-empty list of conditions")
        preds = [self.mapping(child(at, i)).predicate for i in range(len(items))]
        return _conjunction(preds) if key == "all" else _disjunction(preds)

    def _check(self, key: str) -> Callable[[str, str], None]:
        held = self.names.get(key, frozenset())
        every = self.names.get("mechanisms", held)

        def check(value: str, at: str) -> None:
            if value not in every:
                raise self.doc.error(at, f"unknown mechanism {value!r}")
            if value not in held:
                raise self.doc.error(
                    at,
                    f"{value!r} is relied on by a rule, never held by a recipient: it is always "
                    "available, so this condition could never change",
                )

        return check


def compile_when(
    doc: Located,
    pointer: str,
    names: Mapping[str, frozenset[str]],
    expand: Expand,
    levels: Mapping[str, Level],
) -> CompiledWhen:
    """Compile the conditions at ``pointer``; names are checked against ``names`` (by condition)."""
    if Reader(doc).at(pointer) is None:
        raise ConfigError(
            "a rule needs 'when': the conditions under which it applies", file=doc.file, line=doc.line(pointer)
        )
    return _WhenCompiler(doc, names, expand, levels).mapping(pointer)
