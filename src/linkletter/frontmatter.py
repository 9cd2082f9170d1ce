"""Split a bookmark file into YAML front matter and body, and parse the front matter safely.

The YAML is read from libyaml's event stream into plain Python values with an explicit stack:
- every scalar stays text (no YAML 1.1 surprises: `no`, `2024` and `1.10` stay strings), except
  a plain `~`, `null` or empty value, which is None;
- anchors, aliases and nesting deeper than MAX_DEPTH are refused, so an alias bomb or a
  deeply nested document costs nothing;
- duplicate keys are refused instead of silently keeping the last one;
- the line of each key is kept (nested ones as "site.title"), so messages can point at it.
"""

from __future__ import annotations

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_DEPTH = 8
FENCE = "---"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class FrontMatterError(ValueError):
    def __init__(self, line: int | None, message: str, hint: str | None = None, field=None):
        super().__init__(message)
        self.line = line
        self.message = message
        self.hint = hint
        self.field = field


def split_document(text: str) -> tuple[str, int, str, int]:
    """Return (front matter, its first line, body, body's first line). Text has LF line ends."""
    if not text.strip():
        raise FrontMatterError(None, "the file is empty", "a bookmark starts with a '---' line")
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        raise FrontMatterError(
            1, "no front matter: the first line must be '---'", "see the README for the format"
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, 2, body, index + 2
    raise FrontMatterError(1, "the front matter is never closed", "add a line '---' after the last key")


def parse_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]]:
    """Parse a YAML mapping (front matter or a settings file) into a dict of text, lists and dicts; raise FrontMatterError."""
    try:
        events = list(yaml.parse(front, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark is not None else None
        raise FrontMatterError(line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise FrontMatterError(first_line, f"invalid YAML: {exc}") from None
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
                raise FrontMatterError(line, "the front matter holds more than one YAML document")
            continue
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise FrontMatterError(line, "YAML anchors and aliases are not supported", "write the value out")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= MAX_DEPTH:
                raise FrontMatterError(line, f"YAML nested deeper than {MAX_DEPTH} levels")
            container = {} if isinstance(event, yaml.MappingStartEvent) else []
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
        raise FrontMatterError(first_line, "the front matter must be a mapping of 'key: value'")
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
            raise FrontMatterError(line, "a key must be plain text")
        if value in container:
            raise FrontMatterError(line, f"the key {value!r} appears twice", field=value)
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
