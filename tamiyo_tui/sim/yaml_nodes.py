"""Positioned YAML reading: typed reads that fail with a ``ScenarioError`` at ``file:line:col``.

``yaml.compose`` builds the node graph without constructing a single Python object, so no tag can run
code. The readers here build plain values from the nodes themselves and accept only the standard
str/int/float/bool/null/seq/map tags. Nothing in this module knows the scenario schema: policy files and
any other YAML input reuse it.

Where an error points: at the key of a mapping entry (the key names the field), at the item itself in a
list, at the start of the document for the document as a whole.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.constructor import SafeConstructor

from tamiyo_tui.sim.errors import ScenarioError
from tamiyo_tui.sim.scenario import SourcePos

_TAG_PREFIX = "tag:yaml.org,2002:"
STR_TAG = _TAG_PREFIX + "str"
INT_TAG = _TAG_PREFIX + "int"
FLOAT_TAG = _TAG_PREFIX + "float"
BOOL_TAG = _TAG_PREFIX + "bool"
NULL_TAG = _TAG_PREFIX + "null"
SEQ_TAG = _TAG_PREFIX + "seq"
MAP_TAG = _TAG_PREFIX + "map"

_KIND_NAMES: dict[str, str] = {
    STR_TAG: "a string",
    INT_TAG: "an integer",
    FLOAT_TAG: "a number",
    BOOL_TAG: "a boolean",
    NULL_TAG: "null",
    SEQ_TAG: "a list",
    MAP_TAG: "a mapping",
}
_NODE_CLASS_FOR_TAG: dict[str, type[yaml.Node]] = {
    **dict.fromkeys((STR_TAG, INT_TAG, FLOAT_TAG, BOOL_TAG, NULL_TAG), yaml.ScalarNode),
    SEQ_TAG: yaml.SequenceNode,
    MAP_TAG: yaml.MappingNode,
}
_UNSUPPORTED_TAG_HINTS: dict[str, str] = {
    _TAG_PREFIX + "timestamp": "dates and times are not supported; quote the value to make it text",
    _TAG_PREFIX + "merge": "merge keys ('<<') are not supported; write the keys out",
}

# Only its scalar conversions are used, and only on nodes whose tag was checked first: this keeps YAML's
# own spelling rules (0x1F, 1_000, .inf, yes/no) without ever constructing an arbitrary object.
_SCALAR_CONVERTER = SafeConstructor()
_SCALAR_BUILDERS = {
    STR_TAG: lambda node: node.value,
    INT_TAG: _SCALAR_CONVERTER.construct_yaml_int,
    FLOAT_TAG: _SCALAR_CONVERTER.construct_yaml_float,
    BOOL_TAG: _SCALAR_CONVERTER.construct_yaml_bool,
    NULL_TAG: _SCALAR_CONVERTER.construct_yaml_null,
}

# YAML counts all of these as line breaks, and its marks follow suit.
_T = TypeVar("_T")

_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def line_col(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of character ``index`` in ``text``, counting line breaks as YAML does."""
    line, line_start = 1, 0
    for match in _LINE_BREAK.finditer(text, 0, index):
        line, line_start = line + 1, match.end()
    return line, index - line_start + 1


def closest_name(word: str, options: Sequence[str]) -> str | None:
    """The option a typo most likely meant: a case-insensitive match first, then the nearest by difflib."""
    for option in options:
        if option.lower() == word.lower():
            return option
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name_message(noun: str, word: str, options: Sequence[str], *, always_list: bool = True) -> str:
    """``unknown key 'x' (did you mean 'y'?)``, followed by the valid names when asked or when no guess."""
    best = closest_name(word, options)
    message = f"unknown {noun} {word!r}" + (f" (did you mean {best!r}?)" if best else "")
    if always_list or best is None:
        message += f"; valid: {', '.join(options)}"
    return message


def optional(fields: dict[str, YamlNode], key: str, read: Callable[[YamlNode], _T], default: _T) -> _T:
    """``read`` of a mapping's entry (from ``YamlNode.mapping``), or ``default`` when the key is left out."""
    return read(fields[key]) if key in fields else default


