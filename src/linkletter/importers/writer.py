"""From an export file to bookmark files in content/: recognise the format, parse, merge the same
link saved twice, leave out what is already there or private, and write one file per bookmark in
the seed's format (content/dropmark/*.md), never overwriting anything."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from ..errors import Problem, UserError, ValueProblem
from ..values.files import read_bounded
from .common import MAX_INPUT_BYTES, ImportedBookmark, default_now
from .dropmark import parse_dropmark
from .netscape import parse_netscape
from .pinboard import parse_pinboard
from .raindrop import parse_raindrop

Parser = Callable[..., tuple[list[ImportedBookmark], list[Problem]]]
PARSERS: dict[str, Parser] = {
    "netscape": parse_netscape,
    "pinboard": parse_pinboard,
    "dropmark": parse_dropmark,
    "raindrop": parse_raindrop,
}
FORMATS = (*PARSERS, "auto")
SERVICE_NAMES = {
    "netscape": "Netscape bookmark file",
    "pinboard": "Pinboard",
    "dropmark": "Dropmark",
    "raindrop": "Raindrop.io",
}
IMPORT_FOLDER = "imported"  # content/imported/FORMAT/HOST-HASH.md
MAX_NAME_BYTES = 100
_SNIFF = 64 * 1024


@dataclass
class ImportReport:
    """What an import did. `refused` holds the errors (each names file, line and field),
    `warnings` what was adjusted (a shortened title, a dropped image, a missing date)."""

    fmt: str
    source: str
    added: list[Path] = field(default_factory=list)
    already_present: int = 0
    merged: int = 0  # saves of a link that appears more than once in the export itself
    private: int = 0  # private bookmarks left out (include_private=False)
    drafts: int = 0  # added with `draft: true` (saved "to read")
    refused: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [*self.refused, *self.warnings]

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{self.already_present} already present"]
        if self.merged:
            parts.append(f"{self.merged} duplicate(s) in the file merged")
        parts.append(
            f"{self.private} private skipped" + (" (--include-private imports them)" if self.private else "")
        )
        parts.append(f"{len(self.refused)} refused")
        text = f"{self.source} ({self.fmt}): " + ", ".join(parts)
        if self.drafts:
            text += f"; {self.drafts} saved to read later, written as drafts"
        return text


def import_bookmarks(
    content_dir: Path,
    fmt: str,
    path: Path,
    include_private: bool = False,
    existing_keys: Iterable[str] = (),
    now: datetime | None = None,
    *,
    source: str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import the export at `path` into `content_dir/imported/FORMAT/`.

    `fmt` is one of FORMATS ("auto" recognises the file). `existing_keys` are the link keys
    (`link_key(bookmark.link)`) of the bookmarks already in content/; a link among them, or one
    whose file name already exists under content/imported/, is counted as already present and
    not written. `source` is how messages name the file (default: its name). With `dry_run`
    nothing is written; the report says what would have been. Raises UserError when the file
    cannot be read, is too large, or is not in a known format."""
    now = default_now(now)
    shown = source or path.name
    data = read_export(path, shown)
    if fmt == "auto":
        fmt = detect_format(data, shown)
    if fmt not in PARSERS:
        raise UserError(Problem(shown, f"unknown format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}"))
    records, problems = PARSERS[fmt](data, shown, now)
    report = ImportReport(fmt, shown)
    report.refused = [p for p in problems if p.is_error]
    report.warnings = [p for p in problems if not p.is_error]
    merged = merge_same_links(records)
    report.merged = len(records) - len(merged)
    known = set(existing_keys)
    folder = content_dir / IMPORT_FOLDER / fmt
    if not dry_run:
        folder = _safe_folder(content_dir, folder)
    for record in merged:
        name = file_name(record)
        if record.key in known or _name_taken(content_dir, name):
            report.already_present += 1
            continue
        if record.private and not include_private:
            report.private += 1
            continue
        target = folder / name
        if dry_run or _write_new(target, render_bookmark_file(record, fmt)):
            report.added.append(target)
            report.drafts += record.to_read
            known.add(record.key)
        else:
            report.already_present += 1
    return report


def read_export(path: Path, shown: str) -> bytes:
    """The export's bytes; UserError if it cannot be read, is not a regular file or is over
    MAX_INPUT_BYTES."""
    try:
        return read_bounded(path, MAX_INPUT_BYTES, "an export", "split the export into smaller files")
    except ValueProblem as exc:
        raise UserError(exc.at(shown)) from None


