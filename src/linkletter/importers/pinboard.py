"""Pinboard JSON (https://pinboard.in/export/format:json/): a list of objects

    {"href": "https://...", "description": "the title", "extended": "the note",
     "meta": "...", "hash": "...", "time": "2019-02-08T11:39:55Z",
     "shared": "yes", "toread": "no", "tags": "space separated tags"}

`shared: "no"` marks a private bookmark; `toread: "yes"` one saved to read later (written as a
draft). Tags that start with "." are Pinboard's private tags and are not imported.
"""

from __future__ import annotations

from datetime import datetime

from .common import (
    MAX_ITEMS,
    Collector,
    ImportedBookmark,
    JsonShapeError,
    decode_text,
    default_now,
    json_items,
)


def parse_pinboard(
    data: bytes, source: str, now: datetime | None = None
) -> tuple[list[ImportedBookmark], list]:
    """The bookmarks of a Pinboard JSON export, and the problems found."""
    now = default_now(now)
    col = Collector(source)
    text = decode_text(data, col)
    if text is None:
        return [], col.problems
    try:
        _, items = json_items(text, ("posts", "bookmarks"))
    except JsonShapeError as exc:
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
        record = _record(item, line, index, col, now)
        if record is not None:
            records.append(record)
    return records, col.problems


def _record(item: dict, line: int, index: int, col: Collector, now: datetime) -> ImportedBookmark | None:
    link = col.link(item.get("href"), line, "href")
    date = col.date(item.get("time"), line, "time", now)
    if link is None or date is None:
        return None
    tags = item.get("tags")
    names = tags.split() if isinstance(tags, str) else tags if isinstance(tags, list) else []
    public_tags = [t for t in names if isinstance(t, str) and not t.startswith(".")]
    description, body = col.note(item.get("extended"), line, "extended")
    return ImportedBookmark(
        link=link,
        title=col.title(item.get("description"), line, "description"),
        date=date,
        categories=col.categories(public_tags, line, "tags"),
        description=description,
        body=body,
        private=_flag(item.get("shared"), default=True) is False,
        to_read=_flag(item.get("toread"), default=False) is True,
        source=col.source,
        line=line,
        item=index,
    )


def _flag(value: object, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("yes", "no", "true", "false", "1", "0"):
        return value.strip().lower() in ("yes", "true", "1")
    return default
