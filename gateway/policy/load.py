"""Load, validate and compile a policy directory (compile once, evaluate many).

A policy directory holds ``policy.yaml``, which names its vocabulary file. Validation reports every problem it
finds in one pass, each with file, line and column, as :class:`PolicyInvalid`. The revision is the SHA-256 of the
canonical JSON (RFC 8785) of the policy and vocabulary documents, so a comment or whitespace change keeps the
revision and any change of meaning gives a new one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import rfc8785

from gateway.classify import DETECTOR_CATEGORIES
from gateway.classify.age import AGE_DETECTOR
from gateway.classify.declared import DECLARED_DETECTOR
from gateway.classify.scanner import Classifier
from gateway.errors import ConfigError
from gateway.model import Effect, Json, Level, Obligation
from gateway.policy.classification import compile_classification
from gateway.policy.compiled import (
    CompiledPolicy,
    ConsentRequirement,
    EvidenceSeal,
    Exporter,
    HeldMechanism,
    MechanismKind,
    Recipient,
    Rule,
    expand_category,
)
from gateway.policy.conditions import compile_when
from gateway.policy.schema import build_policy_schema, schema_problems
from gateway.policy.source import Located, Reader, child, load_yaml

__all__ = ["LEVEL_NAMES", "NOTICE_FIELDS", "PolicyInvalid", "load_policy", "load_vocabulary"]

LEVEL_NAMES: dict[str, Level] = {level.name.lower(): level for level in Level}
NOTICE_FIELDS = frozenset(
    # PIPL Art 39 lists what the individual must be told; PDPR reg 10(3) adds the written transfer summary.
    {"recipient_name", "recipient_contact", "purpose", "method", "categories", "rights_procedure"}
    | {"sg_transfer_summary"}
)
KNOWN_DETECTORS = frozenset(DETECTOR_CATEGORIES) | {AGE_DETECTOR, DECLARED_DETECTOR, Classifier.PATH_DETECTOR}
"""Detector ids every policy may name; a policy adds its own (``classification.detectors``)."""
_PARAMETER = re.compile(r"\$([a-z][a-z0-9_]*)")
_OBLIGATIONS = ("redact", "mask", "pseudonymise", "generalise_dates", "require_consent", "seal_evidence")
_KEY_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_KEY_NAME_WORDS = "a key name is lower-case letters, digits, '-' and '_'; never the key itself"
_SELECTORS = {"categories", "detectors", "paths"}
_TOP_LEVEL = {
    *("policy", "description", "vocabulary", "accept_content_types"),
    *("parameters", "classification", "exporters", "recipients", "rules"),
}
_KIND_WORDS = {"exemption": "an exemption", "consent": "a consent-based ground", "held": "a held mechanism"}
T = TypeVar("T")


class PolicyInvalid(ConfigError):
    """A policy that failed validation; ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: Iterable[ConfigError]) -> None:
        # One problem per place: a value that is wrong in one way is often wrong for a later check too.
        by_place: dict[tuple[str, int, int], ConfigError] = {}
        for p in problems:
            by_place.setdefault((p.file or "", p.line or 0, getattr(p, "column", 0) or 0), p)
        self.problems = tuple(by_place[place] for place in sorted(by_place))
        first = self.problems[0] if self.problems else ConfigError("invalid policy")
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(first.message + more, file=first.file, line=first.line, column=first.column)


