"""Parsed YAML remembers the line and column of every value, and errors say where as file:line:column."""

from __future__ import annotations

import pytest

from gateway.errors import ConfigError
from gateway.policy.source import parse_yaml


def _at(text: str, marker: str) -> tuple[int, int]:
    """The 1-based line and column where the only occurrence of ``marker`` starts."""
    assert text.count(marker) == 1, f"test bug: {marker!r} must occur exactly once"
    before = text[: text.index(marker)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


BLOCK = """\
policy: test
recipients:
  sg-hr:
    name: Merlion
    purposes:
      - payroll
      -   hr_administration
rules:
  - id: R1
    when:
      origin: [CN]
"""


@pytest.mark.parametrize(
    ("pointer", "marker"),
    [
        ("/policy", "policy:"),
        ("/recipients", "recipients:"),
        ("/recipients/sg-hr", "sg-hr:"),
        ("/recipients/sg-hr/name", "name:"),
        ("/recipients/sg-hr/purposes/0", "payroll"),
        ("/recipients/sg-hr/purposes/1", "hr_administration"),
        ("/rules/0", "id: R1"),
        ("/rules/0/when", "when:"),
        ("/rules/0/when/origin/0", "CN"),
    ],
)
def test_block_style_positions_point_at_keys_and_items(pointer: str, marker: str) -> None:
    doc = parse_yaml(BLOCK, "p.yaml")
    assert doc.position(pointer) == _at(BLOCK, marker)
    assert (doc.line(pointer), doc.column(pointer)) == _at(BLOCK, marker)


FLOW = """\
exporters: {cn-a: {name: A, jurisdiction: CN},   cn-b: {name: "B", ciio: true}}
list: [one,  two, {k: 3}]
zh: {name: 境外接收方, contact: c}
"""


@pytest.mark.parametrize(
    ("pointer", "marker"),
    [
        ("/exporters/cn-a", "cn-a"),
        ("/exporters/cn-a/jurisdiction", "jurisdiction"),
        ("/exporters/cn-b", "cn-b"),
        ("/exporters/cn-b/name", 'name: "B"'),
        ("/exporters/cn-b/ciio", "ciio"),
        ("/list/1", "two"),
        ("/list/2", "{k: 3}"),
        ("/list/2/k", "k: 3"),
        ("/zh/contact", "contact"),  # columns count characters, not bytes
    ],
)
def test_flow_style_positions_point_at_keys_and_items(pointer: str, marker: str) -> None:
    doc = parse_yaml(FLOW, "p.yaml")
    assert doc.position(pointer) == _at(FLOW, marker)


def test_a_missing_pointer_takes_its_nearest_ancestors_position() -> None:
    doc = parse_yaml(BLOCK, "p.yaml")
    assert doc.position("/recipients/sg-hr/contact") == _at(BLOCK, "sg-hr:")
    assert doc.column("/rules/0/legal") == _at(BLOCK, "id: R1")[1]
    assert doc.position("") == (1, 1)


def test_lines_keep_their_old_shape() -> None:
    doc = parse_yaml(BLOCK, "p.yaml")
    assert doc.lines["/recipients/sg-hr/name"] == 4
    assert doc.lines == {pointer: line for pointer, (line, _) in doc.positions.items()}


def test_an_error_names_file_line_and_column() -> None:
    doc = parse_yaml(FLOW, "p.yaml")
    error = doc.error("/exporters/cn-b/ciio", "must be true or false")
    line, column = _at(FLOW, "ciio")
    assert (error.file, error.line, error.column) == ("p.yaml", line, column)
    assert str(error) == f"p.yaml:{line}:{column}: /exporters/cn-b/ciio: must be true or false"
    assert error.message == "/exporters/cn-b/ciio: must be true or false"


def test_the_root_is_named_slash() -> None:
    assert str(parse_yaml("a: 1\n", "p.yaml").error("", "bad")) == "p.yaml:1:1: /: bad"


@pytest.mark.parametrize(
    ("kwargs", "shown"),
    [
        ({"file": "f.yaml", "line": 3, "column": 7}, "f.yaml:3:7: m"),
        ({"file": "f.yaml", "line": 3}, "f.yaml:3: m"),
        ({"file": "f.yaml", "column": 7}, "f.yaml: m"),  # a column alone says nothing
        ({"file": "f.yaml"}, "f.yaml: m"),
        ({"line": 3, "column": 7}, "3:7: m"),
        ({}, "m"),
    ],
)
def test_config_error_shows_what_it_knows(kwargs: dict[str, str | int], shown: str) -> None:
    error = ConfigError("m", **kwargs)  # type: ignore[arg-type]
    assert str(error) == shown
    assert error.detail == shown
    assert error.column == kwargs.get("column")


def test_a_duplicate_key_is_reported_at_the_second_key() -> None:
    text = "a: 1\nb:\n  c: 1\n  c: 2\n"
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "p.yaml")
    assert (caught.value.line, caught.value.column) == (4, 3)
    assert str(caught.value) == "p.yaml:4:3: duplicate key 'c'"


def test_a_yaml_syntax_error_has_a_column() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: [1, 2\nb: 3\n", "p.yaml")
    assert caught.value.file == "p.yaml"
    assert caught.value.line == 2
    assert caught.value.column is not None
    assert str(caught.value).startswith(f"p.yaml:2:{caught.value.column}: not valid YAML")


def test_an_unsupported_tag_is_reported_where_it_is() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_yaml("a: 1\nb: !!binary aGVsbG8=\n", "p.yaml")
    assert (caught.value.line, caught.value.column) == (2, 4)
