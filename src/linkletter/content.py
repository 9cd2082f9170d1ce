"""Read `content/`: every bookmark file once, into frozen `Bookmark`s plus every problem found.

Rules for real-world variants (the README documents them for users):
- unknown keys are ignored; `draft: true` (or yes/on/1) leaves the bookmark out;
- `categories` may be missing, empty, a list, or one string (split at commas); `tags` are added;
- `title` and `description` are text: tags are dropped and entities decoded; a missing title
  becomes the link without its scheme, a missing description the body's first paragraph;
- `date` with `Z`, an offset, no zone (read in the site's time zone) or date only (midnight
  there); RFC 822 dates and Unix timestamps are accepted too;
- the same link saved twice (see `urls.link_key`) is one bookmark: it keeps the earliest save's
  date (so it never resurfaces as new), the newest save's title, description, body and image
  (re-saving refreshes them), and the union of all saves' categories.
- titles that are placeholders from a failed page load ("301 Moved Permanently",
  "INVALID_DESCRIPTION", a bare URL) count as missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from . import categories as cats
from .errors import Problem, shown_path
from .fields import FieldError, parse_fields
from .frontmatter import FrontMatterError, parse_mapping, split_document
from .markup import clean_text
from .model import Bookmark, Site
from .urls import link_key

MAX_FILE_BYTES = 1024 * 1024


class FileError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def load_bookmarks(content_dir: Path, root: Path, site: Site, now) -> tuple[list[Bookmark], list[Problem]]:
    """All bookmarks under content_dir, merged and with categories resolved, plus problems."""
    problems: list[Problem] = []
    parsed: list[tuple[Bookmark, tuple[str, ...]]] = []
    for path, problem in iter_bookmark_files(content_dir, root):
        if problem:
            problems.append(problem)
            continue
        try:
            result = load_bookmark(path, shown_path(path, root), site, now)
        except FileError as exc:
            problems.extend(exc.problems)
            continue
        if result is not None:
            bookmark, raw_categories, warnings = result
            problems.extend(warnings)
            parsed.append((bookmark, raw_categories))
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
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(real_root):
                    yield (
                        path,
                        Problem(
                            shown_path(path, root),
                            None,
                            None,
                            "is a symbolic link to a file outside the content folder; skipped",
                            "copy the file into the content folder instead",
                        ),
                    )
                    continue
            yield path, None


def load_bookmark(path: Path, relpath: str, site: Site, now):
    """(Bookmark, raw category names, warnings), None for a draft, or FileError."""
    text, removed = read_text(path, relpath)
    try:
        front, front_line, body, _ = split_document(text)
        data, lines = parse_mapping(front, front_line)
    except FrontMatterError as exc:
        raise FileError([Problem(relpath, exc.line, exc.field, exc.message, exc.hint)]) from None
    try:
        fields = parse_fields(data, body, site, now)
    except FieldError as exc:
        raise FileError([_problem(relpath, lines, e) for e in exc.errors]) from None
    if fields is None:
        return None
    bookmark = Bookmark(
        id=site.make_id(link_key(fields.link)),
        link=fields.link,
        title=fields.title,
        date=fields.date,
        categories=(),
        description=fields.description,
        description_in_body=fields.description_in_body,
        body_html=fields.body_html,
        image=fields.image,
        brand=fields.brand,
        source=relpath,
    )
    warnings = [_problem(relpath, lines, w, "warning") for w in fields.warnings]
    if removed:
        warnings.append(
            Problem(
                relpath,
                None,
                None,
                f"{removed} control character(s) removed",
                "they cannot appear in a feed",
                "warning",
            )
        )
    return bookmark, fields.categories, warnings


def read_text(path: Path, relpath: str) -> tuple[str, int]:
    """The file as text with LF line ends, without a BOM or control characters, and how many
    control characters were removed. Bounded in size."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FileError(
                [
                    Problem(
                        relpath,
                        None,
                        None,
                        f"is {size / 2**20:.1f} MiB; a bookmark file may be at most {MAX_FILE_BYTES // 2**20} MiB",
                        "keep long notes elsewhere and link to them",
                    )
                ]
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise FileError([Problem(relpath, None, None, f"cannot be read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileError(
            [
                Problem(
                    relpath,
                    line,
                    None,
                    f"is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                    "save the file as UTF-8",
                )
            ]
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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
            Problem(
                other,
                None,
                "link",
                f"the same link as {first.source}; merged into one item "
                "(earliest date, newest save's text, all categories)",
                severity="note",
            )
            for other in others
        )
    return bookmarks, notes


def _resolve(catalog, names) -> tuple:
    seen, result = set(), []
    for name in names:
        category = catalog.get(cats.category_key(name))
        if category is not None and category not in seen:
            seen.add(category)
            result.append(category)
    return tuple(result)


def _problem(relpath: str, lines: dict[str, int], error, severity: str = "error") -> Problem:
    return Problem(relpath, lines.get(error.field), error.field, error.message, error.hint, severity)
