"""Load, validate and compile a policy directory (compile once, evaluate many).

A policy directory holds ``policy.yaml``, which names its vocabulary file. Every error names the file and line.
The revision is the SHA-256 of the canonical JSON (RFC 8785) of the policy and vocabulary documents, so a
comment or whitespace change keeps the revision and any change of meaning gives a new one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import rfc8785

from gateway.model import Effect, Level, Obligation
from gateway.policy.compiled import CompiledPolicy, HeldMechanism, Recipient, Rule, When
from gateway.policy.source import Located, Reader, child, load_yaml

__all__ = ["LEVEL_NAMES", "load_policy"]

LEVEL_NAMES: dict[str, Level] = {level.name.lower(): level for level in Level}


class _Vocabulary:
    def __init__(self, doc: Located) -> None:
        r = Reader(doc)
        r.mapping("", allowed={"categories", "mechanisms", "purposes", "jurisdictions", "scenarios"})
        self.levels: dict[str, Level] = {}
        for name in r.mapping("/categories"):
            p = child("/categories", name)
            r.mapping(p, allowed={"level", "en", "zh", "note"})
            level = r.string(child(p, "level"))
            if level not in LEVEL_NAMES:
                raise doc.error(child(p, "level"), f"unknown level {level!r}; expected one of {', '.join(LEVEL_NAMES)}")
            self.levels[name] = LEVEL_NAMES[level]
        self.mechanisms = frozenset(r.mapping("/mechanisms"))
        self.purposes = frozenset(r.mapping("/purposes"))
        self.jurisdictions = frozenset(r.mapping("/jurisdictions"))
        self.scenarios = frozenset(r.mapping("/scenarios"))


def _expand(patterns: tuple[str, ...], known: dict[str, Level], doc: Located, pointer: str) -> frozenset[str]:
    """Category names and ``PREFIX.*`` patterns, expanded against the vocabulary."""
    out: set[str] = set()
    for i, pattern in enumerate(patterns):
        if pattern.endswith(".*"):
            matched = {c for c in known if c.startswith(pattern[:-1])}
        else:
            matched = {pattern} & known.keys()
        if not matched:
            raise doc.error(child(pointer, i), f"{pattern!r} names no category of the vocabulary")
        out |= matched
    return frozenset(out)


class _Compiler:
    def __init__(self, doc: Located, vocab: _Vocabulary) -> None:
        self.doc = doc
        self.r = Reader(doc)
        self.vocab = vocab

    def _member(self, known: frozenset[str], what: str) -> Callable[[str, str], None]:
        def check(value: str, pointer: str) -> None:
            if value not in known:
                raise self.doc.error(pointer, f"unknown {what} {value!r}")

        return check

    def categories(self, pointer: str) -> frozenset[str]:
        return _expand(self.r.strings(pointer), self.vocab.levels, self.doc, pointer)

    def recipient(self, rid: str) -> Recipient:
        p = child("/recipients", rid)
        r = self.r
        r.mapping(p, allowed={"name", "jurisdiction", "contact", "related", "purposes", "mechanisms"})
        mechanisms = []
        raw = r.at(child(p, "mechanisms")) or []
        if not isinstance(raw, list):
            raise self.doc.error(child(p, "mechanisms"), "must be a list")
        for i in range(len(raw)):
            m = child(child(p, "mechanisms"), i)
            r.mapping(m, allowed={"id", "reference", "valid_from", "valid_until", "categories"})
            mechanism = r.string(child(m, "id"))
            self._member(self.vocab.mechanisms, "mechanism")(mechanism, child(m, "id"))
            valid_from, valid_until = r.day(child(m, "valid_from")), r.day(child(m, "valid_until"))
            if valid_until < valid_from:
                raise self.doc.error(child(m, "valid_until"), "ends before valid_from")
            mechanisms.append(
                HeldMechanism(
                    mechanism,
                    r.string(child(m, "reference")),
                    valid_from,
                    valid_until,
                    self.categories(child(m, "categories")),
                )
            )
        jurisdiction = r.string(child(p, "jurisdiction"))
        self._member(self.vocab.jurisdictions, "jurisdiction")(jurisdiction, child(p, "jurisdiction"))
        return Recipient(
            id=rid,
            name=r.string(child(p, "name")),
            jurisdiction=jurisdiction,
            contact=r.string(child(p, "contact")),
            related=r.boolean(child(p, "related"), default=False),
            purposes=frozenset(r.strings(child(p, "purposes"), self._member(self.vocab.purposes, "purpose"))),
            mechanisms=tuple(mechanisms),
        )

    def when(self, p: str, recipients: dict[str, Recipient], routes: frozenset[str] | None) -> When:
        r = self.r
        fields = r.mapping(p, allowed=set(When.__slots__))
        if not fields:
            raise self.doc.error(p, "an empty 'when' would match every transfer; state the conditions")

        def names(key: str, known: frozenset[str] | None, what: str) -> frozenset[str] | None:
            if key not in fields:
                return None
            check = self._member(known, what) if known is not None else None
            return frozenset(r.strings(child(p, key), check))

        def level(key: str) -> Level | None:
            if key not in fields:
                return None
            name = r.string(child(p, key))
            if name not in LEVEL_NAMES:
                raise self.doc.error(child(p, key), f"unknown level {name!r}")
            return LEVEL_NAMES[name]

        lacks = None
        if "recipient_lacks_mechanism" in fields:
            lacks = r.strings(child(p, "recipient_lacks_mechanism"), self._member(self.vocab.mechanisms, "mechanism"))
        return When(
            routes=names("routes", routes, "route"),
            recipients=names("recipients", frozenset(recipients), "recipient"),
            jurisdictions=names("jurisdictions", self.vocab.jurisdictions, "jurisdiction"),
            purposes=names("purposes", self.vocab.purposes, "purpose"),
            scenarios=names("scenarios", self.vocab.scenarios, "scenario"),
            categories_any=self.categories(child(p, "categories_any")) if "categories_any" in fields else None,
            categories_none=self.categories(child(p, "categories_none")) if "categories_none" in fields else None,
            level_at_least=level("level_at_least"),
            level_at_most=level("level_at_most"),
            purpose_permitted=(
                r.boolean(child(p, "purpose_permitted"), default=True) if "purpose_permitted" in fields else None
            ),
            recipient_lacks_mechanism=lacks,
        )

    def obligation(self, p: str, rule_id: str) -> Obligation:
        fields = self.r.mapping(p, allowed={"mask", "redact"})
        if len(fields) != 1:
            raise self.doc.error(p, "an obligation is exactly one of 'mask' or 'redact'")
        action = next(iter(fields))
        body = child(p, action)
        self.r.mapping(body, allowed={"categories", "keep_first", "keep_last"} if action == "mask" else {"categories"})
        return Obligation(
            action,
            tuple(sorted(self.categories(child(body, "categories")))),
            rule_id,
            self.r.integer(child(body, "keep_first"), default=0),
            self.r.integer(child(body, "keep_last"), default=0),
        )

    def rule(self, p: str, recipients: dict[str, Recipient], seen: set[str]) -> Rule:
        r = self.r
        r.mapping(p, allowed={"id", "description", "reason", "legal", "when", "effect", "mechanism", "obligations"})
        rule_id = r.string(child(p, "id"))
        if rule_id in seen:
            raise self.doc.error(child(p, "id"), f"rule id {rule_id!r} is used twice")
        seen.add(rule_id)
        effect_name = r.string(child(p, "effect"))
        if effect_name not in {"allow", "deny"}:
            raise self.doc.error(child(p, "effect"), "must be 'allow' or 'deny'")
        effect = Effect(effect_name)
        mechanisms: tuple[str, ...] = ()
        obligations: tuple[Obligation, ...] = ()
        if effect is Effect.ALLOW:
            if r.at(child(p, "mechanism")) is not None:
                mechanisms = r.strings(child(p, "mechanism"), self._member(self.vocab.mechanisms, "mechanism"))
            raw = r.at(child(p, "obligations"))
            if raw is not None:
                if not isinstance(raw, list):
                    raise self.doc.error(child(p, "obligations"), "must be a list")
                obligations = tuple(
                    self.obligation(child(child(p, "obligations"), i), rule_id) for i in range(len(raw))
                )
        else:
            for key in ("mechanism", "obligations"):
                if r.at(child(p, key)) is not None:
                    raise self.doc.error(child(p, key), f"a deny rule has no {key}")
        return Rule(
            rule_id,
            r.string(child(p, "reason")),
            r.string(child(p, "legal")),
            self.when(child(p, "when"), recipients, None),
            effect,
            mechanisms,
            obligations,
        )


def load_policy(directory: Path) -> CompiledPolicy:
    """Load ``directory/policy.yaml`` and its vocabulary, validate, and compile."""
    policy_file = directory / "policy.yaml"
    doc = load_yaml(policy_file)
    r = Reader(doc)
    r.mapping("", allowed={"policy", "description", "vocabulary", "accept_content_types", "recipients", "rules"})
    vocab_doc = load_yaml((directory / r.string("/vocabulary")).resolve())
    compiler = _Compiler(doc, _Vocabulary(vocab_doc))
    recipients = {rid: compiler.recipient(rid) for rid in r.mapping("/recipients")}
    raw_rules = r.at("/rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise doc.error("/rules", "a policy needs at least one rule (with none, everything would be refused)")
    seen: set[str] = set()
    rules = tuple(compiler.rule(child("/rules", i), recipients, seen) for i in range(len(raw_rules)))
    accept = frozenset(t.lower() for t in r.strings("/accept_content_types"))
    revision = "sha256:" + hashlib.sha256(rfc8785.dumps([doc.data, vocab_doc.data])).hexdigest()
    return CompiledPolicy(
        name=r.string("/policy"),
        revision=revision,
        levels=compiler.vocab.levels,
        recipients=recipients,
        rules=rules,
        accept_content_types=accept,
    )