class Vocabulary:
    """The names a policy may use: categories with levels, mechanisms, purposes, jurisdictions, scenarios."""

    def __init__(self, doc: Located) -> None:
        r = Reader(doc)
        r.mapping("", allowed={"categories", "mechanisms", "purposes", "jurisdictions", "scenarios"})
        self.doc = doc
        self.levels: dict[str, Level] = {}
        for name in r.mapping("/categories"):
            p = child("/categories", name)
            r.mapping(p, allowed={"level", "en", "zh", "note"})
            level = r.string(child(p, "level"))
            if level not in LEVEL_NAMES:
                raise doc.error(child(p, "level"), f"unknown level {level!r}; expected one of {', '.join(LEVEL_NAMES)}")
            self.levels[name] = LEVEL_NAMES[level]
        self.mechanisms: dict[str, MechanismKind] = {}
        for name in r.mapping("/mechanisms"):
            p = child("/mechanisms", name)
            r.mapping(p, allowed={"en", "zh", "basis", "kind", "requires_countries", "related_only", "note"})
            kind = r.string(child(p, "kind"), default="held")
            if kind not in {"held", "exemption", "consent"}:
                raise doc.error(child(p, "kind"), "must be held, exemption or consent")
            self.mechanisms[name] = MechanismKind(
                name,
                kind,
                r.string(child(p, "basis"), default=name),
                requires_countries=r.boolean(child(p, "requires_countries"), default=False),
                related_only=r.boolean(child(p, "related_only"), default=False),
            )
        self.purposes = frozenset(r.mapping("/purposes"))
        self.jurisdictions = frozenset(r.mapping("/jurisdictions"))
        self.scenarios = frozenset(r.mapping("/scenarios"))

    def expand(self, patterns: tuple[str, ...], doc: Located, pointer: str) -> frozenset[str]:
        """Category names and ``PREFIX.*`` patterns, expanded against the vocabulary."""
        out: set[str] = set()
        for i, pattern in enumerate(patterns):
            matched = expand_category(pattern, self.levels)
            if not matched:
                raise doc.error(child(pointer, i), f"unknown category {pattern!r}")
            out |= matched
        return frozenset(out)


def load_vocabulary(path: Path) -> Vocabulary:
    """Read a vocabulary file."""
    return Vocabulary(load_yaml(path))


def _substitute(doc: Located, problems: list[ConfigError]) -> Located:
    """``doc`` with each ``$name`` replaced by the value of parameter ``name``."""
    raw = doc.data.get("parameters") if isinstance(doc.data, dict) else None
    params: dict[str, Json] = raw if isinstance(raw, dict) else {}
    for name, value in params.items():
        if not _PARAMETER.fullmatch("$" + name) or isinstance(value, (dict, list)) or value is None:
            problems.append(
                doc.error(
                    child("/parameters", name),
                    "a parameter is a lower_case name with a number, true/false or text value",
                )
            )

    def walk(value: Json, pointer: str) -> Json:
        if isinstance(value, dict):
            return {k: walk(v, child(pointer, k)) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, child(pointer, i)) for i, v in enumerate(value)]
        if isinstance(value, str) and (m := _PARAMETER.fullmatch(value)):
            if m.group(1) not in params:
                problems.append(doc.error(pointer, f"unknown parameter {value!r}; declare it under 'parameters'"))
                return value
            return params[m.group(1)]
        return value

    data = doc.data
    if isinstance(data, dict):
        data = {k: (v if k == "parameters" else walk(v, child("", k))) for k, v in data.items()}
    return replace(doc, data=data)


