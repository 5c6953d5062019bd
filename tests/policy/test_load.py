"""Loading, validating and compiling policy directories: the compiled form, revisions, and problems with lines.

The policies are written here, on a small vocabulary of the tests' own (tests/conftest.py), so that the shipped
policy and vocabulary can change without breaking these tests.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.model import Effect, Level, Obligation
from gateway.policy.compiled import CompiledPolicy, Exporter, HeldMechanism
from gateway.policy.load import PolicyInvalid, load_policy
from tests.textedit import edit_once, line_of

# A small valid policy; each invalid case below changes one thing in it.
HEAD = """\
# A policy written by the tests.
policy: test
description: A policy written by the tests.
vocabulary: vocabulary.yaml
accept_content_types: [Application/JSON]
parameters:
  limit: 5000
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion-people.example
    routes: [sg-hr, sg-hr-batch]
    purposes: [hr_administration, payroll]
    mechanisms:
      - id: CN_SCC
        reference: SIP-SCC-2026-0042
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [NP.*, PI.CONTACT]
        max_individuals: $limit
"""
RULES = """\
rules:
  - id: DENY-CORE
    description: Core data stays.
    legal: DSL Art 21
    when: {categories_any: [CORE.*]}
    effect: deny
  - id: ALLOW-PI
    description: Personal information under the contract.
    legal: PIPL Art 38(3)
    when: {level_at_least: personal, purpose_permitted: true}
    effect: allow
    mechanism: [CN_SCC]
    obligations:
      - mask: {categories: [PI.CONTACT], keep_last: 4}
