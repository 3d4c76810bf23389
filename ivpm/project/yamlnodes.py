"""Safe YAML loading into plain nodes that remember where they were written.

Only the YAML core types are accepted (strings, numbers, booleans, null, lists, mappings);
any other tag, aliases, duplicate keys, non-scalar keys, a NUL character in a scalar, files
that are oversized or not regular, and deep nesting are ConfigErrors pointing at the offending
line and column. Nothing is ever constructed from a tag, so a hostile file cannot run code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml import events

from ivpm.errors import ConfigError, Location
from ivpm.fsutil import RefusedFile, read_regular_file

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 100

_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {
    f"{_CORE}str": "str",
    f"{_CORE}int": "int",
    f"{_CORE}float": "float",
    f"{_CORE}bool": "bool",
    f"{_CORE}null": "null",
    f"{_CORE}timestamp": "timestamp",  # only ever from implicit resolution: kept as text
}
_EXPLICIT_OK = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")}


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar as written; ``kind`` is what YAML resolved it to (str, int, float, bool, ...)."""

    text: str
    kind: str
    loc: Location


@dataclass(frozen=True, slots=True)
class Seq:
    """A YAML sequence."""

    items: tuple[Node, ...]
    loc: Location


@dataclass(frozen=True, slots=True)
class Map:
    """A YAML mapping; ``entries`` maps each key's text to its key node and value node."""

    entries: dict[str, tuple[Scalar, Node]]
    loc: Location

    def get(self, key: str) -> tuple[Scalar, Node] | None:
        """The (key node, value node) pair for ``key``, or None."""
        return self.entries.get(key)


Node = Scalar | Seq | Map


