"""A fast reader for the front matter most bookmark files have, giving exactly what
`mapping.parse_mapping` gives, or None ("not sure": the caller uses the real YAML reader).

It knows one shape, the seed's: `key: value` lines at the left edge; a value is plain text (its
lines folded into one when the next lines are indented), a one-line quoted text without
escapes, empty (None), a list of such values (`- item` lines under the key, indented or not) or
one level of `key: value` lines indented under the key. Anything else (comments, tabs, flow
collections, anchors, tags, block scalars, escapes, blank lines inside a value, a key twice,
unusual characters) returns None, so the YAML reader decides, and reports, what it means.
"""

from __future__ import annotations

import re

_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")  # what a plain value may not start with
_KEY = r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}"
_ENTRY = re.compile(rf"({_KEY}):(?: +(.*))?")  # a top-level key and its value (spaces after it)
_NESTED = re.compile(rf"( +)({_KEY}):(?: +(.*))?")
_ITEM = re.compile(r"( *)-(?: +(.*))?")
# Characters left to YAML: tabs, carriage returns, a byte-order mark, YAML's own line
# separators, and what YAML cannot carry at all (written as the characters to refuse: the
# class of the ones to accept took 12 ms to compile).
_UNUSUAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")


class Unsure(Exception):
    """The text is not of the shape this reader knows."""


def read_simple_mapping(front: str, first_line: int) -> tuple[dict, dict[str, int]] | None:
    """(values, line of each key) as `parse_mapping` returns them, or None when unsure."""
    if _UNUSUAL.search(front):
        return None
    try:
        return _read(front.split("\n"), first_line)
    except Unsure:
        return None


def _read(lines: list[str], first_line: int) -> tuple[dict, dict[str, int]]:
    data: dict = {}
    where: dict[str, int] = {}
    at, end = 0, len(lines)
    while at < end:
        text = lines[at]
        if not text:
            at += 1
            continue
        found = _ENTRY.fullmatch(text)
        if found is None:
            raise Unsure
        key, value = found.group(1), (found.group(2) or "").rstrip(" ")
        if key in data or key in _NULLS:
            raise Unsure  # a key twice, or a null key: YAML's message
        line = first_line + at
        at += 1
        if value and _is_plain(value):
            data[key], at = _folded(value, lines, at)
        elif value:
            data[key] = _scalar(value)
            at = _end_of_block(lines, at, 0)
        else:
            data[key], at = _block(lines, at, key, first_line, where)
        where.setdefault(key, line)
    if not data:
        raise Unsure  # an empty front matter: rare, and YAML says what it is
    return data, where


def _folded(first: str, lines: list[str], at: int) -> tuple[str | None, int]:
    """A plain value and the indented lines that continue it, folded with spaces."""
    if at == len(lines) or lines[at][:1] != " ":
        return (None if first in _NULLS else first), at
    parts = [first]
    while at < len(lines) and lines[at][:1] == " ":
        text = lines[at].strip(" ")
        if not text or text[0] == "#" or not _is_plain(text, continued=True):
            raise Unsure  # a blank line in a value (a newline there), a comment, a key
        parts.append(text)
        at += 1
    return " ".join(parts), at


def _block(lines: list[str], at: int, key: str, first_line: int, where: dict[str, int]) -> tuple[object, int]:
    """What follows `key:` with nothing after the colon: None, a list or a mapping."""
    at = _skip_blank(lines, at)
    if at == len(lines) or lines[at][0] not in " -":
        return None, at
    indent = len(lines[at]) - len(lines[at].lstrip(" "))
    if lines[at][indent] == "-":
        return _items(lines, at, indent)
    return _mapping(lines, at, indent, key, first_line, where)


def _items(lines: list[str], at: int, indent: int) -> tuple[list, int]:
    items = []
    while at < len(lines):
        found = _ITEM.fullmatch(lines[at])
        if found is None or len(found.group(1)) != indent:
            break
        items.append(_scalar((found.group(2) or "").rstrip(" ")))
        at = _skip_blank(lines, at + 1)
    return items, _end_of_block(lines, at, indent)


def _mapping(
    lines: list[str], at: int, indent: int, parent: str, first_line: int, where: dict[str, int]
) -> tuple[dict, int]:
    mapping: dict = {}
    while at < len(lines):
        found = _NESTED.fullmatch(lines[at])
        if found is None or len(found.group(1)) != indent:
            break
        key, value = found.group(2), (found.group(3) or "").rstrip(" ")
        if key in mapping or key in _NULLS:
            raise Unsure
        mapping[key] = _scalar(value)
        where.setdefault(f"{parent}.{key}", first_line + at)
        at = _skip_blank(lines, at + 1)
        if not value and at < len(lines) and lines[at][indent : indent + 1] == "-":
            raise Unsure  # perhaps a list under the nested key
    return mapping, _end_of_block(lines, at, indent)


def _skip_blank(lines: list[str], at: int) -> int:
    while at < len(lines) and not lines[at].strip(" "):
        at += 1
    return at


def _end_of_block(lines: list[str], at: int, indent: int) -> int:
    """Where the next top-level key must start: anything deeper or in between is not this
    reader's."""
    at = _skip_blank(lines, at)
    if at < len(lines) and (lines[at][0] == " " or (indent == 0 and lines[at][0] == "-")):
        raise Unsure
    return at


def _scalar(text: str) -> str | None:
    """One line's value: plain, or quoted without escapes or line breaks."""
    if not text:
        return None
    first = text[0]
    if first == "'" and len(text) > 1 and text[-1] == "'":
        inner = text[1:-1]
        if "'" in inner.replace("''", ""):
            raise Unsure
        return inner.replace("''", "'")
    if first == '"' and len(text) > 1 and text[-1] == '"':
        inner = text[1:-1]
        if '"' in inner or "\\" in inner:
            raise Unsure
        return inner
    if not _is_plain(text):
        raise Unsure
    return None if text in _NULLS else text


def _is_plain(text: str, continued: bool = False) -> bool:
    """Plain YAML text: not starting with an indicator (a continued line may), without ": " or
    " #", not ending in ":"."""
    return (
        (continued or text[0] not in _INDICATORS)
        and ": " not in text
        and " #" not in text
        and text[-1] != ":"
    )