def read_source(path: str | os.PathLike[str]) -> tuple[str, bytes]:
    """The file's text and raw bytes; a missing, unreadable or non-UTF-8 file is a ``ScenarioError``.

    A file that cannot be read has no line to point at, so those errors name the file alone."""
    file = os.fsdecode(path)
    try:
        data = Path(file).read_bytes()
    except FileNotFoundError:
        raise ScenarioError(file, 0, 0, "", "file not found") from None
    except IsADirectoryError:
        raise ScenarioError(file, 0, 0, "", "is a directory, not a file") from None
    except OSError as err:
        raise ScenarioError(file, 0, 0, "", f"cannot read the file: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        prefix = data[: err.start].decode("utf-8")
        line, col = line_col(prefix, len(prefix))
        message = f"not UTF-8 text (byte 0x{data[err.start]:02x} cannot be decoded)"
        raise ScenarioError(file, line, col, "", message) from None
    return text, data


def compose_document(text: str, file: str) -> YamlNode:
    """The single YAML document in ``text`` as a node tree; malformed or empty input is a ``ScenarioError``."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        raise _marked_error(err, file) from None
    except yaml.reader.ReaderError as err:
        line, col = line_col(text, err.position)
        raise ScenarioError(file, line, col, "", f"invalid character: {err.reason} (#x{err.character:04x})") from None
    except yaml.YAMLError as err:
        raise ScenarioError(file, 1, 1, "", f"invalid YAML: {err}") from None
    except RecursionError:
        raise ScenarioError(file, 1, 1, "", "invalid YAML: nested too deeply") from None
    if node is None or node.tag == NULL_TAG:
        line, col = (1, 1) if node is None else (node.start_mark.line + 1, node.start_mark.column + 1)
        raise ScenarioError(file, line, col, "", "the document is empty")
    return YamlNode(node, file)


def _marked_error(err: yaml.MarkedYAMLError, file: str) -> ScenarioError:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if isinstance(err, yaml.composer.ComposerError) and err.problem == "but found another document":
        return ScenarioError(file, line, col, "", "a second YAML document starts here; the file must hold exactly one")
    parts = [part for part in (err.problem, err.context) if part]
    detail = f"{parts[0]} ({parts[1]})" if len(parts) == 2 else (parts[0] if parts else "malformed input")
    return ScenarioError(file, line, col, "", f"invalid YAML: {detail}")


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG_PREFIX) if tag.startswith(_TAG_PREFIX) else tag


def _format_bound(bound: float) -> str:
    return str(bound) if isinstance(bound, int) else f"{bound:g}"


def _requirement(kind: str, minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f"must be {kind} between {_format_bound(minimum)} and {_format_bound(maximum)}"
    if minimum is not None:
        return f"must be {kind} ≥ {_format_bound(minimum)}"
    if maximum is not None:
        return f"must be {kind} ≤ {_format_bound(maximum)}"
    return f"must be {kind}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One key/value pair of a mapping. ``key_node`` reports errors about the key under the parent's path."""

    key: str
    key_node: YamlNode
    value: YamlNode


@dataclass(frozen=True, slots=True)
class YamlNode:
    """A composed YAML node with the field path that leads to it and the position its errors point at."""

    node: yaml.Node
    file: str
    path: str = ""
    mark: yaml.Mark | None = None  # None: the node's own start

    @property
    def line(self) -> int:
        return (self.mark or self.node.start_mark).line + 1

    @property
    def col(self) -> int:
        return (self.mark or self.node.start_mark).column + 1

    @property
    def source(self) -> SourcePos:
        return SourcePos(self.file, self.line, self.col)

    @property
    def kind(self) -> str:
        """What the node holds, in words, for "got …" messages."""
        return _KIND_NAMES.get(self.node.tag, f"a {_short_tag(self.node.tag)} value")

    @property
    def is_null(self) -> bool:
        return self.node.tag == NULL_TAG and isinstance(self.node, yaml.ScalarNode)

    @property
    def is_string(self) -> bool:
        return self.node.tag == STR_TAG and isinstance(self.node, yaml.ScalarNode)

    @property
    def is_list(self) -> bool:
        return self.node.tag == SEQ_TAG and isinstance(self.node, yaml.SequenceNode)

    @property
    def is_mapping(self) -> bool:
        return self.node.tag == MAP_TAG and isinstance(self.node, yaml.MappingNode)

    def error(self, message: str) -> ScenarioError:
        return ScenarioError(self.file, self.line, self.col, self.path, message)

    def child_path(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    # --- containers ------------------------------------------------------------------------------------

    def entries(self, *, non_empty: bool = False) -> list[Entry]:
        """The mapping's entries in document order; keys must be distinct strings."""
        self._expect_tag(MAP_TAG)
        if non_empty and not self.node.value:
            raise self.error("must not be empty")
        entries: list[Entry] = []
        first_seen: dict[str, YamlNode] = {}
        for key_yaml, value_yaml in self.node.value:
            key_node = YamlNode(key_yaml, self.file, self.path)
            key_node.check_tag()
            if key_yaml.tag != STR_TAG:
                raise key_node.error(f"keys must be strings, got {key_node.kind}")
            key = key_yaml.value
            if key in first_seen:
                raise key_node.error(f"duplicate key {key!r} (first given at line {first_seen[key].line})")
            first_seen[key] = key_node
            value = YamlNode(value_yaml, self.file, self.child_path(key), key_yaml.start_mark)
            entries.append(Entry(key, key_node, value))
        return entries

    def mapping(
        self, allowed: Sequence[str], required: Collection[str] = (), *, noun: str = "key", non_empty: bool = False
    ) -> dict[str, YamlNode]:
        """The mapping's values by key; a key outside ``allowed`` or a missing ``required`` key is an error."""
        values: dict[str, YamlNode] = {}
        for entry in self.entries(non_empty=non_empty):
            if entry.key not in allowed:
                raise entry.key_node.error(unknown_name_message(noun, entry.key, allowed, always_list=False))
            values[entry.key] = entry.value
        for key in allowed:
            if key in required and key not in values:
                raise self.error(f"missing required {noun} {key!r}")
        return values

    def items(self, *, non_empty: bool = False) -> list[YamlNode]:
        """The list's items, each with its ``[index]`` path."""
        self._expect_tag(SEQ_TAG)
        if non_empty and not self.node.value:
            raise self.error("must not be empty")
        return [YamlNode(item, self.file, f"{self.path}[{index}]") for index, item in enumerate(self.node.value)]

    # --- scalars ---------------------------------------------------------------------------------------

    def string(self, *, non_empty: bool = True) -> str:
        self._expect_tag(STR_TAG)
        text: str = self.node.value
        if non_empty and not text.strip():
            raise self.error("must not be empty")
        if _SURROGATE.search(text):
            raise self.error("contains an escaped character that is not valid Unicode")
        return text

    def integer(self, minimum: int | None = None, maximum: int | None = None) -> int:
        requirement = _requirement("an integer", minimum, maximum)
        self.check_tag()
        if self.node.tag != INT_TAG:
            raise self.error(f"{requirement}, got {self.kind}")
        value = self._scalar()
        assert isinstance(value, int)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(requirement)
        return value

    def number(self, minimum: float | None = None, maximum: float | None = None) -> float:
        """A finite float; integers are accepted, booleans are not."""
        requirement = _requirement("a number", minimum, maximum)
        self.check_tag()
        if self.node.tag not in (INT_TAG, FLOAT_TAG):
            raise self.error(f"{requirement}, got {self.kind}")
        raw = self._scalar()
        assert isinstance(raw, int | float)
        # float() of a huge YAML integer raises instead of giving inf.
        value = float(raw) if isinstance(raw, float) or abs(raw) < 2**1023 else math.inf
        if not math.isfinite(value):
            raise self.error(f"{requirement}, got {self.node.value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(requirement)
        return value

    def boolean(self) -> bool:
        self._expect_tag(BOOL_TAG)
        return bool(self._scalar())

    def choice(self, options: Sequence[str], *, noun: str = "value") -> str:
        """One of ``options`` (case-sensitive), with a suggestion and the valid names when it is not."""
        self.check_tag()
        if self.node.tag != STR_TAG:
            raise self.error(f"must be one of {', '.join(options)}, got {self.kind}")
        word = self.string(non_empty=False)
        if word not in options:
            raise self.error(unknown_name_message(noun, word, options))
        return word

    # --- tag checks ------------------------------------------------------------------------------------

    def check_tag(self) -> None:
        """Reject tags outside the standard set, and a standard tag put on the wrong kind of node."""
        tag = self.node.tag
        if tag not in _NODE_CLASS_FOR_TAG:
            hint = _UNSUPPORTED_TAG_HINTS.get(tag)
            raise self.error(hint or f"unsupported tag {_short_tag(tag)!r}; only plain YAML values are allowed")
        if not isinstance(self.node, _NODE_CLASS_FOR_TAG[tag]):
            raise self.error(f"tag {_short_tag(tag)!r} cannot be used on this value")

    def _expect_tag(self, tag: str) -> None:
        self.check_tag()
        if self.node.tag != tag:
            raise self.error(f"must be {_KIND_NAMES[tag]}, got {self.kind}")

    def _scalar(self) -> object:
        try:
            return _SCALAR_BUILDERS[self.node.tag](self.node)
        except (ValueError, KeyError, IndexError, TypeError, OverflowError):
            raise self.error(f"{self.node.value!r} is not a valid {_short_tag(self.node.tag)} value") from None
