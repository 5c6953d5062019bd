"""Read YAML into plain data while remembering where each value came from.

Operators need errors with line numbers, so the parser keeps a map from JSON pointer to source line. Timestamps
stay strings (policies are compared as canonical JSON), duplicate keys are errors, and keys must be strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from gateway.errors import ConfigError
from gateway.model import Json

__all__ = ["Located", "Reader", "child", "load_yaml", "parse_yaml"]


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML with the source line (1-based) of every value, by JSON pointer."""

    data: Json
    file: str
    lines: dict[str, int]

    def line(self, pointer: str) -> int | None:
        """The line of ``pointer``, or of its nearest ancestor that has one."""
        while True:
            if pointer in self.lines:
                return self.lines[pointer]
            if not pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]

    def error(self, pointer: str, message: str) -> ConfigError:
        """A :class:`ConfigError` for the value at ``pointer``."""
        where = pointer or "/"
        return ConfigError(f"{where}: {message}", file=self.file, line=self.line(pointer))


def child(pointer: str, key: str | int) -> str:
    """The RFC 6901 pointer of ``key`` under ``pointer``."""
    return f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"


_SCALAR_LOADER = yaml.SafeLoader("")


def _scalar(node: yaml.ScalarNode) -> Json:
    if node.tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)
    value = _SCALAR_LOADER.construct_object(node)
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    # Binary and other tags have no place in a policy.
    raise ConfigError(f"unsupported YAML value of tag {node.tag}", line=node.start_mark.line + 1)


def _convert(node: yaml.Node, pointer: str, lines: dict[str, int]) -> Json:
    lines[pointer] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Json] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise ConfigError("mapping keys must be plain strings", line=key_node.start_mark.line + 1)
            key = str(key_node.value)
            if key in out:
                raise ConfigError(f"duplicate key {key!r}", line=key_node.start_mark.line + 1)
            out[key] = _convert(value_node, child(pointer, key), lines)
            # Errors about a field point at its key, also when its value is a block starting on the next line.
            lines[child(pointer, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, child(pointer, i), lines) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node)


def parse_yaml(text: str, file: str) -> Located:
    """Parse one YAML document; errors name ``file`` and the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise ConfigError(f"not valid YAML: {e.problem}", file=file, line=line) from e
    except yaml.YAMLError as e:
        raise ConfigError(f"not valid YAML: {e}", file=file) from e
    if node is None:
        raise ConfigError("the file is empty", file=file)
    lines: dict[str, int] = {}
    try:
        data = _convert(node, "", lines)
    except ConfigError as e:
        raise ConfigError(e.message, file=file, line=e.line) from e
    return Located(data, file, lines)


def load_yaml(path: Path) -> Located:
    """Read and parse a YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read: {e}", file=str(path)) from e
    return parse_yaml(text, str(path))


class Reader:
    """Typed access to a located document; every failure is a ConfigError with file and line."""

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
