"""Pinboard JSON (https://pinboard.in/export/format:json/): a list of objects

    {"href": "https://...", "description": "the title", "extended": "the note",
     "meta": "...", "hash": "...", "time": "2019-02-08T11:39:55Z",
     "shared": "yes", "toread": "no", "tags": "space separated tags"}

`shared: "no"` marks a private bookmark; `toread: "yes"` one saved to read later (written as a
draft). Tags that start with "." are Pinboard's private tags and are not imported.
"""

from __future__ import annotations

from datetime import datetime

from .common import Collector, ImportedBookmark, Problem
from .jsonexport import parse_json_export


def parse_pinboard(
    data: bytes, source: str, now: datetime | None = None
) -> tuple[list[ImportedBookmark], list[Problem]]:
    """The bookmarks of a Pinboard JSON export, and the problems found."""
    return parse_json_export(data, source, now, ("posts", "bookmarks"), _record)


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