def detect_format(data: bytes, source: str) -> str:
    """The format of an export, recognised by its content (not its name); UserError if none fits."""
    head = data[:_SNIFF].decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    lower = head.lower()
    if lower.startswith("<!doctype netscape-bookmark-file") or (
        lower.startswith("<") and re.search(r"<(dt|li)>\s*<a\s[^>]*href", lower)
    ):
        return "netscape"
    if lower.startswith(("[", "{")):
        if '"href"' in lower and ('"tags"' in lower or '"time"' in lower or lower.startswith("[")):
            return "pinboard"
        if any(
            key in lower for key in ('"created_at"', '"collection_id"', '"thumbnails"', '"is_url"', '"items"')
        ):
            return "dropmark"
    first_line = lower.split("\n", 1)[0]
    columns = {c.strip().strip('"') for c in first_line.split(",")}
    if {"url", "title"} <= columns:
        return "raindrop"
    raise UserError(
        Problem(
            source,
            "is not an export linkletter recognises",
            hint="name the format: netscape (bookmark HTML from browsers, Pocket, Raindrop, linkding, "
            "Shaarli, Delicious), pinboard (Pinboard JSON), dropmark (Dropmark collection JSON) "
            "or raindrop (Raindrop.io CSV)",
        )
    )


def merge_same_links(records: list[ImportedBookmark]) -> list[ImportedBookmark]:
    """One record per link key, in the order of first appearance: the earliest date, the first
    save's text, the categories of all saves; private or to-read if any save is."""
    groups: dict[str, list[ImportedBookmark]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    result = []
    for group in groups.values():
        first = group[0]
        if len(group) > 1:
            categories: list[str] = []
            seen: set[str] = set()
            for record in group:
                for name in record.categories:
                    if name.casefold() not in seen:
                        seen.add(name.casefold())
                        categories.append(name)
            first = replace(
                first,
                date=min(r.date for r in group),
                categories=tuple(categories[:50]),
                private=any(r.private for r in group),
                to_read=any(r.to_read for r in group),
            )
        result.append(first)
    return result


def file_name(record: ImportedBookmark) -> str:
    """`HOST-HASH.md`: the host without `www.`, and 12 hex digits of SHA-256 of the link key.
    Depends only on the link key, so the same link always gets the same name; path-safe."""
    host = (urlsplit(record.link).hostname or "").removeprefix("www.")
    host = re.sub(r"[^a-z0-9.-]+", "-", host.lower())
    host = re.sub(r"[.-]{2,}", "-", host)[:60].strip(".-") or "link"
    digest = hashlib.sha256(record.key.encode("utf-8")).hexdigest()[:12]
    name = f"{host}-{digest}.md"
    assert len(name.encode()) <= MAX_NAME_BYTES
    return name


def render_bookmark_file(record: ImportedBookmark, fmt: str | None = None) -> str:
    """The bookmark file's text in the seed's format: YAML front matter (every value dumped by
    yaml.safe_dump, so titles like `no`, `2024`, `- x` or `a: b` stay text), then the body."""
    lines = ["---"]

    def put(key: str, value) -> None:
        lines.append(
            yaml.safe_dump(
                {key: value}, allow_unicode=True, default_flow_style=False, sort_keys=False, width=80
            ).rstrip("\n")
        )

    if record.title:
        put("title", record.title)
    put("link", record.link)
    lines.append(f"date: {record.date.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}")
    if record.categories:
        put("categories", list(record.categories))
    if record.description:
        put("description", record.description)
    if record.image:
        put("featuredImage", record.image)
    put("slug", file_name(record).removesuffix(".md"))
    brand = record.brand or (urlsplit(record.link).hostname or "").removeprefix("www.")
    if brand:
        put("linkBrand", brand)
    if record.to_read:
        lines.append("draft: true")
    if fmt:
        put("source", {"name": f"{SERVICE_NAMES.get(fmt, fmt)} import"})
    lines.append("---")
    body = record.body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return "\n".join(lines) + "\n" + (body + "\n" if body else "")


def _safe_folder(content_dir: Path, folder: Path) -> Path:
    """Create `folder` and make sure it really is inside content_dir (no symlink out)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(Problem(folder.as_posix(), f"cannot be created: {exc.strerror}")) from None
    if not folder.resolve().is_relative_to(content_dir.resolve()):
        raise UserError(
            Problem(
                folder.as_posix(),
                "leads outside the content folder (a symbolic link); nothing was written",
                hint="remove the link or import into another content folder",
            )
        )
    return folder


def _name_taken(content_dir: Path, name: str) -> bool:
    """Whether an earlier import of any format already wrote this link's file (a draft, say,
    which the reader leaves out of existing_keys)."""
    base = content_dir / IMPORT_FOLDER
    return base.is_dir() and any(
        (sub / name).exists() or (sub / name).is_symlink() for sub in base.iterdir() if sub.is_dir()
    )


def _write_new(target: Path, text: str) -> bool:
    """Write `target` if it does not exist, atomically (a temporary file, then a hard link);
    False if it exists. Never overwrites."""
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False
        except OSError:  # no hard links on this file system
            if target.exists() or target.is_symlink():
                return False
            os.replace(temporary, target)
        return True
    except OSError as exc:
        raise UserError(Problem(target.as_posix(), f"cannot be written: {exc.strerror}")) from None
    finally:
        temporary.unlink(missing_ok=True)
