"""YAML mappings from user files (bookmark front matter, settings), parsed safely.

The YAML is read from libyaml's event stream into plain Python values with an explicit stack:
- every scalar stays text (no YAML 1.1 surprises: `no`, `2024` and `1.10` stay strings), except
  a plain `~`, `null` or empty value, which is None;
- anchors, aliases and nesting deeper than MAX_DEPTH are refused, so an alias bomb or a
  deeply nested document costs nothing;
- duplicate keys are refused instead of silently keeping the last one;
- the line of each key is kept (nested ones as "site.title"), so messages can point at it.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime, time

import yaml

from ..errors import ValueProblem
from .simple_yaml import read_simple_mapping

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 8
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def parse_front_matter(front: str, first_line: int, kind: str = "yaml") -> tuple[dict, dict[str, int]]:
    """Front matter in YAML, TOML or JSON (see content.frontmatter), as `parse_mapping` returns it."""
    if kind == "toml":
        return parse_toml_mapping(front, first_line)
    if kind == "json":
        return parse_json_mapping(front, first_line)
    return parse_mapping(front, first_line)


def parse_toml_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]]:
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+)", str(exc))
        line = first_line + (int(found.group(1)) if found else front.count("\n") + 1) - 1
        raise ValueProblem(f"invalid TOML: {str(exc).split(' (at ')[0]}", line=line) from None
    except RecursionError:
        raise ValueProblem("TOML nested too deeply", line=first_line) from None
    return _as_text(data, 0, first_line), _key_lines(front, first_line, r"^\s*[\"']?{}[\"']?\s*=")


def parse_json_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]]:
    try:
        data = json.loads(front, object_pairs_hook=_refuse_duplicates)
    except json.JSONDecodeError as exc:
        raise ValueProblem(f"invalid JSON: {exc.msg}", line=first_line + exc.lineno - 1) from None
    except RecursionError:
        raise ValueProblem("JSON nested too deeply", line=first_line) from None
    except ValueProblem as exc:  # a duplicate key: point at its second appearance
        seen = [
            i
            for i, text in enumerate(front.split("\n"))
            if re.match(rf'^\s*"{re.escape(exc.field or "")}"\s*:', text)
        ]
        line = first_line + seen[1] if len(seen) > 1 else first_line
        raise ValueProblem(exc.message, field=exc.field, line=line) from None
    if not isinstance(data, dict):
        raise ValueProblem("the front matter must be a JSON object", line=first_line)
    return _as_text(data, 0, first_line), _key_lines(front, first_line, r'^\s*"{}"\s*:')


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueProblem(f"the key {key!r} appears twice", field=key)
        result[key] = value
    return result


def _as_text(value, depth: int, line: int):
    """TOML and JSON values under the same rule as YAML: every scalar is text (numbers, booleans
    and dates written as they read), null is None, nesting at most MAX_DEPTH."""
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        raise ValueProblem(f"nested deeper than {MAX_DEPTH} levels", line=line)
    if isinstance(value, dict):
        return {str(k): _as_text(v, depth + 1, line) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_text(v, depth + 1, line) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return None if value is None else str(value)


def _key_lines(front: str, first_line: int, pattern: str) -> dict[str, int]:
    """The line of each top-level key's first appearance (for messages)."""
    lines: dict[str, int] = {}
    for index, text in enumerate(front.split("\n")):
        found = re.match(pattern.format(r"([A-Za-z0-9_.-]+)"), text)
        if found:
            lines.setdefault(found.group(1), first_line + index)
    return lines


def parse_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]]:
    """Parse a YAML mapping (front matter or a settings file) into a dict of text, lists and dicts,
    and the line of each key; raise ValueProblem with the line. The common flat shape is read
    by `simple_yaml` (the same result); anything else by libyaml."""
    simple = read_simple_mapping(front, first_line)
    if simple is not None:
        return simple
    try:
        events = _events(front)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        raise ValueProblem(f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise ValueProblem(f"invalid YAML: {exc}", line=first_line) from None
    return _build(events, first_line)


def _events(front: str) -> list:
    """Every event of the stream (what `yaml.parse` yields, without its generator's cost)."""
    parser = _Loader(front)
    try:
        events = []
        event = parser.get_event()
        while type(event) is not _StreamEnd:
            events.append(event)
            event = parser.get_event()
        return events
    finally:
        parser.dispose()


_Scalar, _StreamEnd, _Alias = yaml.ScalarEvent, yaml.StreamEndEvent, yaml.AliasEvent
_STARTS = {yaml.MappingStartEvent: dict, yaml.SequenceStartEvent: list}
_ENDS = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _build(events: list, first_line: int) -> tuple[dict, dict[str, int]]:
    stack: list[list] = []  # frames: [container, pending key or None, key line, dotted path]
    root = None
    lines: dict[str, int] = {}
    documents = 0
    for event in events:
        kind = type(event)
        if kind is _Scalar:
            if event.anchor:
                raise _anchor(first_line + event.start_mark.line)
            value = None if event.implicit[0] and event.value in _NULLS else event.value
            root = _place(stack, value, first_line + event.start_mark.line, lines, root)
        elif kind in _STARTS:
            line = first_line + event.start_mark.line
            if event.anchor:
                raise _anchor(line)
            if len(stack) >= MAX_DEPTH:
                raise ValueProblem(f"YAML nested deeper than {MAX_DEPTH} levels", line=line)
            stack.append([_STARTS[kind](), None, line, _path(stack)])
        elif kind in _ENDS:
            root = _place(stack, stack.pop()[0], first_line + event.start_mark.line, lines, root)
        elif kind is _Alias:
            raise _anchor(first_line + event.start_mark.line)
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                line = first_line + event.start_mark.line
                raise ValueProblem("the front matter holds more than one YAML document", line=line)
    return _root(root, first_line), lines if root is not None else {}


def _anchor(line: int) -> ValueProblem:
    return ValueProblem("YAML anchors and aliases are not supported", "write the value out", line=line)


def _root(root, first_line: int) -> dict:
    if root is None:
        return {}
    if not isinstance(root, dict):
        raise ValueProblem("the front matter must be a mapping of 'key: value'", line=first_line)
    return root


def _place(stack: list[list], value, line: int, lines: dict[str, int], root):
    if not stack:
        return value
    frame = stack[-1]
    container = frame[0]
    if isinstance(container, list):
        container.append(value)
        return root
    if frame[1] is None:  # value is a key
        if not isinstance(value, str):
            raise ValueProblem("a key must be plain text", line=line)
        if value in container:
            raise ValueProblem(f"the key {value!r} appears twice", field=value, line=line)
        frame[1], frame[2] = value, line
        return root
    key = frame[1]
    container[key] = value
    lines.setdefault(frame[3] + key, frame[2])
    frame[1] = None
    return root


def _path(stack: list[list]) -> str:
    """The dotted path of a container about to be pushed: 'site.author.' for site: author: ..."""
    if not stack:
        return ""
    parent = stack[-1]
    if isinstance(parent[0], dict) and parent[1] is not None:
        return f"{parent[3]}{parent[1]}."
    return parent[3]
