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
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..errors import NOTE, WARNING, Problem, UserError, shown_path
from ..model import Bookmark, Progress, Site
from ..values.files import identity_of
from .bookmark import apply_now
from .cache import ParseCache
from .finish import finish_all, finish_bookmarks
from .merge import merge_duplicates
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
Identity = tuple[int, int, int, int]


class Scan(NamedTuple):
    """Every bookmark file below the content folder, in a stable order: (path, shown path,
    identity or None when it cannot be seen), and the problems of the walk."""

    files: list[tuple[str, str, Identity | None]]
    problems: list[Problem]


def list_bookmark_files(content_dir: Path, root: Path) -> Listing:
    """([(path, shown path)], problems of the walk) for every bookmark file."""
    scan = scan_bookmark_files(content_dir, root)
    return [(Path(path), shown) for path, shown, _ in scan.files], scan.problems


def scan_bookmark_files(content_dir: Path, root: Path, identities: bool = True) -> Scan:
    """Every `*.md` file below content_dir with its identity (`values.files.file_identity`), one
    `stat` each and no `Path` per file (without `identities`, none: a first build takes each
    file's as it reads it, and 100,000 files took 0.6 s to stat, 1.4 s after a reboot). Hidden
    and `_`-prefixed names are skipped; symlinks to files are followed only when they stay
    inside content_dir; a symlinked or unreadable sub-folder is reported. Folders in name
    order, each folder's files before its sub-folders."""
    require_folder(content_dir, root)
    prefix = _shown_prefix(content_dir, root)
    walk = _Walk(content_dir.resolve(), root, Scan([], []), identities)
    walk.folder(str(content_dir), "" if prefix is None else prefix, prefix is not None)
    return walk.scan


def _shown_prefix(content_dir: Path, root: Path) -> str | None:
    """What `shown_path` puts before a listed file's path below content_dir ("content/"), or None
    when it must be asked file by file (a content folder reached through a symlink)."""
    try:
        shown = content_dir.relative_to(root).as_posix()
    except ValueError:
        try:
            content_dir.resolve().relative_to(root.resolve())
            return None
        except ValueError:
            shown = content_dir.as_posix()
    return "" if shown == "." else shown.rstrip("/") + "/"


class _Walk:
    def __init__(self, real_root: Path, root: Path, scan: Scan, identities: bool):
        self.real_root, self.root, self.scan, self.identities = real_root, root, scan, identities

    def folder(self, folder: str, shown: str, by_prefix: bool) -> None:
        try:
            with os.scandir(folder) as found:
                entries = sorted(found, key=lambda e: e.name)
        except OSError as exc:
            self.scan.problems.append(_unreadable_folder(Path(folder), self.root, exc))
            return
        folders, files = [], []
        for entry in entries:
            if _is_folder(entry):
                if not entry.name.startswith((".", "_")):
                    folders.append(entry)
            elif is_bookmark_name(entry.name):
                files.append(entry)
        for entry in [f for f in folders if f.is_symlink()]:
            self.scan.problems.append(_linked_folder(Path(entry.path), self.root))
        for entry in files:
            self.file(entry, shown + entry.name if by_prefix else shown_path(Path(entry.path), self.root))
        for entry in [f for f in folders if not f.is_symlink()]:
            self.folder(entry.path, shown + entry.name + "/", by_prefix)

    def file(self, entry: os.DirEntry, shown: str) -> None:
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(self.real_root):
            self.scan.problems.append(
                Problem(
                    shown,
                    "is a symbolic link to a file outside the content folder; skipped",
                    hint="copy the file into the content folder instead",
                )
            )
            return
        if not self.identities:
            self.scan.files.append((entry.path, shown, None))
            return
        try:
            info = entry.stat()
        except OSError:
            self.scan.files.append((entry.path, shown, None))
            return
        self.scan.files.append((entry.path, shown, identity_of(info)))


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


def _is_folder(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


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
