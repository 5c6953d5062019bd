"""The JSON Schemas of policy files: generated from the vocabulary, shipped up to date, and their problems in words.

The policies here are written inline on a small vocabulary of the tests' own, so the shipped policy can change
without breaking these tests; only the freshness tests read the shipped files.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import ConfigError
from gateway.model import Json
from gateway.policy.schema import (
    POLICY_SCHEMA,
    TESTS_SCHEMA,
    VOCABULARY_SCHEMA,
    build_policy_schema,
    build_policy_tests_schema,
    build_vocabulary_schema,
    generated_schemas,
    schema_problems,
    schema_text,
    write_schemas,
)
from gateway.policy.source import load_yaml, parse_yaml
from tests.textedit import edit_once

REPO = Path(__file__).resolve().parents[2]
REGENERATE = ".venv/bin/gateway policy schema policies"

VOCABULARY = """\
categories:
  NP.BUSINESS: {level: general}
  PI.CONTACT: {level: personal, en: Contact, zh: 个人联系信息}
  PI.EMPLOYEE: {level: personal}
  SPI.GOV_ID: {level: sensitive}
mechanisms:
  CN_SCC: {kind: held, basis: PIPL Art 38(3)}
  SG_LEO_CONTRACT: {kind: held, requires_countries: true}
  CN_EX_HR: {kind: exemption}
  SG_CONSENT: {kind: consent}
  OLD_STYLE: {basis: no kind means held}
purposes: {payroll: {en: Payroll}, hr_administration: {en: HR}}
jurisdictions: {CN: {en: China}, SG: {en: Singapore}}
scenarios: {general: {en: General}, hr: {en: HR}}
"""

POLICY = """\
policy: test
description: A policy written by the tests.
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
parameters:
  limit: 5000
  keep: 4
  on: true
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN, ciio: false}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion.example
    related: false
    routes: [sg-hr]
    purposes: [hr_administration, payroll]
    mechanisms:
      - id: CN_SCC
        reference: SIP-SCC-1
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [PI.*, NP.BUSINESS]
        max_individuals: $limit
        countries: [SG]
