"""The policy's ``classification`` section: category overrides, declared paths, subject paths, operators' detectors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from stdnum import luhn

from gateway.cli import main
from gateway.model import Json
from gateway.policy.classification import _nested_repetition
from gateway.policy.load import PolicyInvalid, load_policy

REPO = Path(__file__).resolve().parents[2]

SECTION = """
classification:
  categories:
    cn_plate: PI.TRANSACTION
  paths:
    /employees/*/salary: PI.EMPLOYEE
  subjects:
    - /employees/*
  detectors:
    staff_number:
      category: PI.EMPLOYEE
      description: SIP staff numbers, with a Luhn check digit
      pattern: "SIP[0-9]{7}"
      checksum: luhn
      context: [staff, 工号, gonghao]
    blood_group:
      category: SPI.HEALTH
      words: [A+, A-, B+, B-, AB+, AB-, O+, O-]
      context: [blood, 血型]
    batch_code:
      category: NP.BUSINESS
      pattern: "BX-[0-9]{4}-[A-Z]{2}"
      in_text: true
"""


def _package(tmp_path: Path, section: str = SECTION) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    package = tmp_path / "policies" / "sip-sg"
    policy = package / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    at = text.index("\nexporters:")
    policy.write_text(text[:at] + "\n" + section.strip("\n") + "\n" + text[at:], encoding="utf-8")
    return package


def _staff_number(serial: int) -> str:
    digits = f"{serial:06d}"
    return f"SIP{digits}{luhn.calc_check_digit(digits)}"


def test_the_section_shapes_what_the_gateway_finds(tmp_path: Path) -> None:
    policy = load_policy(_package(tmp_path))
    staff = _staff_number(123456)
    bad_staff = staff[:-1] + str((int(staff[-1]) + 1) % 10)
    doc: Json = {
        "employees": [
            {
                "profile": {"name": "张伟", "mobile": "13912345678"},
                "salary": 23000,
                "staff_no": staff,
                "blood_type": "AB+",
                "car": "苏E12345",
            },
            {"profile": {"gonghao": bad_staff}, "salary": 18000, "note": "moved to batch BX-2026-QA"},
        ],
        "lot": "AB+",
    }
    found = policy.classifier.scan(doc)
    by_pointer = {(f.pointer, f.detector): f.category for f in found.findings}
    assert by_pointer[("/employees/0/staff_no", "staff_number")] == "PI.EMPLOYEE"
    assert ("/employees/1/profile/gonghao", "staff_number") not in by_pointer  # Luhn fails
    assert by_pointer[("/employees/0/blood_type", "blood_group")] == "SPI.HEALTH"
    assert ("/lot", "blood_group") not in by_pointer  # no context word in its key
    assert by_pointer[("/employees/0/car", "cn_plate")] == "PI.TRANSACTION"  # overridden category
    assert by_pointer[("/employees/0/salary", "declared_path")] == "PI.EMPLOYEE"
    assert by_pointer[("/employees/1/salary", "declared_path")] == "PI.EMPLOYEE"
    batch = [f for f in found.findings if f.detector == "batch_code"]
    assert [(f.pointer, f.start, f.end) for f in batch] == [("/employees/1/note", 15, 25)]
    # Findings in /employees/0/profile belong to the declared subject /employees/0, not to the profile object.
    assert [s.pointer for s in found.subjects] == ["/employees/0", "/employees/1"]
    assert found.subjects[0].key_detector == "cn_mobile"


def test_rules_may_name_the_policys_own_detectors(tmp_path: Path) -> None:
    package = _package(tmp_path)
    policy_file = package / "policy.yaml"
    text = policy_file.read_text(encoding="utf-8")
    policy_file.write_text(text.replace("detectors_any: [", "detectors_any: [staff_number, ", 1), encoding="utf-8")
    if "detectors_any: [staff_number" not in policy_file.read_text(encoding="utf-8"):
        pytest.fail("the shipped policy has no detectors_any condition to extend")
    load_policy(package)  # accepted: the id is the policy's own


def _problems(tmp_path: Path, section: str) -> list[tuple[int, str]]:
    package = _package(tmp_path, section)
    with pytest.raises(PolicyInvalid) as caught:
        load_policy(package)
    out = []
    for problem in caught.value.problems:
        m = re.search(r":(\d+)(?::\d+)?: (.*)", str(problem))
        assert m is not None, str(problem)
        out.append((int(m.group(1)), m.group(2)))
    return out


def test_mistakes_in_the_section_are_reported_with_their_lines(tmp_path: Path) -> None:
    section = """
classification:
  categories:
    cn_resident_idd: SPI.GOV_ID
  paths:
    /x/*: SPI.NOPE
  detectors:
    broken:
      category: PI.EMPLOYEE
      pattern: "SIP[0-9"
    cn_mobile:
      category: PI.CONTACT
      pattern: "[0-9]{11}"
    odd_sum:
      category: PI.EMPLOYEE
      pattern: "[0-9]{8}"
      checksum: crc32
    slow:
      category: PI.EMPLOYEE
      pattern: "(a+)+b"
"""
    problems = _problems(tmp_path, section)
    text = (tmp_path / "policies" / "sip-sg" / "policy.yaml").read_text(encoding="utf-8").splitlines()

    def line_of(fragment: str) -> int:
        return next(i for i, line in enumerate(text, 1) if fragment in line)

    lines = {line for line, _ in problems}
    messages = " | ".join(message for _, message in problems)
    assert line_of("cn_resident_idd") in lines, messages
    assert line_of("SPI.NOPE") in lines, messages
    assert line_of('pattern: "SIP[0-9"') in lines, messages
    assert line_of("checksum: crc32") in lines, messages
    assert line_of('pattern: "(a+)+b"') in lines, messages  # catastrophic backtracking refused at load
    assert "cn_resident_idd" in messages
    assert "SPI.NOPE" in messages
    assert "crc32" in messages
    assert "built-in" in messages  # cn_mobile may not be redefined


def test_policy_check_accepts_the_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(_package(tmp_path))]) == 0
    assert "policy sip-sg:" in capsys.readouterr().out


def test_gateway_classify_applies_the_policys_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`gateway classify --policy DIR` shows what the section changes: the operator's detector and its category."""
    body = tmp_path / "body.json"
    body.write_text('{"staff_no": "' + _staff_number(654321) + '", "car": "苏E12345"}', encoding="utf-8")
    assert main(["classify", str(body), "--policy", str(_package(tmp_path))]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(item["detector"], item["category"]) for item in lines[:-1]} == {
        ("staff_number", "PI.EMPLOYEE"),
        ("cn_plate", "PI.TRANSACTION"),
    }
    assert main(["classify", str(body)]) == 0  # without the policy: the built-in category, no staff number
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {(item["detector"], item["category"]) for item in lines[:-1]} == {("cn_plate", "PI.BASIC")}


@pytest.mark.parametrize(
    ("pattern", "refused"),
    [
        ("(a+)+b", True),
        ("((a+))+", True),
        ("(?:[0-9]+)*", True),
        ("(?P<x>a+)+", True),
        ("(x{1,3}){2,}", True),
        ("SIP[0-9]{7}", False),
        ("([A-Z]{2})+", False),
        ("(?:ab|cd)+", False),
        ("(a+){1,3}", False),
        ("[(a+)]+", False),
        (r"\(a+\)+", False),
    ],
)
def test_patterns_that_backtrack_without_end_are_refused(pattern: str, refused: bool) -> None:
    """A group holding a quantifier, at any depth, repeated without bound; classes, escapes and bounded repeats
    are not mistaken for one."""
    assert _nested_repetition(pattern) is refused