class _Compiler:
    def __init__(self, doc: Located, vocab: Vocabulary, problems: list[ConfigError]) -> None:
        self.doc = doc
        self.r = Reader(doc)
        self.vocab = vocab
        self.problems = problems
        self.held_mechanisms = frozenset(m for m, kind in vocab.mechanisms.items() if kind.kind == "held")
        self.detectors = KNOWN_DETECTORS  # and the policy's own, once its classification section is compiled

    def member(self, known: Iterable[str], what: str) -> Callable[[str, str], None]:
        names = frozenset(known)

        def check(value: str, pointer: str) -> None:
            if value not in names:
                raise self.doc.error(pointer, f"unknown {what} {value!r}")

        return check

    def categories(self, pointer: str) -> frozenset[str]:
        return self.vocab.expand(self.r.strings(pointer), self.doc, pointer)

    def exporter(self, eid: str) -> Exporter:
        p = child("/exporters", eid)
        r = self.r
        r.mapping(p, allowed={"name", "jurisdiction", "ciio"})
        jurisdiction = r.string(child(p, "jurisdiction"))
        self.member(self.vocab.jurisdictions, "jurisdiction")(jurisdiction, child(p, "jurisdiction"))
        return Exporter(eid, r.string(child(p, "name")), jurisdiction, r.boolean(child(p, "ciio"), default=False))

    def held(self, m: str) -> HeldMechanism:
        r = self.r
        r.mapping(
            m, allowed={"id", "reference", "valid_from", "valid_until", "categories", "max_individuals", "countries"}
        )
        mechanism = r.string(child(m, "id"))
        kind = self.vocab.mechanisms.get(mechanism)
        if kind is None:
            raise self.doc.error(child(m, "id"), f"unknown mechanism {mechanism!r}")
        if kind.kind != "held":
            raise self.doc.error(
                child(m, "id"), f"{mechanism} is {_KIND_WORDS[kind.kind]} a rule relies on, not held by a recipient"
            )
        valid_from, valid_until = r.day(child(m, "valid_from")), r.day(child(m, "valid_until"))
        if valid_until < valid_from:
            raise self.doc.error(child(m, "valid_until"), "ends before valid_from")
        countries = None
        if r.at(child(m, "countries")) is not None:
            countries = frozenset(
                r.strings(child(m, "countries"), self.member(self.vocab.jurisdictions, "jurisdiction"))
            )
        elif kind.requires_countries:
            raise self.doc.error(m, f"{mechanism} must name the countries it covers ('countries', PDPR reg 11(2))")
        limit = r.at(child(m, "max_individuals"))
        return HeldMechanism(
            mechanism,
            r.string(child(m, "reference")),
            valid_from,
            valid_until,
            self.categories(child(m, "categories")),
            max_individuals=None if limit is None else r.integer(child(m, "max_individuals"), default=0),
            countries=countries,
        )

    def recipient(self, rid: str) -> Recipient:
        p = child("/recipients", rid)
        r = self.r
        r.mapping(p, allowed={"name", "jurisdiction", "contact", "related", "routes", "purposes", "mechanisms"})
        raw = r.at(child(p, "mechanisms")) or []
        if not isinstance(raw, list):
            raise self.doc.error(child(p, "mechanisms"), "must be a list")
        mechanisms: list[HeldMechanism] = []
        for i in range(len(raw)):
            try:
                mechanisms.append(self.held(child(child(p, "mechanisms"), i)))
            except ConfigError as e:
                self.problems.append(e)
        jurisdiction = r.string(child(p, "jurisdiction"))
        self.member(self.vocab.jurisdictions, "jurisdiction")(jurisdiction, child(p, "jurisdiction"))
        routes = frozenset(r.strings(child(p, "routes"))) if r.at(child(p, "routes")) is not None else frozenset()
        return Recipient(
            id=rid,
            name=r.string(child(p, "name")),
            jurisdiction=jurisdiction,
            contact=r.string(child(p, "contact")),
            related=r.boolean(child(p, "related"), default=False),
            purposes=frozenset(r.strings(child(p, "purposes"), self.member(self.vocab.purposes, "purpose"))),
            mechanisms=tuple(mechanisms),
            routes=routes,
        )

    def selection(self, body: str, extra: set[str]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """The categories, detectors and paths an obligation applies to."""
        r = self.r
        fields = r.mapping(body, allowed=_SELECTORS | extra)
        if not _SELECTORS & fields.keys():
            raise self.doc.error(body, "say what it applies to: categories, detectors or paths")
        categories = tuple(sorted(self.categories(child(body, "categories")))) if "categories" in fields else ()
        detectors = (
            r.strings(child(body, "detectors"), self.member(self.detectors, "detector"))
            if ("detectors" in fields)
            else ()
        )
        paths = r.strings(child(body, "paths")) if "paths" in fields else ()
        for i, path in enumerate(paths):
            if path and not path.startswith("/"):
                raise self.doc.error(child(child(body, "paths"), i), "a path is a JSON pointer starting with '/'")
        return categories, detectors, paths

    def key_name(self, pointer: str) -> str:
        """The name of a key the gateway holds (a file name under its keys directory), never the key itself."""
        name = self.r.string(pointer)
        if not _KEY_NAME.fullmatch(name):
            raise self.doc.error(pointer, _KEY_NAME_WORDS)
        return name

    def obligation(self, p: str, rule_id: str) -> Obligation | ConsentRequirement | EvidenceSeal:
        r = self.r
        fields = r.mapping(p, allowed=set(_OBLIGATIONS))
        if len(fields) != 1:
            raise self.doc.error(p, f"an obligation is exactly one of {', '.join(_OBLIGATIONS)}")
        action = next(iter(fields))
        body = child(p, action)
        if action == "seal_evidence":
            r.mapping(body, allowed={"for"})
            return EvidenceSeal(rule_id, self.key_name(child(body, "for")))
        if action == "require_consent":
            r.mapping(body, allowed={"categories", "separate", "given_by", "notice", "on_missing"})
            given_by = r.string(child(body, "given_by"), default="any")
            if given_by not in {"any", "individual", "guardian"}:
                raise self.doc.error(child(body, "given_by"), "must be individual or guardian")
            on_missing = r.string(child(body, "on_missing"), default="refuse")
            if on_missing not in {"refuse", "drop"}:
                raise self.doc.error(child(body, "on_missing"), "must be refuse or drop")
            notice = (
                r.strings(child(body, "notice"), self.member(NOTICE_FIELDS, "notice field"))
                if r.at(child(body, "notice")) is not None
                else ()
            )
            return ConsentRequirement(
                rule_id,
                self.categories(child(body, "categories")),
                r.boolean(child(body, "separate"), default=False),
                None if given_by == "any" else given_by,
                frozenset(notice),
                on_missing,
            )
        extra = {"mask": {"keep_first", "keep_last"}, "pseudonymise": {"key"}, "generalise_dates": {"to"}}
        categories, detectors, paths = self.selection(body, extra.get(action, set()))
        key = to = None
        if action == "pseudonymise":
            key = self.key_name(child(body, "key"))
        if action == "generalise_dates":
            to = r.string(child(body, "to"))
            if to not in {"year", "month"}:
                raise self.doc.error(child(body, "to"), "must be year or month")
        return Obligation(
            "generalise" if action == "generalise_dates" else action,
            categories,
            rule_id,
            r.integer(child(body, "keep_first"), default=0),
            r.integer(child(body, "keep_last"), default=0),
            detectors=detectors,
            paths=paths,
            key=key,
            to=to,
        )

    def rule_obligations(
        self, p: str, rule_id: str, effect: Effect
    ) -> tuple[tuple[Obligation, ...], tuple[ConsentRequirement, ...], tuple[EvidenceSeal, ...]]:
        """A rule's obligations, sorted by kind: edits of the body, consent requirements, evidence seals."""
        raw = self.r.at(child(p, "obligations"))
        if raw is None:
            if effect is Effect.OBLIGE:
                raise self.doc.error(p, "an oblige rule needs obligations")
            return (), (), ()
        if effect is Effect.DENY:
            raise self.doc.error(child(p, "obligations"), "a deny rule has no obligations")
        if not isinstance(raw, list) or not raw:
            raise self.doc.error(child(p, "obligations"), "must be a non-empty list")
        made = [self.obligation(child(child(p, "obligations"), i), rule_id) for i in range(len(raw))]
        return (
            tuple(o for o in made if isinstance(o, Obligation)),
            tuple(o for o in made if isinstance(o, ConsentRequirement)),
            tuple(o for o in made if isinstance(o, EvidenceSeal)),
        )

    def rule(self, p: str, seen: dict[str, str], known: dict[str, frozenset[str]]) -> Rule | None:
        """The compiled rule, or None when it is switched off."""
        r = self.r
        r.mapping(p, allowed={"id", "description", "legal", "when", "effect", "mechanism", "obligations", "enabled"})
        rule_id = r.string(child(p, "id"))
        if rule_id in seen:
            raise self.doc.error(child(p, "id"), f"rule id {rule_id!r} is used twice (first at {seen[rule_id]})")
        seen[rule_id] = f"line {self.doc.line(child(p, 'id'))}"
        effect_name = r.string(child(p, "effect"))
        if effect_name not in {"allow", "deny", "oblige"}:
            raise self.doc.error(child(p, "effect"), "must be allow, deny or oblige")
        effect = Effect(effect_name)
        description, legal = r.string(child(p, "description")), r.string(child(p, "legal"))
        names = {
            **known,
            "jurisdictions": self.vocab.jurisdictions,
            "origin": self.vocab.jurisdictions,
            "purposes": self.vocab.purposes,
            "scenarios": self.vocab.scenarios,
            "detectors_any": self.detectors,
            "mechanisms": frozenset(self.vocab.mechanisms),
            "has_mechanism": self.held_mechanisms,
            "lacks_mechanism": self.held_mechanisms,
        }
        compiled = compile_when(self.doc, child(p, "when"), names, self.vocab.expand, LEVEL_NAMES)
        mechanisms: tuple[str, ...] = ()
        if effect is Effect.ALLOW and r.at(child(p, "mechanism")) is not None:
            mechanisms = r.strings(child(p, "mechanism"), self.member(self.vocab.mechanisms, "mechanism"))
        elif r.at(child(p, "mechanism")) is not None:
            raise self.doc.error(child(p, "mechanism"), f"only an allow rule relies on a mechanism, not {effect}")
        obligations, consent, seals = self.rule_obligations(p, rule_id, effect)
        if not r.boolean(child(p, "enabled"), default=True):
            return None
        return Rule(
            rule_id,
            description,
            legal,
            effect,
            compiled.predicate,
            mechanisms,
            obligations,
            consent,
            seals,
            recipients=compiled.recipients,
            origins=compiled.origins,
            line=self.doc.line(p),
        )


def _each(c: _Compiler, names: Iterable[str], build: Callable[[str], T]) -> dict[str, T]:
    """``build`` for each name; a name whose part fails is left out and its problem recorded."""
    out: dict[str, T] = {}
    for name in names:
        try:
            out[name] = build(name)
        except ConfigError as e:
            c.problems.append(e)
    return out


def _routes(c: _Compiler, recipients: dict[str, Recipient]) -> dict[str, str]:
    routes: dict[str, str] = {}
    for rid, recipient in recipients.items():
        for route in sorted(recipient.routes):
            if route in routes:
                at = child(child("/recipients", rid), "routes")
                c.problems.append(c.doc.error(at, f"route {route!r} already leads to recipient {routes[route]!r}"))
            routes[route] = rid
    return routes


def _rules(c: _Compiler, known: dict[str, frozenset[str]]) -> tuple[list[Rule], list[str]]:
    """The enabled rules, compiled, and the ids of those switched off."""
    raw = c.r.at("/rules")
    if not isinstance(raw, list) or not raw:
        c.problems.append(c.doc.error("/rules", "a policy needs at least one rule (with none, everything is refused)"))
        return [], []
    rules: list[Rule] = []
    disabled: list[str] = []
    seen: dict[str, str] = {}
    for i in range(len(raw)):
        try:
            rule = c.rule(child("/rules", i), seen, known)
        except ConfigError as e:
            c.problems.append(e)
            continue
        if rule is None:
            disabled.append(str(c.r.at(child(child("/rules", i), "id"))))
        else:
            rules.append(rule)
    return rules, disabled


_SCHEMAS: dict[str, Mapping[str, Any]] = {}


def _schema_for(vocab_doc: Located) -> Mapping[str, Any]:
    """The policy schema for this vocabulary, built once per vocabulary content (its validator is cached with it)."""
    key = hashlib.sha256(rfc8785.dumps(vocab_doc.data)).hexdigest()
    found = _SCHEMAS.get(key)
    if found is None:
        found = _SCHEMAS[key] = build_policy_schema(vocab_doc.data)
    return found


def load_policy(directory: Path) -> CompiledPolicy:
    """Load ``directory/policy.yaml`` and its vocabulary, validate everything, and compile."""
    try:
        source = load_yaml(directory / "policy.yaml")
        Reader(source).mapping("", allowed=_TOP_LEVEL)
        vocab_doc = load_yaml((directory / Reader(source).string("/vocabulary")).resolve())
        vocab = Vocabulary(vocab_doc)
    except ConfigError as e:
        raise PolicyInvalid([e]) from e
    problems: list[ConfigError] = list(schema_problems(source, _schema_for(vocab_doc)))
    c = _Compiler(_substitute(source, problems), vocab, problems)
    classifier, own_detectors = compile_classification(c.doc, frozenset(vocab.levels), problems)
    c.detectors = KNOWN_DETECTORS | own_detectors
    exporters = _each(c, c.r.mapping("/exporters", required=False), c.exporter)
    recipients = _each(c, c.r.mapping("/recipients"), c.recipient)
    routes = _routes(c, recipients)
    known = {"recipients": frozenset(recipients), "routes": frozenset(routes), "exporters": frozenset(exporters)}
    rules, disabled = _rules(c, known)
    header = _each(c, ["policy"], lambda _: (c.r.string("/policy"), c.r.strings("/accept_content_types")))
    if problems:
        raise PolicyInvalid(problems)
    name, accept = header["policy"]
    return CompiledPolicy(
        name=name,
        revision="sha256:" + hashlib.sha256(rfc8785.dumps([source.data, vocab_doc.data])).hexdigest(),
        levels=vocab.levels,
        recipients=recipients,
        rules=tuple(rules),
        accept_content_types=frozenset(t.lower() for t in accept),
        exporters=exporters,
        mechanisms=vocab.mechanisms,
        routes=routes,
        pseudonym_keys=frozenset(o.key for rule in rules for o in rule.obligations if o.key),
        evidence_keys=frozenset(seal.key for rule in rules for seal in rule.seals),
        disabled=tuple(disabled),
        classifier=classifier,
    )