"""
BASE = HEAD + RULES


def _problems(directory: Path) -> tuple[ConfigError, ...]:
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    return caught.value.problems


@pytest.fixture(scope="module")
def base(write_policy_dir: Callable[..., Path]) -> CompiledPolicy:
    return load_policy(write_policy_dir(BASE))


def test_small_base_policy_is_valid(base: CompiledPolicy) -> None:
    """The base text that the invalid cases start from is itself a valid policy (so each case fails for one reason)."""
    assert base.name == "test"
    assert [r.id for r in base.rules] == ["DENY-CORE", "ALLOW-PI"]
    assert [r.effect for r in base.rules] == [Effect.DENY, Effect.ALLOW]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", base.revision)
    assert base.accept_content_types == frozenset({"application/json"})
    assert base.disabled == ()


def test_compiled_recipient_rules_and_vocabulary(base: CompiledPolicy) -> None:
    """Families expand against the vocabulary, parameters are substituted, routes lead to their recipient."""
    recipient = base.recipients["sg-hr"]
    assert (recipient.jurisdiction, recipient.contact, recipient.related) == (
        "SG",
        "privacy@merlion-people.example",
        False,
    )
    assert recipient.purposes == frozenset({"hr_administration", "payroll"})
    (scc,) = recipient.mechanisms
    assert scc == HeldMechanism(
        "CN_SCC",
        "SIP-SCC-2026-0042",
        scc.valid_from,
        scc.valid_until,
        frozenset({"NP.PUBLIC", "NP.BUSINESS", "PI.CONTACT"}),
        max_individuals=5000,
    )
    assert (scc.valid_from.isoformat(), scc.valid_until.isoformat()) == ("2026-01-01", "2028-12-31")
    assert base.routes == {"sg-hr": "sg-hr", "sg-hr-batch": "sg-hr"}
    assert base.exporters == {"cn-maker": Exporter("cn-maker", "CN Maker", "CN", ciio=False)}
    deny, allow = base.rules
    assert (deny.recipients, deny.origins, deny.mechanisms, deny.obligations) == (None, None, (), ())
    assert allow.mechanisms == ("CN_SCC",)
    assert allow.obligations == (Obligation("mask", ("PI.CONTACT",), "ALLOW-PI", keep_first=0, keep_last=4),)
    assert (deny.line, allow.line) == (line_of(BASE, "- id: DENY-CORE"), line_of(BASE, "- id: ALLOW-PI"))
    assert base.levels["SPI.GOV_ID"] is Level.SENSITIVE
    assert base.levels["CORE.DATA"] is Level.CORE
    assert base.mechanisms["CN_EX_HR"].kind == "exemption"
    assert base.mechanisms["SG_LEO_CONTRACT"].requires_countries
    assert base.mechanisms["SG_LEO_BCR"].related_only


def test_obligations_compile(write_policy_dir: Callable[..., Path]) -> None:
    """Each obligation compiles with its selectors and parameters; the pseudonym keys named are collected."""
    text = edit_once(
        BASE,
        "      - mask: {categories: [PI.CONTACT], keep_last: 4}\n",
        "      - mask: {categories: [PI.CONTACT], keep_first: 3, keep_last: 4}\n"
        "      - redact: {detectors: [sg_nric_fin], paths: [/notes/*]}\n"
        "      - pseudonymise: {categories: [PI.*], key: hr-2026}\n"
        "      - generalise_dates: {paths: [/born], to: month}\n",
    )
    policy = load_policy(write_policy_dir(text))
    assert policy.rules[1].obligations == (
        Obligation("mask", ("PI.CONTACT",), "ALLOW-PI", keep_first=3, keep_last=4),
        Obligation("redact", (), "ALLOW-PI", detectors=("sg_nric_fin",), paths=("/notes/*",)),
        Obligation(
            "pseudonymise",
            ("PI.BASIC", "PI.CONTACT", "PI.EMPLOYEE", "PI.TRANSACTION"),
            "ALLOW-PI",
            key="hr-2026",
        ),
        Obligation("generalise", (), "ALLOW-PI", paths=("/born",), to="month"),
    )
    assert policy.pseudonym_keys == frozenset({"hr-2026"})


def test_switched_off_rule_is_kept_out_but_listed(write_policy_dir: Callable[..., Path]) -> None:
    """``enabled: false`` compiles the rule (its problems are still reported) but leaves it out of the rules."""
    text = edit_once(BASE, "    effect: deny\n", "    effect: deny\n    enabled: false\n")
    policy = load_policy(write_policy_dir(text))
    assert [r.id for r in policy.rules] == ["ALLOW-PI"]
    assert policy.disabled == ("DENY-CORE",)
    broken = edit_once(text, "[CORE.*]", "[CORE.NOTHING]")
    (problem,) = _problems(write_policy_dir(broken))
    assert "unknown category 'CORE.NOTHING'" in problem.message


# --- the revision -----------------------------------------------------------------------------------------------


def test_copied_policy_has_the_same_revision(write_policy_dir: Callable[..., Path], base: CompiledPolicy) -> None:
    """The revision depends on content only, not on where the directory lives."""
    directory = write_policy_dir(BASE)
    copy = directory.parent / (directory.name + "-copy")
    shutil.copytree(directory, copy)
    assert load_policy(copy).revision == base.revision


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("policy.yaml", "# A policy written by the tests.", "# A reworded comment about this policy"),
        ("policy.yaml", "policy: test\n", "\n\n# added comment\npolicy:    test   # trailing comment\n"),
        ("policy.yaml", "when: {categories_any: [CORE.*]}", "when: {  categories_any  : [ CORE.* ]  }"),
        ("policy.yaml", "when: {categories_any: [CORE.*]}", "when:\n      categories_any:\n        - CORE.*"),
        ("policy.yaml", "    effect: deny\n", "    effect: 'deny'\n"),
        (
            "policy.yaml",
            "    description: Core data stays.\n    legal: DSL Art 21\n",
            "    legal: DSL Art 21\n    description: Core data stays.\n",
        ),
        ("vocabulary.yaml", "  payroll:           {en: Payroll}", "  payroll: {en: 'Payroll'}  # comment"),
    ],
    ids=["comment", "blank-lines-and-spacing", "flow-spacing", "flow-to-block", "quoted-scalar", "key-order", "vocab"],
)
def test_revision_stable_under_formatting(
    write_policy_dir: Callable[..., Path], base: CompiledPolicy, file: str, old: str, new: str
) -> None:
    """Comments, whitespace, key order and YAML style do not change the revision."""
    directory = write_policy_dir(BASE)
    target = directory / file
    target.write_text(edit_once(target.read_text(encoding="utf-8"), old, new), encoding="utf-8")
    assert load_policy(directory).revision == base.revision


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("policy.yaml", "keep_last: 4", "keep_last: 3"),
        ("policy.yaml", "valid_until: 2028-12-31", "valid_until: 2028-12-30"),
        ("policy.yaml", "purpose_permitted: true}", "purpose_permitted: true, jurisdictions: [SG]}"),
        ("policy.yaml", "description: Core data stays.", "description: Core data must stay."),
        ("policy.yaml", "  limit: 5000", "  limit: 5001"),
        ("policy.yaml", "  - id: DENY-CORE\n", "  - id: DENY-CORE-01\n"),
        ("vocabulary.yaml", "  marketing:", "  research:          {en: Research}\n  marketing:"),
        ("vocabulary.yaml", "SPI.HEALTH:      {level: sensitive}", "SPI.HEALTH:      {level: important}"),
    ],
    ids=["obligation", "validity", "condition", "description-text", "parameter", "rule-id", "vocabulary", "level"],
)
def test_revision_changes_with_meaning(
    write_policy_dir: Callable[..., Path], base: CompiledPolicy, file: str, old: str, new: str
) -> None:
    """Any change to a rule, a recipient, a parameter or the vocabulary gives a new revision."""
    directory = write_policy_dir(BASE)
    target = directory / file
    target.write_text(edit_once(target.read_text(encoding="utf-8"), old, new), encoding="utf-8")
    changed = load_policy(directory).revision
    assert changed.startswith("sha256:")
    assert changed != base.revision


def test_rule_order_changes_the_revision(write_policy_dir: Callable[..., Path], base: CompiledPolicy) -> None:
    """Rules are a list: swapping two changes the meaning (first match) and so the revision."""
    deny, allow = RULES.split("  - id: ALLOW-PI\n")
    swapped = HEAD + "rules:\n  - id: ALLOW-PI\n" + allow + deny.removeprefix("rules:\n")
    policy = load_policy(write_policy_dir(swapped))
    assert [r.id for r in policy.rules] == ["ALLOW-PI", "DENY-CORE"]
    assert policy.revision != base.revision


# --- problems, with their lines ---------------------------------------------------------------------------------

SECOND_RECIPIENT = """\
  sg-payroll:
    name: Payroll Pte. Ltd.
    jurisdiction: SG
    contact: dpo@payroll.example
    routes: [sg-payroll, sg-hr-batch]  # claimed twice
    purposes: [payroll]
