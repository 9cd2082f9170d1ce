"""Raindrop.io CSV (Settings, Backups / Export, CSV):

    id,title,note,excerpt,url,folder,tags,created,cover,highlights,favorite
    1001,"Title","my note","the page's excerpt",https://...,"Dev / Python","a, b",2024-03-15T09:30:00.000Z,https://cover,,false

`folder` is the collection, nested ones joined by " / "; each level becomes a category (but not
"Unsorted"). `tags` are comma-separated. `excerpt` is the description, `note` and `highlights` go
into the body. `favorite` and `id` are not used. Raindrop has no private bookmarks.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from .common import (
    MAX_BODY,
    MAX_ITEMS,
    Collector,
    ImportedBookmark,
    decode_text,
    default_now,
)

MAX_FIELD = 1024 * 1024  # characters in one cell
_NOT_CATEGORIES = frozenset({"unsorted", "trash"})


def parse_raindrop(
    data: bytes, source: str, now: datetime | None = None
) -> tuple[list[ImportedBookmark], list]:
    """The bookmarks of a Raindrop CSV export, and the problems found."""
    now = default_now(now)
    col = Collector(source)
    text = decode_text(data, col)
    if text is None:
        return [], col.problems
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    old_limit = csv.field_size_limit(MAX_FIELD)
    records: list[ImportedBookmark] = []
    try:
        try:
            header = next(reader)
        except StopIteration:
            col.error(1, None, "is empty")
            return [], col.problems
        columns = {name.strip().lower(): i for i, name in enumerate(header)}
        if "url" not in columns:
            col.error(
                1,
                None,
                "has no 'url' column",
                "expected Raindrop's header: id,title,note,excerpt,url,folder,tags,created,...",
            )
            return [], col.problems
        index = 0
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                col.error(start, None, f"is not valid CSV: {exc}; the rest of the file was not read")
                break
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            index += 1
            if index > MAX_ITEMS:
                col.error(
                    line,
                    None,
                    f"has more than {MAX_ITEMS} bookmarks; the rest were not read",
                    "split the export",
                )
                break
            cells = {name: (row[i] if i < len(row) else "") for name, i in columns.items()}
            record = _record(cells, line, index, col, now)
            if record is not None:
                records.append(record)
    finally:
        csv.field_size_limit(old_limit)
    return records, col.problems


def _record(
    cells: dict[str, str], line: int, index: int, col: Collector, now: datetime
) -> ImportedBookmark | None:
    link = col.link(cells.get("url"), line, "url")
    date = col.date(cells.get("created"), line, "created", now)
    if link is None or date is None:
        return None
    folders = [f for f in cells.get("folder", "").split(" / ") if f.strip().lower() not in _NOT_CATEGORIES]
    tags = cells.get("tags", "").split(",")
    description, body = col.note(cells.get("excerpt"), line, "excerpt")
    extra = [part for part in (cells.get("note", "").strip(), _quotes(cells.get("highlights", ""))) if part]
    if extra:
        body = "\n\n".join(([body or description] if (body or description) else []) + extra)[:MAX_BODY]
        if not description:
            description, _ = col.note(extra[0], line, "note")
    return ImportedBookmark(
        link=link,
        title=col.title(cells.get("title"), line, "title"),
        date=date,
        categories=col.categories([*folders, *tags], line, "tags"),
        description=description,
        body=body,
        image=col.image(cells.get("cover"), line, "cover", now),
        source=col.source,
        line=line,
        item=index,
    )


def _quotes(highlights: str) -> str:
    """Raindrop's highlights, one per line, as Markdown block quotes."""
    return "\n\n".join("> " + h.strip() for h in highlights.split("\n") if h.strip())
