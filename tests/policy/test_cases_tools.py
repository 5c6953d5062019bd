"""Policy test cases and the operators' tools: ``gateway policy test|check|explain|diff``, through the CLI.

Exit statuses as gateway/policy/tools.py states them: 0 all is well; 1 the policy has problems, a case failed or
(diff) some decision changes; 2 the input could not be read at all (the CLI's answer to a ConfigError that is not a
list of policy problems, e.g. a YAML syntax error).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.policy.cases import evaluate, load_cases, outcome_differences
from gateway.policy.load import load_policy
from tests.textedit import edit_once, line_of

CHILD_ID = "110105201601010006"  # constructed: born 2016-01-01, unissued sequence 000 (see tests/classify/test_age.py)
NRIC = "S1234567D"

POLICY = """\
policy: tools
vocabulary: vocabulary.yaml
accept_content_types: [application/json]
exporters:
  cn-maker: {name: CN Maker, jurisdiction: CN}
recipients:
  sg-hr:
    name: Merlion People Services Pte. Ltd.
    jurisdiction: SG
    contact: privacy@merlion.example
    routes: [sg-hr]
    purposes: [payroll]
    mechanisms:
      - {id: CN_SCC, reference: SCC-1, valid_from: 2026-01-01, valid_until: 2028-12-31,
         categories: [PI.*, SPI.GOV_ID, SPI.MINOR_U14]}
rules:
  - id: DENY-NRIC
    description: Singapore identity numbers stay.
    legal: PDPC NRIC Advisory Guidelines
    when: {detectors_any: [sg_nric_fin]}
    effect: deny
  - id: CONSENT-MINOR
    description: A child's information needs a guardian's consent.
    legal: PIPL Art 31
    when: {categories_any: [SPI.MINOR_U14]}
    effect: oblige
    obligations: [{require_consent: {categories: [SPI.MINOR_U14], given_by: guardian}}]
  - id: ALLOW-SCC
    description: Personal information under the contract.
    legal: PIPL Art 38(3)
    when: {level_at_least: personal}
    effect: allow
    mechanism: [CN_SCC]
    obligations: [{mask: {categories: [PI.CONTACT], keep_last: 4}}, {redact: {categories: [SPI.GOV_ID]}}]
  - id: ALLOW-MARKETING
    description: No case reaches this rule.
    legal: none
    when: {purposes: [marketing]}
    effect: allow
  - id: DENY-OFF
    description: Switched off.
    legal: none
    when: {purposes: [payroll]}
    effect: deny
    enabled: false
"""

REQUEST = "exporter: cn-maker, route: sg-hr, purpose: payroll, at: 2026-06-01T09:00:00+08:00"
CASES = f"""\
- name: Contact under the contract
  request: {{{REQUEST}, body: {{mobile: "13800138000", dept: ops}}}}
  expect: {{effect: allow, rule: ALLOW-SCC, mechanism: CN_SCC, edits: {{/mobile: mask}}, dropped: []}}

- name: NRIC refused
  request: {{{REQUEST}, body: {{nric: {NRIC}}}}}
  expect: {{effect: deny, rule: DENY-NRIC, reason_contains: Singapore identity numbers}}

- name: Child without a guardian's consent
  request: {{{REQUEST}, body: {{sfzh: "{CHILD_ID}"}}}}
  expect: {{effect: deny, rule: CONSENT-MINOR, reason_contains: "1 of 1 individual(s) lack"}}

- name: Child with a guardian's consent
  request: {{{REQUEST}, body: {{sfzh: "{CHILD_ID}"}}}}
  facts:
    consents:
      "": [{{id: c-1, given_by: guardian, recipients: [sg-hr], purposes: [payroll],
            categories: [SPI.*], given_at: 2026-01-05T09:00:00+08:00}}]
  expect: {{effect: allow, rule: ALLOW-SCC, edits: {{/sfzh: redact}}}}

- name: Nothing personal, no rule
  request: {{{REQUEST}, body: {{sku: A-1}}}}
  expect: {{effect: deny, rule: null}}