"""

# (id, old text, new text, marker on the line the error must name, fragment of the message)
INVALID: list[tuple[str, str, str, str, str]] = [
    (
        "unknown-field-in-rule",
        "    effect: deny\n",
        "    effect: deny\n    severity: high\n",
        "severity: high",
        "unknown field 'severity'",
    ),
    (
        "unknown-condition",
        "when: {categories_any: [CORE.*]}",
        "when: {categories_any: [CORE.*], colour: red}",
        "colour: red",
        "unknown condition 'colour'",
    ),
    (
        "unknown-category",
        "when: {categories_any: [CORE.*]}",
        "when:\n      categories_any:\n        - CORE.DATA\n        - PI.SHOE_SIZE",
        "PI.SHOE_SIZE",
        "unknown category 'PI.SHOE_SIZE'",
    ),
    (
        "unknown-category-pattern",
        "when: {categories_any: [CORE.*]}",
        "when: {categories_any: [XYZ.*]}",
        "XYZ.*",
        "unknown category 'XYZ.*'",
    ),
    (
        "unknown-category-held",
        "categories: [NP.*, PI.CONTACT]",
        "categories: [NP.*, PI.CONTACTS]",
        "PI.CONTACTS",
        "unknown category 'PI.CONTACTS'",
    ),
    ("empty-when", "when: {categories_any: [CORE.*]}", "when: {}", "when: {}", "an empty condition would match"),
    (
        "duplicate-rule-id",
        "  - id: ALLOW-PI\n",
        "  - id: DENY-CORE  # second use\n",
        "# second use",
        f"rule id 'DENY-CORE' is used twice (first at line {line_of(BASE, '- id: DENY-CORE')})",
    ),
    ("bad-effect", "    effect: deny\n", "    effect: permit\n", "effect: permit", "must be allow, deny or oblige"),
    (
        "rule-without-legal",
        "    legal: DSL Art 21\n",
        "",
        "- id: DENY-CORE",
        "/rules/0: a rule needs 'legal'",
    ),
    (
        "deny-with-obligations",
        "    effect: deny\n",
        "    effect: deny\n    obligations: [{redact: {categories: [PI.CONTACT]}}]\n",
        "obligations: [{redact",
        "a deny rule has no obligations",
    ),
    (
        "deny-with-mechanism",
        "    effect: deny\n",
        "    effect: deny\n    mechanism: [CN_CERT]\n",
        "mechanism: [CN_CERT]",
        "only an allow rule relies on a mechanism",
    ),
    (
        "oblige-with-mechanism",
        "    effect: allow\n",
        "    effect: oblige\n",
        "mechanism: [CN_SCC]",
        "only an allow rule relies on a mechanism",
    ),
    (
        "oblige-without-obligations",
        "    effect: deny\n",
        "    effect: oblige\n",
        "- id: DENY-CORE",
        "an oblige rule needs 'obligations'",
    ),
    (
        "empty-obligations",
        "    obligations:\n      - mask: {categories: [PI.CONTACT], keep_last: 4}\n",
        "    obligations: []\n",
        "obligations: []",
        "must list at least one obligation",
    ),
    (
        "unknown-mechanism-held",
        "      - id: CN_SCC",
        "      - id: CN_MAGIC",
        "CN_MAGIC",
        "unknown held mechanism 'CN_MAGIC'",
    ),
    (
        "unknown-mechanism-in-rule",
        "mechanism: [CN_SCC]",
        "mechanism: [CN_SCC, CN_WISHFUL]",
        "CN_WISHFUL",
        "unknown mechanism 'CN_WISHFUL'",
    ),
    (
        "exemption-held-by-recipient",
        "      - id: CN_SCC",
        "      - id: CN_EX_HR",
        "CN_EX_HR",
        "CN_EX_HR is relied on by a rule",
    ),
    (
        "consent-ground-held-by-recipient",
        "      - id: CN_SCC",
        "      - id: CN_CONSENT",
        "CN_CONSENT",
        "never held by a recip",
    ),
    (
        "countries-required",
        "      - id: CN_SCC",
        "      - id: SG_LEO_CONTRACT",
        "SG_LEO_CONTRACT",
        "SG_LEO_CONTRACT must name the countries it covers",
    ),
    (
        "unknown-country",
        "        max_individuals: $limit\n",
        "        max_individuals: $limit\n        countries: [SG, ATLANTIS]\n",
        "ATLANTIS",
        "unknown jurisdiction 'ATLANTIS'",
    ),
    (
        "valid-until-before-from",
        "valid_until: 2028-12-31",
        "valid_until: 2025-12-31",
        "valid_until: 2025-12-31",
        "ends before valid_from",
    ),
    ("bad-date-month", "valid_from: 2026-01-01", "valid_from: 2026-13-01", "2026-13-01", "YYYY-MM-DD"),
    ("bad-date-text", "valid_until: 2028-12-31", "valid_until: end of 2028", "end of 2028", "YYYY-MM-DD"),
    ("negative-limit", "  limit: 5000", "  limit: -1", "max_individuals: $limit", "must be a whole number >= 0"),
    (
        "yaml-syntax-error",
        "    legal: DSL Art 21\n",
        "    legal: DSL Art 21: s.1\n",
        "DSL Art 21: s.1",
        "not valid YAML",
    ),
    (
        "duplicate-yaml-key",
        "    legal: DSL Art 21\n",
        "    legal: DSL Art 21\n    legal: DSL Art 22\n",
        "DSL Art 22",
        "duplicate key 'legal'",
    ),
    ("empty-rules", RULES, "rules: []\n", "rules: []", "at least one rule"),
    (
        "unknown-purpose-of-recipient",
        "purposes: [hr_administration, payroll]",
        "purposes: [hr_administration, payroll,\n      astrology]",
        "astrology",
        "unknown purpose 'astrology'",
    ),
    (
        "unknown-purpose-in-rule",
        "when: {categories_any: [CORE.*]}",
        "when: {purposes: [astrology]}",
        "astrology",
        "unknown purpose 'astrology'",
    ),
    ("unknown-level", "level_at_least: personal", "level_at_least: secret", "secret", "unknown level 'secret'"),
    (
        "unknown-exporter-jurisdiction",
        "jurisdiction: CN}",
        "jurisdiction: XX}",
        "cn-maker:",
        "unknown jurisdiction 'XX'",
    ),
    (
        "route-claimed-twice",
        "rules:\n",
        SECOND_RECIPIENT + "rules:\n",
        "# claimed twice",
        "route 'sg-hr-batch' already leads to recipient 'sg-hr'",
    ),
    (
        "obligation-with-two-actions",
        "      - mask: {categories: [PI.CONTACT], keep_last: 4}\n",
        "      - mask: {categories: [PI.CONTACT], keep_last: 4}\n        redact: {categories: [PI.CONTACT]}\n",
        "- mask:",
        "an obligation is exactly one of",
    ),
    (
        "obligation-without-selector",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "mask: {keep_last: 4}",
        "mask: {keep_last: 4}",
        "needs at least one of 'categories', 'detectors' or 'paths'",
    ),
    (
        "obligation-path-not-a-pointer",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "mask: {paths: [mobile], keep_last: 4}",
        "paths: [mobile]",
        "a path is a JSON pointer",
    ),
    (
        "obligation-unknown-detector",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "mask: {detectors: [palm_reader]}",
        "palm_reader",
        "unknown detector 'palm_reader'",
    ),
    (
        "pseudonym-key-not-a-name",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "pseudonymise: {categories: [PI.CONTACT], key: 'AbC/../secret'}",
        "pseudonymise:",
        "a key name is lower-case letters",
    ),
    (
        "generalise-to-week",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "generalise_dates: {paths: [/born], to: week}",
        "to: week",
        "expected one of year, month",
    ),
    (
        "keep-on-redact",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "redact: {categories: [PI.CONTACT], keep_last: 4}",
        "keep_last: 4",
        "unknown field 'keep_last'",
    ),
    (
        "consent-given-by",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "require_consent: {categories: [PI.*], given_by: employer}",
        "given_by: employer",
        "expected one of individual, guardian",
    ),
    (
        "consent-on-missing",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "require_consent: {categories: [PI.*], on_missing: ignore}",
        "on_missing: ignore",
        "expected one of refuse, drop",
    ),
    (
        "consent-notice-field",
        "mask: {categories: [PI.CONTACT], keep_last: 4}",
        "require_consent: {categories: [PI.*], notice: [purpose, horoscope]}",
        "horoscope",
        "unknown notice field 'horoscope'",
    ),
    (
        "unknown-parameter",
        "max_individuals: $limit",
        "max_individuals: $limits",
        "$limits",
        "unknown parameter '$limits'",
    ),
    (
        "bad-parameter-name",
        "  limit: 5000",
        "  Limit: 5000\n  limit: 5000",
        "Limit: 5000",
        "must be lower-case letters",
    ),
    ("parameter-list-value", "  limit: 5000", "  limit: 5000\n  many: [1, 2]", "many: [1, 2]", "not a list"),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_policy_names_file_and_line(
    write_policy_dir: Callable[..., Path], old: str, new: str, marker: str, message: str
) -> None:
    """Each kind of invalid policy raises ConfigError naming policy.yaml and the offending line, and only that."""
    text = edit_once(BASE, old, new)
    directory = write_policy_dir(text)
    policy_file = str(directory / "policy.yaml")
    line = line_of(text, marker)
    with pytest.raises(ConfigError) as caught:
        load_policy(directory)
    err = caught.value
    assert message in str(err)
    assert str(err).startswith(f"{policy_file}:{line}:"), str(err)
    assert (err.file, err.line) == (policy_file, line)
    if isinstance(err, PolicyInvalid):
        # every problem is on that line (an unknown parameter also leaves the value it stands for invalid)
        assert {(p.file, p.line) for p in err.problems} == {(policy_file, line)}, [str(p) for p in err.problems]


def test_several_problems_are_reported_in_one_run(write_policy_dir: Callable[..., Path]) -> None:
    """Problems in a recipient, in two rules and a route claimed twice are all reported, in line order."""
    text = edit_once(BASE, "      - id: CN_SCC", "      - id: CN_MAGIC")
    text = edit_once(text, "rules:\n", SECOND_RECIPIENT + "rules:\n")
    text = edit_once(text, "when: {categories_any: [CORE.*]}", "when: {categories_any: [XYZ.*]}")
    text = edit_once(text, "  - id: ALLOW-PI\n", "  - id: DENY-CORE\n")
    directory = write_policy_dir(text)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(directory)
    problems = caught.value.problems
    second_use = [i for i, line in enumerate(text.splitlines(), 1) if line == "  - id: DENY-CORE"][1]
    expected = [
        (line_of(text, "CN_MAGIC"), "unknown held mechanism 'CN_MAGIC'"),
        (line_of(text, "# claimed twice"), "route 'sg-hr-batch' already leads to recipient 'sg-hr'"),
        (line_of(text, "XYZ.*"), "unknown category 'XYZ.*'"),
        (second_use, "rule id 'DENY-CORE' is used twice"),
    ]
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (line, message) in zip(problems, expected, strict=True):
        assert problem.file == str(directory / "policy.yaml")
        assert problem.line == line, str(problem)
        assert message in problem.message
    assert str(caught.value).endswith("(and 3 more problems)")
    assert str(caught.value).startswith(f"{directory / 'policy.yaml'}:{expected[0][0]}:")


def test_a_rule_reports_its_first_problem_and_the_next_rule_is_still_checked(
    write_policy_dir: Callable[..., Path],
) -> None:
    """Every problem of a rule's shape is reported, and the following rules are checked all the same."""
    text = edit_once(BASE, "    effect: deny\n", "    effect: permit\n    colour: red\n")
    text = edit_once(text, "level_at_least: personal", "level_at_least: secret")
    problems = _problems(write_policy_dir(text))
    expected = [line_of(text, "effect: permit"), line_of(text, "colour: red"), line_of(text, "secret")]
    assert [p.line for p in problems] == expected


