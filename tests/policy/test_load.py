"""Loading, validating and compiling policy directories: the shipped policy, revisions, and errors with lines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.model import Effect, Level, Obligation
from gateway.policy.compiled import CompiledPolicy
from gateway.policy.load import load_policy
from tests.textedit import edit_once, line_of

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
SHIPPED = POLICIES / "sip-sg"
VOCABULARY = POLICIES / "vocabulary.yaml"

# A small valid policy; each invalid case below changes one thing in it. The vocabulary is the real one.
HEAD = f"""\
policy: test
description: A policy written by the tests.
vocabulary: {VOCABULARY}
accept_content_types: [application/json]
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion-people.example
    purposes: [hr_administration, payroll]
    mechanisms:
      - id: CN_SCC
        reference: SIP-SCC-2026-0042
        valid_from: 2026-01-01
        valid_until: 2028-12-31
        categories: [NP.*, PI.CONTACT]
"""
RULES = """\
rules:
  - id: DENY-CORE
    reason: Core data stays.
    legal: DSL Art 21
    when: {categories_any: [CORE.*]}
    effect: deny
  - id: ALLOW-PI
    reason: Personal information under the contract.
    legal: PIPL Art 38(3)
    when: {level_at_least: personal, purpose_permitted: true}
    effect: allow
    mechanism: [CN_SCC]
    obligations:
      - mask: {categories: [PI.CONTACT], keep_last: 4}
"""
BASE = HEAD + RULES


def _write(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "policy.yaml").write_text(text, encoding="utf-8")
    return directory / "policy.yaml"


@pytest.fixture(scope="module")
def shipped() -> CompiledPolicy:
    return load_policy(SHIPPED)


def test_shipped_policy_compiles(shipped: CompiledPolicy) -> None:
    """The example policy compiles with its rules in file order, its recipient and a sha256 revision."""
    assert shipped.name == "sip-sg"
    assert [r.id for r in shipped.rules] == [
        "CN-CORE-01",
        "RCPT-PURPOSE-01",
        "CN-SPI-01",
        "CN-NONPI-01",
        "CN-PI-SCC-01",
    ]
    assert [r.effect for r in shipped.rules] == [Effect.DENY] * 3 + [Effect.ALLOW] * 2
    assert set(shipped.recipients) == {"sg-hr"}
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", shipped.revision)
    assert shipped.accept_content_types == frozenset({"application/json"})


def test_shipped_policy_compiles_recipient_and_obligation(shipped: CompiledPolicy) -> None:
    """The recipient's contract expands NP.* against the vocabulary, and the mask obligation keeps four characters."""
    recipient = shipped.recipients["sg-hr"]
    assert recipient.jurisdiction == "SG"
    assert recipient.purposes == frozenset({"hr_administration", "payroll"})
    (scc,) = recipient.mechanisms
    assert (scc.mechanism, scc.reference) == ("CN_SCC", "SIP-SCC-2026-0042")
    assert scc.categories == frozenset(
        {"NP.PUBLIC", "NP.BUSINESS", "NP.TECH", "NP.DERIVED", "PI.BASIC", "PI.CONTACT", "PI.EMPLOYEE"}
    )
    pi_rule = shipped.rules[-1]
    assert pi_rule.mechanisms == ("CN_SCC", "CN_CERT", "CN_SA")
    assert pi_rule.obligations == (Obligation("mask", ("PI.CONTACT",), "CN-PI-SCC-01", keep_first=0, keep_last=4),)
    assert shipped.levels["SPI.GOV_ID"] is Level.SENSITIVE
    assert shipped.levels["CORE.DATA"] is Level.CORE


def test_small_base_policy_is_valid(tmp_path: Path) -> None:
    """The base text that the invalid cases start from is itself a valid policy (so each case fails for one reason)."""
    _write(tmp_path, BASE)
    policy = load_policy(tmp_path)
    assert [r.id for r in policy.rules] == ["DENY-CORE", "ALLOW-PI"]


def _copy_policies(tmp_path: Path) -> Path:
    shutil.copytree(POLICIES, tmp_path / "policies")
    return tmp_path / "policies"


