"""Dropmark collection JSON: what https://USER.dropmark.com/COLLECTION.json returns (the export the
seed bookmarks in content/dropmark came from), or a list of its items:

    {"id": 616548, "name": "Health", "items": [
      {"id": 17680677, "name": "the title", "description": "...", "content": "https://...",
       "link": "https://...", "type": "link", "thumbnail": "https://cdn...?Expires=...",
       "created_at": "2019-02-08 11:39:55 UTC", "updated_at": "...", "url": "edit URL",
       "collection_name": "Health", "tags": [{"name": "healthcare it"}]}, ...]}

Only items of type "link" (or without a type but with a link) are bookmarks; images, files, notes
and sub-collections are refused with a message. Tags (names or {"name": ...} objects) become
categories; the collection's name does not (it is usually the whole import). Dropmark has no
private items: a collection is shared or not as a whole.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from .common import Collector, ImportedBookmark, Problem
from .jsonexport import parse_json_export


def parse_dropmark(
    data: bytes, source: str, now: datetime | None = None
) -> tuple[list[ImportedBookmark], list[Problem]]:
    """The bookmarks of a Dropmark collection JSON export, and the problems found."""
    return parse_json_export(data, source, now, ("items",), _record)


def _record(item: dict, line: int, index: int, col: Collector, now: datetime) -> ImportedBookmark | None:
    kind = item.get("type")
    if kind not in (None, "link"):
        shown = kind if isinstance(kind, str) else type(kind).__name__
        col.error(line, "type", f"is a Dropmark {shown!r} item, not a link; skipped")
        return None
    raw_link = item.get("link") if item.get("link") not in (None, "") else item.get("content")
    link = col.link(raw_link, line, "link")
    date = col.date(item.get("created_at"), line, "created_at", now)
    if link is None or date is None:
        return None
    names = []
    for tag in item.get("tags") or []:
        names.append(tag.get("name") if isinstance(tag, dict) else tag)
    description, body = col.note(item.get("description"), line, "description")
    return ImportedBookmark(
        link=link,
        title=col.title(item.get("name"), line, "name"),
        date=date,
        categories=col.categories(names, line, "tags"),
        description=description,
        body=body,
        image=col.image(item.get("thumbnail"), line, "thumbnail", now),
        brand=(urlsplit(link).hostname or "").removeprefix("www.") or None,
        source=col.source,
        line=line,
        item=index,
    )