def test_duplicate_yaml_key_message_has_no_stray_location(write_policy_dir: Callable[..., Path]) -> None:
    """A duplicate-key error reads 'file:line: duplicate key ...' with the location once, not 'file:N: None:N: ...'."""
    text = edit_once(BASE, "    legal: DSL Art 21\n", "    legal: DSL Art 21\n    legal: DSL Art 22\n")
    directory = write_policy_dir(text)
    line = line_of(text, "DSL Art 22")
    with pytest.raises(ConfigError) as caught:
        load_policy(directory)
    assert re.fullmatch(
        rf"{re.escape(str(directory / 'policy.yaml'))}:{line}:\d+: duplicate key 'legal'", str(caught.value)
    )


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        (
            "    effect: deny\n",
            "    effect: deny\n    severity:\n      level: high\n",
            "severity:",
            "unknown field 'severity'",
        ),
        (
            "    effect: deny\n",
            "    effect: deny\n    obligations:  # on a deny rule\n      - redact: {categories: [PI.CONTACT]}\n",
            "# on a deny rule",
            "a deny rule has no obligations",
        ),
    ],
    ids=["unknown-field-block-value", "deny-with-block-obligations"],
)
def test_error_about_a_field_with_block_value_names_the_key_line(
    write_policy_dir: Callable[..., Path], old: str, new: str, marker: str, message: str
) -> None:
    """An error about a field whose value is a block mapping or list names the line of the field's key."""
    text = edit_once(BASE, old, new)
    directory = write_policy_dir(text)
    with pytest.raises(ConfigError) as caught:
        load_policy(directory)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{directory / 'policy.yaml'}:{line_of(text, marker)}:"), str(caught.value)


