"""Importing other services' bookmark exports into content/ (`linkletter import FORMAT FILE`).

- `import_bookmarks(content_dir, fmt, path, include_private, existing_keys, now)` does it all and
  returns an `ImportReport`;
- `parse_netscape`, `parse_pinboard`, `parse_dropmark`, `parse_raindrop`
  (`(data: bytes, source: str, now=None) -> (records, problems)`) read one format each;
- `detect_format(data, source)` recognises an export; `render_bookmark_file(record)` writes one.

Importers use only linkletter.model, linkletter.errors and the value helpers for links and text,
which are imported in one place: importers/common.py.
"""

from .common import MAX_INPUT_BYTES, ImportedBookmark
from .dropmark import parse_dropmark
from .netscape import parse_netscape
from .pinboard import parse_pinboard
from .raindrop import parse_raindrop
from .writer import (
    FORMATS,
    IMPORT_FOLDER,
    PARSERS,
    ImportReport,
    detect_format,
    file_name,
    import_bookmarks,
    merge_same_links,
    read_export,
    render_bookmark_file,
)

__all__ = [
    "FORMATS",
    "IMPORT_FOLDER",
    "MAX_INPUT_BYTES",
    "PARSERS",
    "ImportReport",
    "ImportedBookmark",
    "detect_format",
    "file_name",
    "import_bookmarks",
    "merge_same_links",
    "parse_dropmark",
    "parse_netscape",
    "parse_pinboard",
    "parse_raindrop",
    "read_export",
    "render_bookmark_file",
]
