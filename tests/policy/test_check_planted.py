"""`gateway policy check` on a copy of the corridor's package with mistakes planted in it: all of them, in one run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from gateway.cli import main

REPO = Path(__file__).resolve().parents[2]


def _copy(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "policies", tmp_path / "policies")
    return tmp_path / "policies" / "sip-sg"


def _plant(policy: Path, old: str, new: str) -> int:
    """Replace the first ``old`` with ``new``; the 1-based line it was on."""
    text = policy.read_text(encoding="utf-8")
    at = text.index(old)
    policy.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at) + 1


def _problem_lines(output: str, file: Path) -> dict[int, str]:
    found = {}
    for line in output.splitlines():
        m = re.match(rf"{re.escape(str(file))}:(\d+)(?::\d+)?: (.*)", line)
        if m:
            found[int(m.group(1))] = m.group(2)
    return found


def test_the_shipped_package_checks_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", str(REPO / "policies" / "sip-sg")]) == 0
    assert "policy sip-sg:" in capsys.readouterr().out


def test_three_planted_mistakes_are_all_reported_with_their_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown category, a rule without a legal reference and a wrong type: each with its own line, exit 1."""
    package = _copy(tmp_path)
    policy = package / "policy.yaml"
    category_line = _plant(policy, "categories_any: [SPI.MINOR_U14]", "categories_any: [SPI.MINOR_U41]")
    legal_line = _plant(policy, '    legal: "PIPL Art 38 (transfers outside the PRC)', '    lgeal: "PIPL Art 38 (tr')
    type_line = _plant(policy, "keep_last: $contact_keep_last", "keep_last: four")

    status = main(["policy", "check", str(package)])
    output = capsys.readouterr().out
    problems = _problem_lines(output, policy.resolve())

    assert status == 1
    assert set(problems) >= {category_line, legal_line, type_line}, output
    assert "SPI.MINOR_U41" in problems[category_line]
    assert "legal" in problems[legal_line]
    assert "keep_last" in problems[type_line]
    assert "whole number" in problems[type_line]
    # The misspelt key is also a missing 'legal' at the rule: one more line, at the rule's own position.
    assert len(problems) <= 4, output


def test_a_valid_copy_has_the_shipped_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The revision is a digest of the meaning, not of where the files are."""
    assert main(["policy", "check", str(REPO / "policies" / "sip-sg")]) == 0
    shipped = capsys.readouterr().out.rsplit("revision ", 1)[1].strip()
    assert main(["policy", "check", str(_copy(tmp_path))]) == 0
    assert capsys.readouterr().out.rsplit("revision ", 1)[1].strip() == shipped
