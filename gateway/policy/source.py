"""Read YAML into plain data while remembering where each value came from.

Operators need errors with line and column, so the parser keeps a map from JSON pointer to source position.
Timestamps stay strings (policies are compared as canonical JSON), duplicate keys are errors, and keys must be
strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from gateway.errors import ConfigError
from gateway.model import Json

__all__ = ["Located", "Position", "Reader", "child", "load_yaml", "parse_yaml"]

Position = tuple[int, int]
"""A 1-based (line, column) in a source file."""


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML with the source position of every value, by JSON pointer.

    A mapping entry's position is its key's, also when the value is a block starting on the next line; a list
    item's is where the item starts.
    """

    data: Json
    file: str
    positions: dict[str, Position]

    @property
    def lines(self) -> dict[str, int]:
        """The line of every value, by JSON pointer."""
        return {pointer: line for pointer, (line, _) in self.positions.items()}

    def position(self, pointer: str) -> Position | None:
        """The position of ``pointer``, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.positions:
                return self.positions[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def line(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one."""
        at = self.position(pointer)
        return None if at is None else at[0]

    def column(self, pointer: str) -> int | None:
        """The column of ``pointer``, or of its nearest ancestor that has one."""
        at = self.position(pointer)
        return None if at is None else at[1]

    def error(self, pointer: str, message: str) -> ConfigError:
        """A :class:`ConfigError` for the value at ``pointer``, with its line and column."""
        where = pointer or "/"
        line, column = self.position(pointer) or (None, None)
        return ConfigError(f"{where}: {message}", file=self.file, line=line, column=column)


def child(pointer: str, key: str | int) -> str:
    """The RFC 6901 pointer of ``key`` under ``pointer``."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


_SCALAR_LOADER = yaml.SafeLoader("")


def _at(node: yaml.Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _problem(message: str, node: yaml.Node) -> ConfigError:
    line, column = _at(node)
    return ConfigError(message, line=line, column=column)


def _scalar(node: yaml.ScalarNode) -> Json:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)
    value = _SCALAR_LOADER.construct_object(node)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    # Binary and other tags have no place in a policy.
    raise _problem(f"unsupported YAML value of tag {node.tag}", node)


def _convert(node: yaml.Node, pointer: str, positions: dict[str, Position]) -> Json:
    positions[pointer] = _at(node)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Json] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _problem("mapping keys must be plain strings", key_node)
            key = str(key_node.value)
            if key in out:
                raise _problem(f"duplicate key {key!r}", key_node)
            out[key] = _convert(value_node, child(pointer, key), positions)
            # Errors about a field point at its key, also when its value is a block starting on the next line.
            positions[child(pointer, key)] = _at(key_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, child(pointer, i), positions) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; errors name ``file``, the line and the column."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        raise ConfigError(f"not valid YAML: {e.problem}", file=file, line=line, column=column) from e
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}", file=file) from e
    if node is None:
        raise ConfigError("the file is empty", file=file)
    positions: dict[str, Position] = {}
    try:
        data = _convert(node, "", positions)
    except ConfigError as e:
        raise ConfigError(e.message, file=file, line=e.line, column=e.column) from e
    return Located(data, file, positions)


def load_yaml(path: Path) -> Located:
    """Read and parse a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read: {e}", file=str(path)) from e
    return parse_yaml(text, str(path))


class Reader:
    """Typed access to a located document; every failure is a ConfigError with file, line and column."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc

    def at(self, pointer: str) -> Json:
        value: Json = self.doc.data
        for token in pointer.split("/")[1:]:
            key = token.replace("~1", "/").replace("~0", "~")
            if isinstance(value, dict):
                value = value.get(key)
            elif isinstance(value, list):
                value = value[int(key)]
            else:
                return None
        return value

    def mapping(self, pointer: str, *, allowed: set[str] | None = None, required: bool = True) -> dict[str, Json]:
        value = self.at(pointer)
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self.doc.error(pointer, "must be a mapping")
        if allowed is not None:
            for key in value:
                if key not in allowed:
                    raise self.doc.error(
                        child(pointer, key), f"unknown field {key!r}; expected one of {', '.join(sorted(allowed))}"
                    )
        return value

    def string(self, pointer: str, *, default: str | None = None) -> str:
        value = self.at(pointer)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.doc.error(pointer, "must be a non-empty string")
        return value

    def boolean(self, pointer: str, *, default: bool) -> bool:
        value = self.at(pointer)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.doc.error(pointer, "must be true or false")
        return value

    def integer(self, pointer: str, *, default: int) -> int:
        value = self.at(pointer)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.doc.error(pointer, "must be a whole number >= 0")
        return value

    def strings(self, pointer: str, check: Callable[[str, str], None] | None = None) -> tuple[str, ...]:
        value = self.at(pointer)
        if not isinstance(value, list) or not value:
            raise self.doc.error(pointer, "must be a non-empty list")
        out = []
        for i in range(len(value)):
            item = self.string(child(pointer, i))
            if check:
                check(item, child(pointer, i))
            out.append(item)
        return tuple(out)

    def day(self, pointer: str) -> date:
        text = self.string(pointer)
        try:
            return date.fromisoformat(text)
        except ValueError as e:
            raise self.doc.error(pointer, "must be a date written YYYY-MM-DD") from e

    def number(self, pointer: str, *, default: float) -> float:
        value = self.at(pointer)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise self.doc.error(pointer, "must be a number >= 0")
        return float(value)
