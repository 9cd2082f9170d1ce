"""The YAML reader as it was before `values.mapping` was made faster (PyYAML's event generator,
an isinstance chain per event): the reference the property tests hold the fast one to (the same
values and key lines, or the same problem at the same line)."""

from __future__ import annotations

from typing import Any

import yaml

from linkletter.errors import ValueProblem
from linkletter.values.mapping import MAX_DEPTH

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


def parse_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]]:
    """Parse a YAML mapping (front matter or a settings file) into a dict of text, lists and dicts,
    and the line of each key; raise ValueProblem with the line."""
    try:
        events = list(yaml.parse(front, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        raise ValueProblem(f"invalid YAML: {exc.problem or exc.context}", line=line) from None
    except yaml.YAMLError as exc:
        raise ValueProblem(f"invalid YAML: {exc}", line=first_line) from None
    return _build(events, first_line)


def _build(events: list, first_line: int) -> tuple[dict, dict[str, int]]:
    stack: list[list] = []  # frames: [container, pending key or None, key line, dotted path]
    root = None
    lines: dict[str, int] = {}
    documents = 0
    for event in events:
        line = first_line + event.start_mark.line
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise ValueProblem("the front matter holds more than one YAML document", line=line)
            continue
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ValueProblem("YAML anchors and aliases are not supported", "write the value out", line=line)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_DEPTH:
                raise ValueProblem(f"YAML nested deeper than {MAX_DEPTH} levels", line=line)
            container: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            stack.append([container, None, line, _path(stack)])
            continue
        if isinstance(event, yaml.ScalarEvent):
            value = None if event.implicit[0] and event.value in _NULLS else event.value
            root = _place(stack, value, line, lines, root)
            continue
        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            container = stack.pop()[0]
            root = _place(stack, container, line, lines, root)
    if root is None:
        return {}, {}
    if not isinstance(root, dict):
        raise ValueProblem("the front matter must be a mapping of 'key: value'", line=first_line)
    return root, lines


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
