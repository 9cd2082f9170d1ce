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

from ..errors import NOTE, WARNING, Problem, UserError, shown_path
from ..model import Bookmark, Category, Progress, Site
from ..values.text import category_key
from . import categories as cats
from .bookmark import apply_now
from .cache import ParseCache
from .finish import finish_all, finish_bookmarks
from .parse import parse_files, parse_one


def load_bookmarks(
    content_dir: Path,
    root: Path,
    site: Site,
    now: datetime,
    cache: ParseCache | None = None,
    finish: bool = True,
    listing: Listing | None = None,
    progress: Progress | None = None,
) -> tuple[list[Bookmark], list[Problem]]:
    """All bookmarks under content_dir, merged and with categories resolved, plus problems.
    Unchanged files come from `cache` (none: every file is parsed). With `finish` False, bodies
    stay Markdown (`finish.finish_bookmarks` renders the ones shown). `listing`: what
    `list_bookmark_files` returned, if the caller has it already."""
    paths, problems = listing if listing is not None else list_bookmark_files(content_dir, root)
    problems = list(problems)
    cache = cache if cache is not None else ParseCache(None, "")
    parsed: list[tuple[Bookmark, tuple[str, ...]]] = []
    for result in parse_files(paths, site, cache, progress=progress):
        bookmark, more = apply_now(result, now)
        problems += more
        if bookmark is not None:
            parsed.append((bookmark, result.names))
    if not paths and not problems:
        problems.append(no_bookmark_files(content_dir, root))
    bookmarks, notes = merge_duplicates(parsed)
    if finish:
        bookmarks, rendered = finish_all(bookmarks, cache.memo if cache.folder else None)
        notes += rendered
    return bookmarks, problems + notes


Listing = tuple[list[tuple[Path, str]], list[Problem]]


def list_bookmark_files(content_dir: Path, root: Path) -> Listing:
    """([(path, shown path)], problems of the walk) for every bookmark file."""
    require_folder(content_dir, root)
    paths, problems = [], []
    for path, problem in iter_bookmark_files(content_dir, root):
        if problem:
            problems.append(problem)
        else:
            paths.append((path, shown_path(path, root)))
    return paths, problems


def require_folder(content_dir: Path, root: Path) -> None:
    """A missing (or misspelt) content folder is an error, never "0 bookmarks"."""
    if not content_dir.is_dir():
        what = "is not a folder" if content_dir.exists() else "no such folder"
        raise UserError(
            Problem(
                shown_path(content_dir, root),
                f"{what}; the bookmarks are read from here",
                field="build.content",
                hint="check build.content in linkletter.yaml (default: content)",
            )
        )


def no_bookmark_files(content_dir: Path, root: Path) -> Problem:
    """A content folder without a single bookmark file, naming what it holds instead."""
    found = sorted(p.name for p in content_dir.iterdir() if not p.name.startswith("."))
    shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
    return Problem(
        shown_path(content_dir, root),
        f"no bookmark files (*.md); found {shown}"
        if found
        else "no bookmark files (*.md); the folder is empty",
        hint="each bookmark is one Markdown file with front matter (see the README, 'Bookmark files')",
    )


def is_bookmark_name(name: str) -> bool:
    """`*.md` in any case (`Notes.MD` too); hidden and `_`-prefixed names are not bookmarks."""
    return name.lower().endswith(".md") and not name.startswith((".", "_"))


def iter_bookmark_files(content_dir: Path, root: Path) -> Iterator[tuple[Path, Problem | None]]:
    """Every `*.md` file below content_dir in a stable order. Hidden and `_`-prefixed names are
    skipped; symlinks to files are followed only when they stay inside content_dir; a symlinked
    or unreadable sub-folder is reported."""
    real_root = content_dir.resolve()
    unreadable: list[OSError] = []
    for folder, dirnames, filenames in os.walk(content_dir, onerror=unreadable.append, followlinks=False):
        yield from ((Path(e.filename), _unreadable_folder(Path(e.filename), root, e)) for e in unreadable)
        unreadable.clear()
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")))
        for name in [d for d in dirnames if (Path(folder) / d).is_symlink()]:
            dirnames.remove(name)
            yield Path(folder) / name, _linked_folder(Path(folder) / name, root)
        for name in sorted(filenames):
            if not is_bookmark_name(name):
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
    yield from ((Path(e.filename), _unreadable_folder(Path(e.filename), root, e)) for e in unreadable)


def _unreadable_folder(path: Path, root: Path, exc: OSError) -> Problem:
    return Problem(
        shown_path(path, root),
        f"this folder cannot be read ({exc.strerror}); the bookmarks in it are left out",
        hint="check its permissions",
    )


def _linked_folder(path: Path, root: Path) -> Problem:
    return Problem(
        shown_path(path, root),
        "is a symbolic link to a folder; not followed, the bookmarks in it are left out",
        hint="move the folder into the content folder instead",
        severity=WARNING,
    )


def load_bookmark(
    path: Path, source: str, site: Site, now: datetime
) -> tuple[Bookmark | None, tuple[str, ...], list[Problem]]:
    """(bookmark or None, raw category names, problems) for one file, its body rendered."""
    result = parse_one(str(path), source, site, None)[1]
    assert result is not None
    bookmark, problems = apply_now(result, now)
    if bookmark is None:
        return None, result.names, problems
    done, rendered = finish_bookmarks([bookmark])
    return done.get(bookmark.id, bookmark), result.names, problems + rendered


def merge_duplicates(parsed: list[tuple[Bookmark, tuple[str, ...]]]) -> tuple[list[Bookmark], list[Problem]]:
    """One bookmark per link (see the module docstring), categories resolved."""
    groups: dict[str, list[tuple[Bookmark, tuple[str, ...]]]] = {}
    for bookmark, names in parsed:
        groups.setdefault(bookmark.id, []).append((bookmark, names))
    catalog = cats.build_categories(name for _, names in parsed for name in names)
    bookmarks: list[Bookmark] = []
    notes: list[Problem] = []
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
            Problem(
                other,
                f"the same link as {first.source}; merged into one item "
                "(earliest date, newest save's text, all categories)",
                field="link",
                severity=NOTE,
            )
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