- name: A time without an offset is UTC+8 (the contract's last day)
  request: {{exporter: cn-maker, route: sg-hr, purpose: payroll, at: 2028-12-31T23:30:00,
            body: {{mobile: "13800138000"}}}}
  expect: {{effect: allow, rule: ALLOW-SCC}}
"""
N_CASES = 6


@pytest.fixture
def policy_dir(write_policy_dir: Callable[..., Path]) -> Path:
    return write_policy_dir(POLICY, cases={"cases.yaml": CASES})


def test_all_cases_pass(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every case passes: exit 0, the summary, and the rules no case reaches (not the switched-off one)."""
    assert main(["policy", "test", str(policy_dir)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    assert "rules no case reaches: ALLOW-MARKETING\n" in out
    assert "DENY-OFF" not in out
    assert out.endswith(f"{N_CASES} cases: {N_CASES} passed, 0 failed\n")


def test_verbose_lists_passing_cases(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "test", "-v", str(policy_dir)]) == 0
    out = capsys.readouterr().out
    cases_file = policy_dir / "tests" / "cases.yaml"
    assert f"ok   {cases_file}:{line_of(CASES, 'Contact under the contract')}  Contact under the contract" in out
    assert out.count("\nok   ") + out.startswith("ok   ") == N_CASES


def test_failing_case_prints_the_differences_and_the_trace(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A case expecting other than what happens: exit 1, a FAIL line, each difference and the decision's trace."""
    wrong = edit_once(
        CASES,
        "expect: {effect: allow, rule: ALLOW-SCC, mechanism: CN_SCC, edits: {/mobile: mask}, dropped: []}",
        "expect: {effect: allow, rule: ALLOW-OTHER, mechanism: CN_SCC, edits: {/mobile: redact, /dept: mask},"
        " dropped: [/x], reason_contains: nowhere}",
    )
    directory = write_policy_dir(POLICY, cases={"cases.yaml": wrong})
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    where = f"{directory / 'tests' / 'cases.yaml'}:{line_of(wrong, 'Contact under the contract')}"
    assert f"FAIL {where}  Contact under the contract\n" in out
    assert "     rule: expected 'ALLOW-OTHER', got 'ALLOW-SCC'\n" in out
    assert "     edit at /dept: expected 'mask', got None\n" in out
    assert "     edit at /mobile: expected 'redact', got 'mask'\n" in out
    assert "     dropped: expected ['/x'], got []\n" in out
    assert "     reason: expected it to contain 'nowhere', got 'Personal information under the contract.'\n" in out
    assert "effect: expected" not in out
    assert "mechanism: expected" not in out
    assert "       | decision: allow  rule: ALLOW-SCC  revision: sha256:" in out
    assert "       | mechanism: CN_SCC SCC-1\n" in out
    assert "       | matched: ALLOW-SCC (allow) - PIPL Art 38(3)\n" in out
    assert "       | edit: mask /mobile\n" in out
    assert out.count("FAIL ") == 1
    assert out.endswith(f"{N_CASES} cases: {N_CASES - 1} passed, 1 failed\n")


def test_case_that_cannot_be_evaluated_fails(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A case naming a route of no recipient fails with 'cannot evaluate'; the other cases still run."""
    cases = CASES + "\n- name: Nowhere\n  request: {route: nowhere, at: 2026-06-01T09:00:00+08:00}\n"
    cases += "  expect: {effect: deny, rule: null}\n"
    directory = write_policy_dir(POLICY, cases={"cases.yaml": cases})
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "  Nowhere\n     cannot evaluate: " in out
    assert "route 'nowhere' leads to no recipient" in out
    assert out.endswith(f"{N_CASES + 1} cases: {N_CASES} passed, 1 failed\n")


def test_invalid_policy_fails_the_test_run(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """With an invalid policy no case runs: its problems are printed and the exit status is 1."""
    bad = edit_once(POLICY, "level_at_least: personal", "level_at_least: secret")
    directory = write_policy_dir(bad, cases={"cases.yaml": CASES})
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert f"{directory / 'policy.yaml'}:{line_of(bad, 'secret')}:" in out
    assert "unknown level 'secret'" in out
    assert out.endswith("1 problem found\n")
    assert "cases:" not in out


def test_invalid_case_file_reports_every_bad_case(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A case without 'rule' and one with an unknown field are both reported, by case file and line; exit 1."""
    bad = edit_once(CASES, "expect: {effect: deny, rule: null}", "expect: {effect: deny}")
    bad = edit_once(bad, "- name: NRIC refused\n", "- name: NRIC refused\n  colour: red\n")
    directory = write_policy_dir(POLICY, cases={"cases.yaml": bad})
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    file = directory / "tests" / "cases.yaml"
    assert f"{file}:{line_of(bad, 'colour: red')}:" in out
    assert f"{file}:{line_of(bad, 'expect: {effect: deny}')}:" in out
    assert "a case must expect 'rule'" in out
    assert out.endswith("2 problems found\n")


def test_policy_file_that_is_not_yaml_is_a_problem_of_the_policy(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy.yaml that does not parse is reported like any other problem: on stdout with its line, exit 1."""
    directory = write_policy_dir(
        POLICY.replace("    legal: none\n", "    legal: none: at all\n", 1), cases={"c.yaml": CASES}
    )
    for command in (["policy", "test", str(directory)], ["policy", "check", str(directory)]):
        assert main(command) == 1
        out = capsys.readouterr().out
        assert out.startswith(f"{directory / 'policy.yaml'}:")
        assert "not valid YAML" in out
        assert out.endswith("1 problem found\n")


def test_problems_found_before_the_rules_are_compiled_are_listed_too(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown top-level field or a bad vocabulary: listed with file and line on stdout, exit 1."""
    top = write_policy_dir("owner: someone\n" + POLICY)
    assert main(["policy", "check", str(top)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"{top / 'policy.yaml'}:1")
    assert "unknown field 'owner'" in out
    vocabulary = (top / "vocabulary.yaml").read_text(encoding="utf-8").replace("{level: core}", "{level: molten}")
    bad_vocabulary = write_policy_dir(POLICY, vocabulary=vocabulary)
    assert main(["policy", "check", str(bad_vocabulary)]) == 1
    out = capsys.readouterr().out
    assert "unknown level 'molten'" in out
    assert "vocabulary.yaml:" in out


def test_policy_without_a_tests_folder_says_so(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy directory without tests/ has no cases; its own YAML files are not mistaken for cases."""
    directory = write_policy_dir(POLICY)
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "no tests/ folder" in out
    assert "a test case file is a list of cases" not in out


# --- check ------------------------------------------------------------------------------------------------------


def test_check_valid_policy(policy_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid policy: a summary with the counts, the switched-off rule and the revision; exit 0."""
    assert main(["policy", "check", str(policy_dir)]) == 0
    out = capsys.readouterr().out
    revision = load_policy(policy_dir).revision
    assert out == (
        f"policy tools: 4 rules, 1 switched off (DENY-OFF), 1 recipients, 1 exporters; revision {revision}\n"
    )


def test_check_prints_every_problem_with_file_and_line(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Three problems in one policy: each printed as file:line: message, in line order, then the count; exit 1."""
    bad = edit_once(POLICY, "    purposes: [payroll]\n", "    purposes: [payroll, astrology]\n")
    bad = edit_once(bad, "    legal: PIPL Art 31\n", "    legal: PIPL Art 31\n    colour: red\n")
    bad = edit_once(bad, "level_at_least: personal", "level_at_least: secret")
    directory = write_policy_dir(bad)
    assert main(["policy", "check", str(directory)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "3 problems found"
    file = str(directory / "policy.yaml")
    expected = [
        (line_of(bad, "astrology"), "unknown purpose 'astrology'"),
        (line_of(bad, "colour: red"), "unknown field 'colour'"),
        (line_of(bad, "secret"), "unknown level 'secret'"),
    ]
    assert len(lines) == 4
    for printed, (line, message) in zip(lines[:-1], expected, strict=True):
        assert re.fullmatch(rf"{re.escape(file)}:{line}(:\d+)?: /\S+: .*", printed), printed
        assert message in printed


def test_check_of_a_single_problem_says_problem(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_policy_dir(edit_once(POLICY, "level_at_least: personal", "level_at_least: secret"))
    assert main(["policy", "check", str(bad)]) == 1
    assert capsys.readouterr().out.endswith("\n1 problem found\n")


# --- explain ----------------------------------------------------------------------------------------------------

EXPLAIN_CASE = f"""\
request: {{{REQUEST}, body: {{mobile: "13800138000"}}}}
facts: {{ytd_personal: 120, ytd_sensitive: 0}}
"""


def test_explain_prints_the_decision_and_its_trace(
    policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """explain: the decision, the rule, the mechanism, the matched rules, the explanation and the edits."""
    request = tmp_path / "request.yaml"
    request.write_text(EXPLAIN_CASE, encoding="utf-8")
    assert main(["policy", "explain", "--policy", str(policy_dir), str(request)]) == 0
    out = capsys.readouterr().out.splitlines()
    revision = load_policy(policy_dir).revision
    assert out[0] == f"decision: allow  rule: ALLOW-SCC  revision: {revision}"
    assert out[1] == "reason: Personal information under the contract."
    assert "mechanism: CN_SCC SCC-1" in out
    assert "matched: ALLOW-SCC (allow) - PIPL Art 38(3)" in out
    assert (
        "  Exporter's individuals since 1 January, this transfer included: 120 (0 with sensitive personal information)."
        in out
    )
    assert any(line.startswith("  Chosen: CN_SCC SCC-1 (rule ALLOW-SCC): held by Merlion") for line in out)
    assert out[-1] == "edit: mask /mobile"
    assert all("13800138000" not in line for line in out)


def test_explain_a_bare_request_as_json(policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file holding just the request (JSON is YAML) is explained; --json prints the outcome and the trace."""
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "exporter": "cn-maker",
                "route": "sg-hr",
                "purpose": "payroll",
                "at": "2026-06-01T09:00:00+08:00",
                "body": {"nric": NRIC},
            }
        ),
        encoding="utf-8",
    )
    assert main(["policy", "explain", "--json", "--policy", str(policy_dir), str(request)]) == 0
    got = json.loads(capsys.readouterr().out)
    assert (got["effect"], got["rule"], got["mechanism"], got["edits"], got["dropped"]) == (
        "deny",
        "DENY-NRIC",
        None,
        {},
        [],
    )
    assert got["reason"] == "Singapore identity numbers stay."
    assert got["trace"][0].startswith("decision: deny  rule: DENY-NRIC")
    assert "matched: DENY-NRIC (deny) - PDPC NRIC Advisory Guidelines" in got["trace"]
    assert NRIC not in json.dumps(got)


def test_explain_a_consent_refusal(policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal for want of a guardian's consent says so in the reason and the trace, without the ID."""
    request = tmp_path / "child.yaml"
    request.write_text(f'request: {{{REQUEST}, body: {{sfzh: "{CHILD_ID}"}}}}\n', encoding="utf-8")
    assert main(["policy", "explain", "--policy", str(policy_dir), str(request)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("decision: deny  rule: CONSENT-MINOR")
    assert "1 of 1 individual(s) lack the consent rule CONSENT-MINOR requires: /: no consent is recorded." in out
    assert "Not chosen: CN_SCC SCC-1 (rule ALLOW-SCC): available" in out
    assert CHILD_ID not in out


def test_explain_of_an_unknown_route_exits_2(
    policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = tmp_path / "request.yaml"
    request.write_text("route: nowhere\nat: 2026-06-01T09:00:00+08:00\n", encoding="utf-8")
    assert main(["policy", "explain", "--policy", str(policy_dir), str(request)]) == 2
    assert "route 'nowhere' leads to no recipient" in capsys.readouterr().err


def test_explain_of_a_request_without_a_time_exits_2(
    policy_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A request without ``at`` cannot be decided: the CLI says so (exit 2), as for an unknown route."""
    request = tmp_path / "request.yaml"
    request.write_text("exporter: cn-maker\nroute: sg-hr\npurpose: payroll\nbody: {sku: A-1}\n", encoding="utf-8")
    assert main(["policy", "explain", "--policy", str(policy_dir), str(request)]) == 2
    assert "at" in capsys.readouterr().err


def test_diff_with_a_case_without_a_time_does_not_crash(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    cases = CASES + "\n- name: No time\n  request: {exporter: cn-maker, route: sg-hr, purpose: payroll}\n"
    cases += "  expect: {effect: deny, rule: null}\n"
    directory = write_policy_dir(POLICY, cases={"cases.yaml": cases})
    assert main(["policy", "diff", str(directory), str(directory), "--cases", str(directory)]) in {1, 2}


def test_policy_test_reports_a_case_without_a_time_as_failing(
    write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """``policy test`` turns the same problem into a failing case (exit 1), and runs the other cases."""
    cases = CASES + "\n- name: No time\n  request: {exporter: cn-maker, route: sg-hr, purpose: payroll}\n"
    cases += "  expect: {effect: deny, rule: null}\n"
    directory = write_policy_dir(POLICY, cases={"cases.yaml": cases})
    assert main(["policy", "test", str(directory)]) == 1
    out = capsys.readouterr().out
    assert "  No time\n     cannot evaluate: " in out
    assert out.endswith(f"{N_CASES + 1} cases: {N_CASES} passed, 1 failed\n")


# --- diff -------------------------------------------------------------------------------------------------------


def test_diff_without_changes_exits_0(
    policy_dir: Path, write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """A reformatted copy of the policy changes no decision: exit 0."""
    same = write_policy_dir(POLICY.replace("when: {level_at_least: personal}", "when:\n      level_at_least: personal"))
    assert main(["policy", "diff", str(policy_dir), str(same), "--cases", str(policy_dir)]) == 0
    out = capsys.readouterr().out
    assert "CHANGED" not in out
    assert re.fullmatch(
        rf"{N_CASES} cases: 0 change decision \(sha256:[0-9a-f]{{12}} -> sha256:[0-9a-f]{{12}}\)\n", out
    )


def test_diff_lists_the_cases_whose_decision_changes(
    policy_dir: Path, write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Masking becomes redaction: the cases with a contact change their edits; exit 1."""
    changed = write_policy_dir(
        POLICY.replace("{mask: {categories: [PI.CONTACT], keep_last: 4}}", "{redact: {categories: [PI.CONTACT]}}")
    )
    assert main(["policy", "diff", str(policy_dir), str(changed), "--cases", str(policy_dir / "tests")]) == 1
    out = capsys.readouterr().out
    file = policy_dir / "tests" / "cases.yaml"
    assert f"CHANGED {file}:{line_of(CASES, 'Contact under the contract')}  Contact under the contract\n" in out
    assert f"CHANGED {file}:{line_of(CASES, 'A time without an offset')}  " in out
    assert "     edits: {'/mobile': 'mask'} -> {'/mobile': 'redact'}\n" in out
    assert "effect:" not in out
    assert out.count("CHANGED") == 2
    assert f"{N_CASES} cases: 2 change decision" in out


def test_diff_reports_a_changed_effect(
    policy_dir: Path, write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Dropping the NRIC deny allows that case: effect, rule and mechanism are each shown old -> new."""
    changed = write_policy_dir(
        POLICY.replace("when: {detectors_any: [sg_nric_fin]}", "when: {detectors_any: [bank_card]}")
    )
    assert main(["policy", "diff", str(policy_dir), str(changed), "--cases", str(policy_dir)]) == 1
    out = capsys.readouterr().out
    assert "     effect: 'deny' -> 'allow'\n" in out
    assert "     rule: 'DENY-NRIC' -> 'ALLOW-SCC'\n" in out
    assert "     mechanism: None -> 'CN_SCC'\n" in out
    assert "     edits: {} -> {'/nric': 'redact'}\n" in out


def test_diff_with_an_invalid_policy_exits_2(
    policy_dir: Path, write_policy_dir: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid new policy: its problems are printed and the exit status is 2 (not 1, which means 'changes')."""
    bad = write_policy_dir(POLICY.replace("level_at_least: personal", "level_at_least: secret"))
    assert main(["policy", "diff", str(policy_dir), str(bad), "--cases", str(policy_dir)]) == 2
    out = capsys.readouterr().out
    assert "unknown level 'secret'" in out
    assert "CHANGED" not in out


# --- the library behind the tools ---------------------------------------------------------------------------------


def test_evaluate_and_differences(policy_dir: Path) -> None:
    """evaluate decides a case as the data path would; outcome_differences is empty exactly when the case passes."""
    policy = load_policy(policy_dir)
    cases = load_cases(policy_dir / "tests")
    assert [c.name for c in cases][:2] == ["Contact under the contract", "NRIC refused"]
    outcomes = [evaluate(policy, c) for c in cases]
    assert all(outcome_differences(c, o) == [] for c, o in zip(cases, outcomes, strict=True))
    contact = outcomes[0]
    assert (contact.effect, contact.rule, contact.mechanism) == ("allow", "ALLOW-SCC", "CN_SCC")
    assert contact.edits == {"/mobile": "mask"}
    assert contact.summary() == {
        "effect": "allow",
        "rule": "ALLOW-SCC",
        "mechanism": "CN_SCC",
        "edits": {"/mobile": "mask"},
        "dropped": [],
    }
    assert outcomes[3].decision.consents == ("c-1",)
    assert outcome_differences(cases[1], contact) == [
        "effect: expected 'deny', got 'allow'",
        "rule: expected 'DENY-NRIC', got 'ALLOW-SCC'",
        "reason: expected it to contain 'Singapore identity numbers', got 'Personal information under the contract.'",
    ]