def read_yaml_file(path: Path) -> Node:
    """Read and parse ``path``; an empty document is a ConfigError."""
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except RefusedFile as refused:
        raise ConfigError(
            f"{path} {refused.reason}",
            Location(path, 1, 1) if "larger" in refused.reason else None,
            hint="an ivpm.yaml is a small hand-written file; is this the right file?",
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line, col = _line_col(data[: exc.start].decode("utf-8", "replace"))
        raise ConfigError("file is not valid UTF-8", Location(path, line, col)) from None
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> Node:
    """Parse one YAML document from ``text`` (``path`` is only used in locations)."""
    try:
        node = _Builder(path).build(yaml.parse(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(exc, path) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text[: exc.position])
        raise ConfigError(f"invalid YAML: {exc.reason}", Location(path, line, col)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", Location(path, 1, 1)) from None
    if node is None:
        raise ConfigError(
            "the file is empty",
            Location(path, 1, 1),
            hint="an ivpm.yaml starts with 'package:' and a 'name:' under it",
        )
    return node


def describe(node: Node) -> str:
    """A short phrase for error messages: 'a string', 'a list', 'a boolean', ..."""
    if isinstance(node, Map):
        return "a mapping"
    if isinstance(node, Seq):
        return "a list"
    return {
        "str": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "a boolean",
        "null": "nothing (null)",
        "timestamp": "a date",
    }.get(node.kind, "a value")


def _syntax_error(exc: yaml.MarkedYAMLError, path: Path) -> ConfigError:
    def loc(mark: Any) -> Location:
        return Location(path, mark.line + 1, mark.column + 1)

    problem, context = exc.problem, exc.context
    problem_mark, context_mark = exc.problem_mark, exc.context_mark
    related = []
    if problem is None:
        problem, problem_mark, context = context, context_mark, None
    if context and context_mark is not None and problem_mark is not None:
        related.append((context, loc(context_mark)))
    elif context:
        problem = f"{problem} ({context})"
    where = loc(problem_mark) if problem_mark is not None else Location(path, 1, 1)
    return ConfigError(f"invalid YAML: {problem or 'syntax error'}", where, related=related)


def _line_col(prefix: str) -> tuple[int, int]:
    line = prefix.count("\n") + 1
    return line, len(prefix) - (prefix.rfind("\n") + 1) + 1


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


class _Builder:
    """Turns a YAML event stream into :data:`Node` trees, iteratively and with limits."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._resolve: Callable[..., str] = yaml.resolver.Resolver().resolve

    def loc(self, event: events.Event) -> Location:
        mark = event.start_mark
        if mark is None:
            return Location(self.path, 1, 1)
        return Location(self.path, mark.line + 1, mark.column + 1)

    def build(self, stream: Iterator[events.Event]) -> Node | None:
        root: Node | None = None
        documents = 0
        stack: list[_Open] = []
        for event in stream:
            if isinstance(event, events.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise ConfigError(
                        "expected a single YAML document, found another one",
                        self.loc(event),
                        hint="remove the '---' line",
                    )
                continue
            if isinstance(event, events.AliasEvent):
                raise ConfigError(
                    "YAML aliases ('*name') are not supported",
                    self.loc(event),
                    hint="repeat the value, or share deps between dep-sets with 'uses'",
                )
            node: Node | None = None
            if isinstance(event, events.ScalarEvent):
                node = self.scalar(event)
            elif isinstance(event, events.SequenceStartEvent | events.MappingStartEvent):
                self.check_collection_tag(event)
                if len(stack) >= MAX_DEPTH:
                    raise ConfigError(
                        f"the document is nested deeper than {MAX_DEPTH} levels", self.loc(event)
                    )
                is_map = isinstance(event, events.MappingStartEvent)
                stack.append(_Open(is_map, self.loc(event)))
                continue
            elif isinstance(event, events.SequenceEndEvent | events.MappingEndEvent):
                node = stack.pop().finish()
            else:
                continue
            if stack:
                stack[-1].add(node)
            else:
                root = node
        if isinstance(root, Scalar) and root.kind == "null":
            return None
        return root

    def check_collection_tag(self, event: events.CollectionStartEvent) -> None:
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _EXPLICIT_OK:
            raise ConfigError(f"unsupported YAML tag '{_short_tag(tag)}'", self.loc(event))
        expected = f"{_CORE}map" if isinstance(event, events.MappingStartEvent) else f"{_CORE}seq"
        if tag in _EXPLICIT_OK and tag != expected:
            raise ConfigError(f"YAML tag '{_short_tag(tag)}' does not fit here", self.loc(event))

    def scalar(self, event: events.ScalarEvent) -> Scalar:
        if "\0" in event.value:
            raise ConfigError(
                "a NUL character (\\0) is not allowed in ivpm.yaml text",
                self.loc(event),
                hint="names, URLs, paths and environment values go to the operating system, "
                "which cannot hold NUL; remove the \\0 (or \\x00) escape",
            )
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolve(yaml.ScalarNode, event.value, event.implicit)
        elif tag not in _EXPLICIT_OK or tag in (f"{_CORE}seq", f"{_CORE}map"):
            raise ConfigError(f"unsupported YAML tag '{_short_tag(tag)}'", self.loc(event))
        return Scalar(event.value, _SCALAR_TAGS.get(tag, "str"), self.loc(event))


class _Open:
    """A sequence or mapping whose end event has not been seen yet."""

    __slots__ = ("entries", "is_map", "items", "key", "loc")

    def __init__(self, is_map: bool, loc: Location) -> None:
        self.is_map = is_map
        self.loc = loc
        self.items: list[Node] = []
        self.entries: dict[str, tuple[Scalar, Node]] = {}
        self.key: Scalar | None = None

    def add(self, node: Node) -> None:
        if not self.is_map:
            self.items.append(node)
        elif self.key is None:
            if not isinstance(node, Scalar):
                raise ConfigError("a mapping key must be a plain string", node.loc)
            if node.text in self.entries:
                first = self.entries[node.text][0]
                raise ConfigError(
                    f"duplicate key '{node.text}'",
                    node.loc,
                    related=[("first written here", first.loc)],
                )
            self.key = node
        else:
            self.entries[self.key.text] = (self.key, node)
            self.key = None

    def finish(self) -> Node:
        if self.is_map:
            return Map(self.entries, self.loc)
        return Seq(tuple(self.items), self.loc)