def test_copied_policy_has_the_same_revision(tmp_path: Path, shipped: CompiledPolicy) -> None:
    """The revision depends on content only, not on where the directory lives."""
    copy = _copy_policies(tmp_path)
    assert load_policy(copy / "sip-sg").revision == shipped.revision


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("# Example policy", "# A reworded comment about the example policy"),
        ("policy: sip-sg\n", "\n\n# added comment\npolicy:    sip-sg   # trailing comment\n"),
        ("when: {categories_any: [CORE.*]}", "when: {  categories_any  : [ CORE.* ]  }"),
        ("when: {categories_any: [CORE.*]}", "when:\n      categories_any:\n        - CORE.*"),
        ("    effect: deny\n\n  - id: RCPT", "    effect: 'deny'\n\n  - id: RCPT"),
    ],
    ids=["comment", "blank-lines-and-spacing", "flow-spacing", "flow-to-block", "quoted-scalar"],
)
def test_revision_stable_under_formatting(tmp_path: Path, shipped: CompiledPolicy, old: str, new: str) -> None:
    """Comments, whitespace and YAML style do not change the revision."""
    copy = _copy_policies(tmp_path)
    policy_file = copy / "sip-sg" / "policy.yaml"
    policy_file.write_text(edit_once(policy_file.read_text(encoding="utf-8"), old, new), encoding="utf-8")
    assert load_policy(copy / "sip-sg").revision == shipped.revision


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("sip-sg/policy.yaml", "keep_last: 4", "keep_last: 3"),
        ("sip-sg/policy.yaml", "valid_until: 2028-12-31", "valid_until: 2028-12-30"),
        (
            "sip-sg/policy.yaml",
            "when: {purpose_permitted: false}",
            "when: {purpose_permitted: false, jurisdictions: [SG]}",
        ),
        ("sip-sg/policy.yaml", "reason: Core data may not", "reason: Core data must not"),
        ("vocabulary.yaml", "  logistics:", "  research:         {en: Research}\n  logistics:"),
    ],
    ids=["obligation", "validity", "condition", "reason-text", "vocabulary"],
)
def test_revision_changes_with_meaning(tmp_path: Path, shipped: CompiledPolicy, file: str, old: str, new: str) -> None:
    """Any change to a rule, a recipient or the vocabulary gives a new revision."""
    copy = _copy_policies(tmp_path)
    target = copy / file
    target.write_text(edit_once(target.read_text(encoding="utf-8"), old, new), encoding="utf-8")
    changed = load_policy(copy / "sip-sg").revision
    assert changed.startswith("sha256:")
    assert changed != shipped.revision


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
        "unknown field 'colour'",
    ),
    (
        "unknown-category",
        "when: {categories_any: [CORE.*]}",
        "when:\n      categories_any:\n        - CORE.DATA\n        - PI.SHOE_SIZE",
        "PI.SHOE_SIZE",
        "'PI.SHOE_SIZE' names no category",
    ),
    (
        "unknown-category-pattern",
        "when: {categories_any: [CORE.*]}",
        "when: {categories_any: [XYZ.*]}",
        "XYZ.*",
        "'XYZ.*' names no category",
    ),
    (
        "empty-when",
        "when: {categories_any: [CORE.*]}",
        "when: {}",
        "when: {}",
        "empty 'when'",
    ),
    (
        "duplicate-rule-id",
        "  - id: ALLOW-PI\n",
        "  - id: DENY-CORE  # second use\n",
        "# second use",
        "rule id 'DENY-CORE' is used twice",
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
        "a deny rule has no mechanism",
    ),
    (
        "unknown-mechanism-held",
        "      - id: CN_SCC",
        "      - id: CN_MAGIC",
        "CN_MAGIC",
        "unknown mechanism 'CN_MAGIC'",
    ),
    (
        "unknown-mechanism-in-rule",
        "mechanism: [CN_SCC]",
        "mechanism: [CN_SCC, CN_WISHFUL]",
        "CN_WISHFUL",
        "unknown mechanism 'CN_WISHFUL'",
    ),
    (
        "valid-until-before-from",
        "valid_until: 2028-12-31",
        "valid_until: 2025-12-31",
        "valid_until: 2025-12-31",
        "ends before valid_from",
    ),
    (
        "bad-date-month",
        "valid_from: 2026-01-01",
        "valid_from: 2026-13-01",
        "2026-13-01",
        "must be a date written YYYY-MM-DD",
    ),
    (
        "bad-date-text",
        "valid_until: 2028-12-31",
        "valid_until: end of 2028",
        "end of 2028",
        "must be a date written YYYY-MM-DD",
    ),
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
    (
        "empty-rules",
        RULES,
        "rules: []\n",
        "rules: []",
        "at least one rule",
    ),
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
    (
        "unknown-level",
        "level_at_least: personal",
        "level_at_least: secret",
        "secret",
        "unknown level 'secret'",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_policy_names_file_and_line(tmp_path: Path, old: str, new: str, marker: str, message: str) -> None:
    """Each kind of invalid policy raises ConfigError naming policy.yaml and the offending line."""
    text = edit_once(BASE, old, new)
    policy_file = _write(tmp_path, text)
    line = line_of(text, marker)
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path)
    err = caught.value
    assert message in str(err)
    assert str(err).startswith(f"{policy_file}:{line}:"), str(err)
    assert (err.file, err.line) == (str(policy_file), line)


def test_duplicate_yaml_key_message_has_no_stray_location(tmp_path: Path) -> None:
    """A duplicate-key error reads 'file:line: duplicate key ...' with the location once, not 'file:N: None:N: ...'."""
    text = edit_once(BASE, "    legal: DSL Art 21\n", "    legal: DSL Art 21\n    legal: DSL Art 22\n")
    policy_file = _write(tmp_path, text)
    line = line_of(text, "DSL Art 22")
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path)
    assert str(caught.value) == f"{policy_file}:{line}: duplicate key 'legal'"


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
    tmp_path: Path, old: str, new: str, marker: str, message: str
) -> None:
    """An error about a field whose value is a block mapping or list names the line of the field's key."""
    text = edit_once(BASE, old, new)
    policy_file = _write(tmp_path, text)
    line = line_of(text, marker)
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{policy_file}:{line}:"), str(caught.value)


def test_missing_vocabulary_file_is_a_config_error(tmp_path: Path) -> None:
    """A vocabulary path that does not exist is reported as a ConfigError naming that path."""
    _write(tmp_path, edit_once(BASE, f"vocabulary: {VOCABULARY}", "vocabulary: ./nowhere.yaml"))
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_policy(tmp_path)
    assert caught.value.file == str((tmp_path / "nowhere.yaml").resolve())