def test_unknown_top_level_field_is_refused(write_policy_dir: Callable[..., Path]) -> None:
    """A field the language does not have at the top of policy.yaml is refused with its line."""
    text = edit_once(BASE, "policy: test\n", "policy: test\nowner: someone\n")
    with pytest.raises(ConfigError, match="unknown field 'owner'") as caught:
        load_policy(write_policy_dir(text))
    assert caught.value.line == line_of(text, "owner: someone")


def test_missing_vocabulary_file_is_a_config_error(write_policy_dir: Callable[..., Path]) -> None:
    """A vocabulary path that does not exist is reported as a ConfigError naming that path."""
    directory = write_policy_dir(edit_once(BASE, "vocabulary: vocabulary.yaml", "vocabulary: ./nowhere.yaml"))
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_policy(directory)
    assert caught.value.file == str((directory / "nowhere.yaml").resolve())


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        ("SPI.HEALTH:      {level: sensitive}", "SPI.HEALTH:      {level: secret}", "SPI.HEALTH", "unknown level"),
        ("CN_CERT:         {kind: held,", "CN_CERT:         {kind: borrowed,", "CN_CERT", "held, exemption or consent"),
        ("  payroll:           {en: Payroll}\n", "  payroll:           {en: Payroll}\n  colour: red\n", None, None),
    ],
    ids=["unknown-level", "unknown-kind", "purpose-entries-are-free"],
)
def test_vocabulary_problems_name_the_vocabulary_file(
    write_policy_dir: Callable[..., Path], old: str, new: str, marker: str | None, message: str | None
) -> None:
    """A bad vocabulary entry is reported with the vocabulary's file and line."""
    default = (write_policy_dir(BASE) / "vocabulary.yaml").read_text(encoding="utf-8")
    vocabulary = edit_once(default, old, new)
    directory = write_policy_dir(BASE, vocabulary=vocabulary)
    if marker is None:
        assert "colour" not in load_policy(directory).levels
        return
    with pytest.raises(ConfigError) as caught:
        load_policy(directory)
    assert message is not None
    assert message in str(caught.value)
    assert (caught.value.file, caught.value.line) == (
        str((directory / "vocabulary.yaml").resolve()),
        line_of(vocabulary, marker),
    )