rules:
  - id: R-DENY
    description: No government ids to recipients without a contract.
    legal: PIPL Art 38
    when: {categories_any: [SPI.GOV_ID], lacks_mechanism: [CN_SCC], exporter_ciio: $on}
    effect: deny
  - id: R-HR
    description: HR data under the exemption.
    legal: 2024 Provisions Art 5(2)
    when:
      origin: [CN]
      scenarios: [hr]
      individuals: {at_least: 1, below: $limit}
      any:
        - {purposes: [payroll]}
        - not: {level_at_least: sensitive}
    effect: allow
    mechanism: [CN_EX_HR, CN_SCC]
    enabled: $on
    obligations:
      - mask: {categories: [PI.CONTACT], keep_last: $keep, keep_first: 0}
      - redact: {detectors: [sg_nric_fin]}
      - pseudonymise: {paths: [/staff/*/id], key: staff-2026}
      - generalise_dates: {paths: [/birth], to: year}
  - id: R-CONSENT
    description: Separate consent for contact data.
    legal: PIPL Art 39
    when: {categories_any: [PI.CONTACT], purpose_permitted: true}
    effect: oblige
    obligations:
      - require_consent:
          categories: [PI.*]
          separate: $on
          given_by: individual
          notice: [recipient_name, purpose, sg_transfer_summary]
          on_missing: drop
"""


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return build_policy_schema(parse_yaml(VOCABULARY, "vocabulary.yaml").data)


def _at(text: str, marker: str, occurrence: int = 0) -> tuple[int, int]:
    """The 1-based line and column where ``marker`` starts (its ``occurrence``-th time)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(marker, start + 1)
    before = text[:start]
    return before.count("\n") + 1, start - (before.rfind("\n") + 1) + 1


def _problems(text: str, schema: dict[str, Any]) -> list[ConfigError]:
    return schema_problems(parse_yaml(text, "p.yaml"), schema)


def _where(problems: list[ConfigError]) -> list[tuple[int | None, int | None]]:
    return [(p.line, p.column) for p in problems]


def _only(text: str, schema: dict[str, Any]) -> ConfigError:
    problems = _problems(text, schema)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- the shipped files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [POLICY_SCHEMA, VOCABULARY_SCHEMA, TESTS_SCHEMA])
def test_the_shipped_schemas_are_generated_from_the_shipped_vocabulary(name: str) -> None:
    vocabulary = load_yaml(REPO / "policies" / "vocabulary.yaml").data
    shipped = (REPO / "policies" / name).read_text(encoding="utf-8")
    assert shipped == schema_text(generated_schemas(vocabulary)[name]), (
        f"policies/{name} is out of date with policies/vocabulary.yaml or gateway/policy/schema.py; "
        f"regenerate it with: {REGENERATE}"
    )


def test_the_shipped_vocabulary_matches_its_schema() -> None:
    doc = load_yaml(REPO / "policies" / "vocabulary.yaml")
    assert [str(p) for p in schema_problems(doc, build_vocabulary_schema())] == []


def test_write_schemas_writes_what_the_builders_make(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.yaml").write_text(VOCABULARY, encoding="utf-8")
    written = write_schemas(tmp_path)
    vocabulary = parse_yaml(VOCABULARY, "v").data
    assert sorted(p.name for p in written) == sorted([POLICY_SCHEMA, VOCABULARY_SCHEMA, TESTS_SCHEMA])
    assert json.loads((tmp_path / POLICY_SCHEMA).read_text(encoding="utf-8")) == build_policy_schema(vocabulary)
    assert json.loads((tmp_path / TESTS_SCHEMA).read_text(encoding="utf-8")) == build_policy_tests_schema(vocabulary)


# --- the vocabulary in the schema -------------------------------------------------------------------------------


def test_names_come_from_the_vocabulary(schema: dict[str, Any]) -> None:
    defs = schema["$defs"]
    assert defs["category"]["enum"] == [
        *("NP.BUSINESS", "PI.CONTACT", "PI.EMPLOYEE", "SPI.GOV_ID"),
        *("NP.*", "PI.*", "SPI.*"),
    ]
    assert defs["mechanism"]["enum"] == ["CN_SCC", "SG_LEO_CONTRACT", "CN_EX_HR", "SG_CONSENT", "OLD_STYLE"]
    assert defs["held_mechanism"]["enum"] == ["CN_SCC", "SG_LEO_CONTRACT", "OLD_STYLE"]
    assert defs["purpose"]["enum"] == ["payroll", "hr_administration"]
    assert defs["jurisdiction"]["enum"] == ["CN", "SG"]
    assert defs["scenario"]["enum"] == ["general", "hr"]
    assert "enum" not in defs["detector"]


def test_the_schema_is_draft_2020_12_with_help_on_hover(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert "境外接收方" in schema["properties"]["recipients"]["description"]
    assert "单独同意" in json.dumps(schema["$defs"]["require_consent"], ensure_ascii=False)
    assert all("description" in prop for prop in schema["$defs"]["rule"]["properties"].values())


def test_a_valid_policy_has_no_problems(schema: dict[str, Any]) -> None:
    assert [str(p) for p in _problems(POLICY, schema)] == []


# --- the three planted mistakes ---------------------------------------------------------------------------------


def test_three_planted_mistakes_are_exactly_the_problems_with_line_and_column(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "categories_any: [SPI.GOV_ID]", "categories_any: [SPI.GOV_DI]")
    text = edit_once(text, "    legal: 2024 Provisions Art 5(2)\n", "")
    text = edit_once(text, "keep_last: $keep", 'keep_last: "four"')

    problems = _problems(text, schema)

    assert _where(problems) == [
        _at(text, "SPI.GOV_DI"),
        _at(text, "id: R-HR"),  # the rule that lacks 'legal'
        _at(text, "keep_last"),
    ]
    assert [p.file for p in problems] == ["p.yaml"] * 3
    category, legal, keep = (p.message for p in problems)
    assert category.startswith("/rules/0/when/categories_any/0: unknown category 'SPI.GOV_DI'")
    assert "(did you mean 'SPI.GOV_ID'?)" in category
    assert legal == "/rules/1: a rule needs 'legal' (the legal reference it applies)"
    assert keep == "/rules/1/obligations/0/mask/keep_last: must be a whole number or a $parameter, not a string"
    line, column = _at(text, "keep_last")
    assert str(problems[2]) == f"p.yaml:{line}:{column}: {keep}"


def test_every_problem_is_reported_in_file_order(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "jurisdiction: CN, ciio", "jurisdiction: XX, ciio")
    text = edit_once(text, "effect: deny", "effect: deny!")
    text = edit_once(text, "to: year", "to: day")
    text = edit_once(text, "purposes: [hr_administration, payroll]", "purposes: [payrol]")
    problems = _problems(text, schema)
    assert _where(problems) == sorted(_where(problems))
    assert _where(problems) == [_at(text, "jurisdiction: XX"), _at(text, "payrol]"), _at(text, "effect: deny!"),
                                _at(text, "to: day")]  # fmt: skip
    assert "unknown purpose 'payrol' (did you mean 'payroll'?)" in problems[1].message


# --- unknown keys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ("policy: test\n", "policy: test\npolicyy: x\n", "policyy", "unknown field 'policyy' at the top level"),
        ("ciio: false}", "ciio: false, cio: true}", "cio", "unknown field 'cio' in an exporter"),
        ("    related: false\n", "    related: false\n    colour: red\n", "colour", "in a recipient"),
        ("        countries: [SG]\n", "        countries: [SG]\n        country: SG\n", "country", "in a mechanism"),
        ("    effect: deny\n", "    effect: deny\n    lgeal: x\n", "lgeal", "unknown field 'lgeal' in a rule"),
        ("      scenarios: [hr]\n", "      scenarios: [hr]\n      scenario: [hr]\n", "scenario", "unknown condition"),
        ("below: $limit}", "below: $limit, above: 3}", "above", "unknown field 'above' in a range"),
        ("      - redact: {detectors", "      - redacted: {detectors", "redacted", "unknown obligation 'redacted'"),
        ("keep_first: 0}", "keep_first: 0, keep_middle: 1}", "keep_middle", "in a mask obligation"),
        ("on_missing: drop\n", "on_missing: drop\n          reminder: yes\n", "reminder", "in a require_consent"),
    ],
)
def test_unknown_keys_are_reported_at_the_key_at_every_level(
    schema: dict[str, Any], old: str, new: str, key: str, words: str
) -> None:
    text = edit_once(POLICY, old, new)
    problem = _only(text, schema)
    assert (problem.line, problem.column) == _at(text, f"{key}:")
    assert words in problem.message
    assert "expected one of" in problem.message


def test_an_unknown_key_close_to_a_known_one_is_suggested(schema: dict[str, Any]) -> None:
    problem = _only(edit_once(POLICY, "    effect: deny\n", "    effect: deny\n    enabeld: true\n"), schema)
    assert "(did you mean 'enabled'?)" in problem.message
    problem = _only(edit_once(POLICY, "    effect: deny\n", "    effect: deny\n    colour: red\n"), schema)
    assert "did you mean" not in problem.message


# --- parameters -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("max_individuals: $limit", "max_individuals: $other_limit"),
        ("keep_first: 0", "keep_first: $keep"),
        ("exporter_ciio: $on", "exporter_ciio: $flag_2"),
        ("purpose_permitted: true", "purpose_permitted: $on"),
        ("{at_least: 1, below: $limit}", "{at_least: $limit}"),
        ("separate: $on", "separate: $on"),
    ],
)
def test_a_parameter_stands_where_a_number_or_true_false_goes(schema: dict[str, Any], old: str, new: str) -> None:
    assert _problems(edit_once(POLICY, old, new), schema) == []


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("ciio: false}", "ciio: $on}", "must be true or false, not a string"),
        ("    related: false", "    related: $on", "must be true or false, not a string"),
        ("effect: deny", "effect: $on", "must be allow, deny or oblige"),
        ("level_at_least: sensitive", "level_at_least: $on", "unknown level '$on'"),
        ("categories_any: [SPI.GOV_ID]", "categories_any: [$on]", "unknown category '$on'"),
        ("valid_from: 2026-01-01", "valid_from: $on", "must be a date written YYYY-MM-DD"),
        ("max_individuals: $limit", "max_individuals: $Limit", "a parameter reference is '$' and a lower_case name"),
        ("keep_first: 0", "keep_first: -1", "must be 0 or more"),
        ("enabled: $on", "enabled: 'yes'", "must be true/false or a $parameter, not a string"),
        ("enabled: $on", "enabled: 1", "must be true/false or a $parameter, not a number"),
    ],
)
def test_parameters_are_refused_elsewhere_and_wrong_values_explained(
    schema: dict[str, Any], old: str, new: str, words: str
) -> None:
    problem = _only(edit_once(POLICY, old, new), schema)
    assert words in problem.message


def test_parameter_names_are_checked_at_the_name(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "  keep: 4\n", "  Keep: 4\n")
    problem = _only(text, schema)
    assert (problem.line, problem.column) == _at(text, "Keep:")


# --- conditions and rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "marker", "words"),
    [
        ("- {purposes: [payroll]}", "- {}", "{}", "an empty condition would match every transfer"),
        ("      any:\n        - {purposes: [payroll]}\n        - not: {level_at_least: sensitive}\n",
         "      any: []\n", "any: []", "must list at least one condition"),
        ("      origin: [CN]\n", "      all: []\n      origin: [CN]\n", "all:", "must list at least one condition"),
        ("not: {level_at_least: sensitive}", "not: {}", "not:", "an empty condition"),
        ("when: {categories_any: [PI.CONTACT], purpose_permitted: true}", "when: {}", "when: {}", "an empty condition"),
        ("{at_least: 1, below: $limit}", "{}", "individuals: {}", "give at_least, below or both"),
    ],
)  # fmt: skip
def test_empty_conditions_are_refused(schema: dict[str, Any], old: str, new: str, marker: str, words: str) -> None:
    text = edit_once(POLICY, old, new)
    problem = _only(text, schema)
    assert (problem.line, problem.column) == _at(text, marker)
    assert words in problem.message


def test_required_fields_are_reported_at_the_mapping_that_lacks_them(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "        reference: SIP-SCC-1\n", "")
    text = edit_once(text, "    description: Separate consent for contact data.\n    legal: PIPL Art 39\n", "")
    problems = _problems(text, schema)
    assert _where(problems) == [_at(text, "id: CN_SCC"), _at(text, "id: R-CONSENT")]
    assert problems[0].message.endswith("a mechanism held by a recipient needs 'reference' (its reference)")
    assert "needs 'description'" in problems[1].message
    assert "and 'legal'" in problems[1].message


def test_the_effect_decides_what_a_rule_may_have(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "    effect: deny\n", "    effect: deny\n    mechanism: [CN_SCC]\n")
    assert "only an allow rule relies on a mechanism" in _only(text, schema).message
    text = edit_once(POLICY, "    effect: deny\n", "    effect: deny\n    obligations: [{redact: {paths: [/a]}}]\n")
    assert "a deny rule has no obligations" in _only(text, schema).message
    text = edit_once(POLICY, "    effect: oblige\n    obligations:", "    effect: oblige\n    obligationz:")
    messages = [p.message for p in _problems(text, schema)]
    assert any("an oblige rule needs 'obligations'" in m for m in messages), messages


def test_held_mechanisms_are_only_those_a_recipient_can_hold(schema: dict[str, Any]) -> None:
    text = edit_once(POLICY, "      - id: CN_SCC", "      - id: CN_EX_HR")
    assert "CN_EX_HR is relied on by a rule" in _only(text, schema).message
    text = edit_once(POLICY, "lacks_mechanism: [CN_SCC]", "lacks_mechanism: [SG_CONSENT]")
    assert "SG_CONSENT is relied on by a rule" in _only(text, schema).message
    text = edit_once(POLICY, "mechanism: [CN_EX_HR, CN_SCC]", "mechanism: [CN_EX_HR, CN_SCX]")
    assert "unknown mechanism 'CN_SCX' (did you mean 'CN_SCC'?)" in _only(text, schema).message


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("      - redact: {detectors: [sg_nric_fin]}", "      - redact: {}", "needs at least one of 'categories'"),
        ("      - redact: {detectors: [sg_nric_fin]}", "      - {redact: {paths: [/a]}, mask: {paths: [/b]}}",
         "an obligation is exactly one of redact, mask"),
        ("detectors: [sg_nric_fin]", "detectors: [SG-NRIC]", "lower-case letters"),
        ("paths: [/birth]", "paths: [birth]", "a path is a JSON pointer"),
        ("on_missing: drop", "on_missing: ignore", "unknown consequence 'ignore'"),
        ("notice: [recipient_name", "notice: [recipient_nme", "did you mean 'recipient_name'?"),
        ("given_by: individual", "given_by: parent", "unknown consenting party 'parent'"),
    ],
)  # fmt: skip
def test_obligations_are_checked(schema: dict[str, Any], old: str, new: str, words: str) -> None:
    assert words in _only(edit_once(POLICY, old, new), schema).message


def test_a_pseudonymisation_key_is_never_echoed(schema: dict[str, Any]) -> None:
    secret = "3f9a0c77d1e24b6a8f5e0b9c2d7a1e4f"
    problem = _only(edit_once(POLICY, "key: staff-2026", f"key: 'K={secret}'"), schema)
    assert "never the key itself" in problem.message
    assert secret not in str(problem)


def test_long_values_are_cut_in_messages(schema: dict[str, Any]) -> None:
    long = "X" * 500
    problem = _only(edit_once(POLICY, "effect: deny", f"effect: {long}"), schema)
    assert "X" * 64 not in problem.message
    assert "…" in problem.message


def test_family_patterns_follow_the_vocabulary(schema: dict[str, Any]) -> None:
    assert _problems(edit_once(POLICY, "categories: [PI.*, NP.BUSINESS]", "categories: [SPI.*, NP.*]"), schema) == []
    problem = _only(edit_once(POLICY, "categories: [PI.*, NP.BUSINESS]", "categories: [IMP.*]"), schema)
    assert "unknown category 'IMP.*'" in problem.message


def test_a_policy_that_is_not_a_mapping() -> None:
    problem = _only("- a\n- b\n", build_policy_schema({}))
    assert problem.message == "/: must be a mapping, not a list"
    assert (problem.line, problem.column) == (1, 1)


# --- the other files ---------------------------------------------------------------------------------------------

CASES = """\
- name: Payroll to HR
  request:
    exporter: cn-maker
    route: sg-hr
    purpose: payroll
    at: 2026-06-01T09:00:00+08:00
    body: {employee_no: E-1, mobile: "13800138000"}
    categories: [PI.CONTACT]
  facts:
    ytd_personal: 120000
    consents:
      "": [{id: c-1, recipients: [sg-hr], purposes: [payroll], categories: [PI.*], separate: true,
           notice: [purpose], given_at: 2026-01-05T00:00:00+08:00, status: withdrawn}]
  expect:
    effect: allow
    rule: R-HR
    mechanism: CN_SCC
    edits: {/mobile: mask}
    dropped: []
- name: Nothing matched
  request: {route: sg-hr, at: 2026-06-01}
  expect: {effect: deny, rule: null, mechanism: null, reason_contains: refused}
"""


def test_test_case_files_have_a_schema_too() -> None:
    tests_schema = build_policy_tests_schema(parse_yaml(VOCABULARY, "v").data)
    assert _problems(CASES, tests_schema) == []
    text = edit_once(CASES, "status: withdrawn", "status: revoked")
    text = edit_once(text, "    rule: R-HR\n", "")
    text = edit_once(text, "    purpose: payroll\n", "    purpose: payroll\n    colour: red\n")
    text = edit_once(text, "at: 2026-06-01}", "at: tomorrow}")
    problems = _problems(text, tests_schema)
    assert _where(problems) == [_at(text, "colour"), _at(text, "status: revoked"), _at(text, "expect:"),
                                _at(text, "at: tomorrow")]  # fmt: skip
    assert "unknown field 'colour' in a request" in problems[0].message
    assert "unknown consent status 'revoked'" in problems[1].message
    assert "an expectation needs 'rule'" in problems[2].message
    assert "must be a time written like" in problems[3].message


def test_the_vocabulary_schema_knows_the_new_fields() -> None:
    vocabulary_schema = build_vocabulary_schema()
    assert _problems(VOCABULARY, vocabulary_schema) == []
    text = edit_once(VOCABULARY, "{kind: exemption}", "{kind: waiver, related_only: maybe}")
    text = edit_once(text, "{level: general}", "{levle: general}")
    messages = [p.message for p in _problems(text, vocabulary_schema)]
    assert messages == [
        "/categories/NP.BUSINESS: a category needs 'level' (its level, lowest first)",
        "/categories/NP.BUSINESS/levle: unknown field 'levle' in a category (did you mean 'level'?); "
        "expected one of en, level, note, zh",
        "/mechanisms/CN_EX_HR/kind: unknown kind 'waiver'; expected one of held, exemption, consent",
        "/mechanisms/CN_EX_HR/related_only: must be true or false, not a string",
    ]


# --- speed ------------------------------------------------------------------------------------------------------


def _big_policy(rules: int) -> Json:
    doc = parse_yaml(POLICY, "p.yaml").data
    assert isinstance(doc, dict)
    written = doc["rules"]
    assert isinstance(written, list)
    made: list[Json] = []
    for i in range(rules):
        rule = written[i % len(written)]
        assert isinstance(rule, dict)
        made.append({**rule, "id": f"R-{i}"})
    doc["rules"] = made
    return doc


def test_a_200_rule_policy_validates_well_under_a_second(schema: dict[str, Any]) -> None:
    text = json.dumps(_big_policy(200))  # JSON is YAML
    doc = parse_yaml(text, "big.yaml")
    schema_problems(doc, schema)  # the validator is built once per schema
    started = time.perf_counter()
    assert schema_problems(doc, schema) == []
    assert time.perf_counter() - started < 0.5
