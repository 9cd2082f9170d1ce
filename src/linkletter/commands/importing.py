"""`import`: another service's export becomes bookmark files in content/. A link already there
(compared by the link key the ids use) is never written again, so importing twice adds nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..content.load import load_bookmarks
from ..errors import shown_path
from ..importers import FORMATS as IMPORT_FORMATS
from ..importers import ImportReport, import_bookmarks
from ..model import Config
from ..values.links import link_key


def import_export(
    config: Config, fmt: str, path: Path, now: datetime, include_private: bool = False, dry_run: bool = False
) -> ImportReport:
    content = config.build.content_dir
    existing = set()
    if content.is_dir():
        bookmarks, _ = load_bookmarks(content, config.root, config.site, now)
        existing = {link_key(b.link) for b in bookmarks}
    return import_bookmarks(
        content,
        fmt,
        path,
        include_private,
        existing,
        now,
        source=shown_path(path, config.root),
        dry_run=dry_run,
    )


def shown(config: Config, path: Path) -> str:
    return shown_path(path, config.root)


__all__ = ["IMPORT_FORMATS", "import_export", "shown"]
