"""Read `content/`: every bookmark file once, into frozen `Bookmark`s plus every problem found.

Rules for real-world variants (the README documents them for users):
- unknown keys are ignored; `draft: true` (or yes/on/1) leaves the bookmark out;
- `categories` may be missing, empty, a list, or one string (split at commas); `tags` are added;
- `title` and `description` are text: tags are dropped and entities decoded; a missing title
  becomes the link without its scheme, a missing description the body's first paragraph;
- `date` with `Z`, an offset, no zone (read in the site's time zone) or date only (midnight
  there); RFC 822 dates and Unix timestamps are accepted too;
- the same link saved twice (see `values.links.link_key`) is one bookmark: it keeps the earliest
  save's date (so it never resurfaces as new), the newest save's title, description, body and
  image (re-saving refreshes them), and the union of all saves' categories.
- titles that are placeholders from a failed page load ("301 Moved Permanently",
  "INVALID_DESCRIPTION", a bare URL) count as missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..errors import NOTE, WARNING, Problem, ValueProblem, shown_path
from ..model import Bookmark, Category, Site
from ..values.files import decode_text, read_bounded
from ..values.text import category_key, clean_text
from . import categories as cats
from .bookmark import parse_bookmark

MAX_FILE_BYTES = 1024 * 1024


def load_bookmarks(
    content_dir: Path, root: Path, site: Site, now: datetime
) -> tuple[list[Bookmark], list[Problem]]:
    """All bookmarks under content_dir, merged and with categories resolved, plus problems."""
    problems: list[Problem] = []
    parsed: list[tuple[Bookmark, tuple[str, ...]]] = []
    for path, problem in iter_bookmark_files(content_dir, root):
        if problem:
            problems.append(problem)
            continue
        bookmark, names, more = load_bookmark(path, shown_path(path, root), site, now)
        problems += more
        if bookmark is not None:
            parsed.append((bookmark, names))
    bookmarks, notes = merge_duplicates(parsed)
    return bookmarks, problems + notes


def iter_bookmark_files(content_dir: Path, root: Path) -> Iterator[tuple[Path, Problem | None]]:
    """Every `*.md` file below content_dir in a stable order. Hidden and `_`-prefixed names are
    skipped; symlinks are followed only when they stay inside content_dir."""
    real_root = content_dir.resolve()
    for folder, dirnames, filenames in os.walk(content_dir, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in sorted(filenames):
            if name.startswith((".", "_")) or not name.endswith(".md"):
                continue
            path = Path(folder) / name
            if path.is_symlink() and not path.resolve().is_relative_to(real_root):
                yield (
                    path,
                    Problem(
                        shown_path(path, root),
                        "is a symbolic link to a file outside the content folder; skipped",
                        hint="copy the file into the content folder instead",
                    ),
                )
                continue
            yield path, None


def load_bookmark(
    path: Path, source: str, site: Site, now: datetime
) -> tuple[Bookmark | None, tuple[str, ...], list[Problem]]:
    """(bookmark or None, raw category names, problems) for one file."""
    try:
        text, removed = read_text(path)
    except ValueProblem as exc:
        return None, (), [exc.at(source)]
    bookmark, names, problems = parse_bookmark(text, source, site, now)
    if removed:
        problems.append(
            Problem(
                source,
                f"{removed} control character(s) removed",
                hint="they cannot appear in a feed",
                severity=WARNING,
            )
        )
    return bookmark, names, problems


def read_text(path: Path) -> tuple[str, int]:
    """The file as text with LF line ends, without a BOM or control characters, and how many
    control characters were removed. Bounded in size."""
    data = read_bounded(path, MAX_FILE_BYTES, "a bookmark file", "keep long notes elsewhere and link to them")
    text = decode_text(data)
    cleaned = clean_text(text)
    return cleaned, len(text) - len(cleaned)


def merge_duplicates(parsed: list[tuple[Bookmark, tuple[str, ...]]]) -> tuple[list[Bookmark], list[Problem]]:
    """One bookmark per link (see the module docstring), categories resolved."""
    groups: dict[str, list[tuple[Bookmark, tuple[str, ...]]]] = {}
    for bookmark, names in parsed:
        groups.setdefault(bookmark.id, []).append((bookmark, names))
    catalog = cats.build_categories(name for _, names in parsed for name in names)
    bookmarks, notes = [], []
    for group in groups.values():
        group.sort(key=lambda item: (item[0].date, item[0].source))
        first, newest = group[0][0], group[-1][0]
        others = tuple(b.source for b, _ in group[1:])
        bookmarks.append(
            replace(
                newest,
                date=first.date,
                source=first.source,
                also_in=others,
                categories=_resolve(catalog, [name for _, names in group for name in names]),
            )
        )
        notes.extend(
            Problem(other, f"the same link as {first.source}; merged into one item "
                "(earliest date, newest save's text, all categories)", field="link", severity=NOTE)
            for other in others
        )
    return bookmarks, notes


def _resolve(catalog: dict[str, Category], names: list[str]) -> tuple[Category, ...]:
    seen: set[Category] = set()
    result: list[Category] = []
    for name in names:
        category = catalog.get(category_key(name))
        if category is not None and category not in seen:
            seen.add(category)
            result.append(category)
    return tuple(result)
