"""JSON exports (Pinboard, Dropmark): the items of the document with the line each starts on,
read with the standard library's decoder one value at a time, so a problem names its line."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime

from .common import MAX_ITEMS, Collector, ImportedBookmark, Problem, ValueProblem, decode_text, default_now

_WS = re.compile(r"[ \t\n\r]*")


def json_items(text: str, list_keys: tuple[str, ...]) -> tuple[dict, list[tuple[int, object]]]:
    """The items of a JSON export with the line each starts on, and the top-level object's other
    keys. The items are the top-level array, or the array under the first of `list_keys` in a
    top-level object. NaN and Infinity are refused, nesting is bounded; ValueProblem (with the line) otherwise."""
    decoder = json.JSONDecoder(parse_constant=_refuse_constant)

    counted = [0, 1]  # a position and its line: positions only grow, so counting is linear

    def line_of(pos: int) -> int:
        done, line = counted
        if pos < done:
            return text.count("\n", 0, pos) + 1
        counted[:] = [pos, line + text.count("\n", done, pos)]
        return counted[1]

    def value_at(pos: int) -> tuple[object, int]:
        try:
            return decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            if exc.pos >= len(text.rstrip()):
                raise ValueProblem(
                    line=exc.lineno,
                    message="ends in the middle of the JSON document (a truncated file?); nothing was imported",
                ) from None
            raise ValueProblem(
                line=exc.lineno,
                message=f"is not valid JSON: {exc.msg} (column {exc.colno}); nothing was imported",
            ) from None
        except ValueError as exc:  # NaN, Infinity
            raise ValueProblem(
                line=line_of(pos), message=f"is not valid JSON: {exc}; nothing was imported"
            ) from None
        except RecursionError:
            raise ValueProblem(
                line=line_of(pos), message="is nested too deeply to be an export; nothing was imported"
            ) from None

    def skip(pos: int) -> int:
        spaces = _WS.match(text, pos)  # matches the empty string too, so never None
        return spaces.end() if spaces else pos

    def array_at(pos: int) -> tuple[list[tuple[int, object]], int]:
        items: list[tuple[int, object]] = []
        pos = skip(pos + 1)
        if text.startswith("]", pos):
            return items, pos + 1
        while True:
            start = pos
            value, pos = value_at(pos)
            items.append((line_of(start), value))
            pos = skip(pos)
            if text.startswith(",", pos):
                pos = skip(pos + 1)
            elif text.startswith("]", pos):
                return items, pos + 1
            else:
                raise ValueProblem(line=line_of(pos), message=_expected("',' or ']'", text, pos))

    pos = skip(0)
    meta: dict = {}
    items: list[tuple[int, object]] | None = None
    if text.startswith("[", pos):
        items, pos = array_at(pos)
    elif text.startswith("{", pos):
        pos = skip(pos + 1)
        first = True
        while not text.startswith("}", pos):
            if not first:
                if not text.startswith(",", pos):
                    raise ValueProblem(line=line_of(pos), message=_expected("',' or '}'", text, pos))
                pos = skip(pos + 1)
            first = False
            if not text.startswith('"', pos):
                raise ValueProblem(line=line_of(pos), message=_expected("a key", text, pos))
            key, pos = value_at(pos)
            pos = skip(pos)
            if not text.startswith(":", pos):
                raise ValueProblem(line=line_of(pos), message=_expected("':'", text, pos))
            pos = skip(pos + 1)
            if key in list_keys and items is None and text.startswith("[", pos):
                items, pos = array_at(pos)
            else:
                meta[key], pos = value_at(pos)
            pos = skip(pos)
        pos += 1
    else:
        raise ValueProblem(
            line=line_of(pos), message="is not a JSON export (it does not start with '[' or '{')"
        )
    if skip(pos) != len(text):
        raise ValueProblem(
            line=line_of(skip(pos)), message="has more text after the end of the JSON document"
        )
    if items is None:
        names = " or ".join(repr(k) for k in list_keys)
        raise ValueProblem(
            line=1, message=f"holds no list of bookmarks (neither a top-level list nor {names})"
        )
    return meta, items


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _expected(what: str, text: str, pos: int) -> str:
    if pos >= len(text):
        return "ends in the middle of the JSON document (a truncated file?); nothing was imported"
    return f"is not valid JSON: expected {what}, found {text[pos : pos + 10]!r}; nothing was imported"


def parse_json_export(
    data: bytes,
    source: str,
    now: datetime | None,
    list_keys: tuple[str, ...],
    make_record: Callable[[dict, int, int, Collector, datetime], ImportedBookmark | None],
) -> tuple[list[ImportedBookmark], list[Problem]]:
    """The bookmarks of a JSON export (one `make_record` per item object) and the problems found."""
    moment = default_now(now)
    col = Collector(source)
    text = decode_text(data, col)
    if text is None:
        return [], col.problems
    try:
        _, items = json_items(text, list_keys)
    except ValueProblem as exc:
        col.error(exc.line, None, exc.message)
        return [], col.problems
    records: list[ImportedBookmark] = []
    for index, (line, item) in enumerate(items, 1):
        if index > MAX_ITEMS:
            col.error(
                line, None, f"has more than {MAX_ITEMS} bookmarks; the rest were not read", "split the export"
            )
            break
        if not isinstance(item, dict):
            col.error(line, None, f"item {index} is not an object; skipped")
            continue
        record = make_record(item, line, index, col, moment)
        if record is not None:
            records.append(record)
    return records, col.problems
