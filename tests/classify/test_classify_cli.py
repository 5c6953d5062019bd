"""`gateway classify`: one JSON object per finding, a summary line, clear errors, and no value ever printed."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from gateway.cli import main

CN_ID = "11010519491231002X"  # GB 11643-1999's worked example
CHILD_ID = "320506201801010016"  # made up: born 2018-01-01, check digit computed
DOC = {
    "company": {"uscc": "91320594MA1MB3X806", "name": "Suzhou Example Co."},
    "staff": [
        {"姓名": "张伟", "身份证号": CN_ID, "mobile": "13912345678", "note": "Tel 0512-6288 1234 after 6pm"},
        {"name": "Tan Wei Ming", "nric": "S1234567D"},
    ],
    "child": {"sfzh": CHILD_ID},
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, object]], str]:
    status = main(["classify", *args])
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.strip()]
    return status, lines, captured.err


def test_one_object_per_finding_then_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "body.json"
    source.write_text(json.dumps(DOC, ensure_ascii=False), encoding="utf-8")
    status, lines, _ = _run(capsys, str(source), "--on", "2026-11-28")
    assert status == 0
    *findings, summary = lines
    assert set(summary) == {"summary"}
    for item in findings:
        assert {"pointer", "detector", "category", "subject", "confidence"} <= set(item)
    by = {(f["pointer"], f["detector"]): f for f in findings}
    assert by[("/staff/0/身份证号", "cn_resident_id")]["subject"] == "/staff/0"
    assert by[("/staff/0/身份证号", "cn_resident_id")]["category"] == "SPI.GOV_ID"
    assert by[("/staff/0/姓名", "person_name")]["subject"] == "/staff/0"
    assert by[("/staff/1/nric", "sg_nric_fin")]["subject"] == "/staff/1"
    assert by[("/company/uscc", "cn_uscc")]["subject"] is None  # an organisation is no one's
    landline = by[("/staff/0/note", "cn_landline")]
    assert landline["span"] == [4, 18]
    assert ("/child", "age_from_resident_id") in by  # under 14 on the day given
    counts = summary["summary"]
    assert isinstance(counts, dict)
    assert counts["findings"] == len(findings)
    assert counts["individuals"] == 3
    assert counts["by_detector"]["cn_resident_id"] == 2


def test_values_never_reach_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "body.json"
    source.write_text(json.dumps(DOC, ensure_ascii=False), encoding="utf-8")
    main(["classify", str(source)])
    out = capsys.readouterr().out
    for value in (CN_ID, "13912345678", "S1234567D", "张伟", "Tan Wei Ming", "6288"):
        assert value not in out


def test_standard_input(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps({"email": "li.na@example.com"}).encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    status, lines, _ = _run(capsys, "-")
    assert status == 0
    assert [(item["pointer"], item["detector"]) for item in lines[:-1]] == [("/email", "email")]


def test_bad_json_names_file_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "broken.json"
    source.write_text('{\n  "a": 1,\n  "b": }\n', encoding="utf-8")
    status = main(["classify", str(source)])
    err = capsys.readouterr().err
    assert status == 2
    assert f"{source}:3:8: not JSON" in err


def test_missing_file_and_bad_day(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", str(tmp_path / "nope.json")]) == 2
    assert "no such file" in capsys.readouterr().err
    source = tmp_path / "body.json"
    source.write_text("{}", encoding="utf-8")
    assert main(["classify", str(source), "--on", "28/11/2026"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err
