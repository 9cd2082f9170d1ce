"""Netscape bookmark HTML: what Firefox, Chrome, Safari, Edge, Pocket, Raindrop, linkding, Shaarli,
Pinboard and Delicious export.

    <!DOCTYPE NETSCAPE-Bookmark-file-1>
    <DL><p>
      <DT><H3 ADD_DATE="..." PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
      <DL><p>
        <DT><A HREF="https://..." ADD_DATE="1557430063" TAGS="a,b" PRIVATE="1">Title</A>
        <DD>Description, possibly over several lines
      </DL><p>
    </DL><p>

The file is read by a small tokenizer of its own rather than an HTML parser: the format is a
handful of tags, and the tokenizer is linear on any input (it looks for each `>` once), keeps exact
line numbers, decodes character references exactly once and never expands anything a document
declares (a DOCTYPE's internal subset is skipped like any other declaration).
"""

from __future__ import annotations

import re
from datetime import datetime

from .common import (
    MAX_ITEMS,
    Collector,
    ImportedBookmark,
    decode_text,
    default_now,
    html_unescape_once,
    plain_text,
)

# Folders that are the browser's roots rather than the user's own: not categories.
ROOT_FOLDERS = frozenset(
    name.casefold()
    for name in (
        "Bookmarks",
        "Bookmarks bar",
        "Bookmarks Toolbar",
        "Bookmarks Menu",
        "Other bookmarks",
        "Other Bookmarks",
        "Mobile bookmarks",
        "Mobile Bookmarks",
        "Favorites bar",
        "Favorites Bar",
        "Favourites bar",
        "Favorites",
        "Unsorted",
        "Unsorted Bookmarks",
        "Unfiled Bookmarks",
        "Imported",
        "Imported bookmarks",
        "Imported From Firefox",
        "Imported From Chrome",
        "Imported From Safari",
        "Imported From Edge",
        "Reading List",
        "Pocket",
    )
)
# Attributes with which exporters mark those roots whatever their (translated) names.
ROOT_FLAGS = ("PERSONAL_TOOLBAR_FOLDER", "UNFILED_BOOKMARKS_FOLDER", "BOOKMARKS_MENU")

MAX_TAG_LENGTH = 256 * 1024  # characters between '<' and '>' (a data: ICON can be long)
MAX_FOLDER_DEPTH = 64
_TAG = re.compile(r"(/?)([A-Za-z][A-Za-z0-9]*)(.*)", re.DOTALL)
_ATTRIBUTE = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_TRUE = frozenset({"1", "true", "yes"})
_LINK = re.compile(r"<a\s", re.IGNORECASE)


def parse_netscape(
    data: bytes, source: str, now: datetime | None = None
) -> tuple[list[ImportedBookmark], list]:
    """The bookmarks of a Netscape bookmark file, and the problems found (refused items are
    errors, adjustments warnings)."""
    now = default_now(now)
    col = Collector(source)
    text = decode_text(data, col)
    if text is None:
        return [], col.problems
    records: list[ImportedBookmark] = []
    folders: list[str | None] = []  # the open <DL> levels' folder names (None: a root or no name)
    pending_folder: str | None = None  # the <H3> just read, which the next <DL> opens
    open_link: dict | None = None  # the <A> whose title is being read
    last: dict | None = None  # the last link, which a following <DD> describes
    in_dd = False
    dd_parts: list[str] = []
    h3: dict | None = None
    stopped = False

    def finish_dd() -> None:
        nonlocal in_dd
        if in_dd and last is not None:
            last["dd"] = "".join(dd_parts)
        in_dd = False
        dd_parts.clear()

    def finish_link() -> None:
        nonlocal last, stopped
        if last is None or stopped:
            return
        if len(records) >= MAX_ITEMS:
            col.error(
                last["line"],
                None,
                f"has more than {MAX_ITEMS} bookmarks; the rest were not read",
                "split the export",
            )
            stopped = True
            return
        record = _record(last, col, now, len(records) + 1)
        if record is not None:
            records.append(record)
        last = None

    for kind, line, name, attrs, body in _tokens(text):
        if kind == "text":
            if open_link is not None:
                open_link["title"].append(body)
            elif h3 is not None:
                h3["name"].append(body)
            elif in_dd:
                dd_parts.append(body)
            continue
        if kind != "tag":
            continue
        if name == "a" and not attrs.get("/"):
            finish_dd()
            finish_link()
            open_link = {"attrs": attrs, "line": line, "title": [], "folders": tuple(f for f in folders if f)}
        elif name == "a":  # </a>
            if open_link is not None:
                last, open_link = open_link, None
        elif name == "h3" and not attrs.get("/"):
            finish_dd()
            finish_link()
            h3 = {"attrs": attrs, "name": []}
        elif name == "h3":
            if h3 is not None:
                folder = plain_text(html_unescape_once("".join(h3["name"])))
                flagged = any(attrs_true(h3["attrs"], flag) for flag in ROOT_FLAGS)
                pending_folder = None if flagged or folder.casefold() in ROOT_FOLDERS else folder
                h3 = None
        elif name == "dd" and not attrs.get("/"):
            finish_dd()
            in_dd = True
        elif name == "dl" and not attrs.get("/"):
            finish_dd()
            finish_link()
            if len(folders) >= MAX_FOLDER_DEPTH:
                if len(folders) == MAX_FOLDER_DEPTH:
                    col.warn(
                        line,
                        None,
                        f"folders nested deeper than {MAX_FOLDER_DEPTH} levels; deeper names are not categories",
                    )
                folders.append(None)
            else:
                folders.append(pending_folder)
            pending_folder = None
        elif name == "dl":
            finish_dd()
            finish_link()
            if folders:
                folders.pop()
        elif name in ("dt", "li", "hr", "h1"):
            finish_dd()
            finish_link()
            if open_link is not None:  # an <A> never closed: its title ends here
                last, open_link = open_link, None
                finish_link()
        # <p>, <br>, <meta>, <title> and anything else: ignored
    if open_link is not None:
        finish_dd()
        finish_link()
        last, open_link = open_link, None
    finish_dd()
    finish_link()
    if not records and not col.problems and not _LINK.search(text):
        col.error(
            None,
            None,
            "is not a Netscape bookmark file: it holds no <A HREF=...> link",
            "check the file and FORMAT",
        )
    return records, col.problems


def attrs_true(attrs: dict, name: str) -> bool:
    return attrs.get(name.lower(), "").strip().lower() in _TRUE


def _record(link: dict, col: Collector, now: datetime, index: int) -> ImportedBookmark | None:
    attrs, line = link["attrs"], link["line"]
    if "href" not in attrs:
        col.error(line, "HREF", "missing: the <A> has no address")
        return None
    href = col.link(attrs["href"], line, "HREF")
    date_field = (
        "TIME_ADDED" if "time_added" in attrs and "add_date" not in attrs else "ADD_DATE"
    )  # Pocket: time_added
    date = col.date(attrs.get(date_field.lower()), line, date_field, now)
    if href is None or date is None:
        return None
    tags = attrs.get("tags", "").split(",")
    description, body = col.note(link.get("dd"), line, "DD")
    return ImportedBookmark(
        link=href,
        title=col.title(html_unescape_once("".join(link["title"])), line, "TITLE"),
        date=date,
        categories=col.categories([*link["folders"], *tags], line, "TAGS"),
        description=description,
        body=body,
        private=attrs_true(attrs, "private"),
        to_read=attrs_true(attrs, "toread"),
        source=col.source,
        line=line,
        item=index,
    )


def _tokens(text: str):
    """("tag", line, name, attributes, "") and ("text", line, "", {}, decoded text) in order.
    An end tag has the attribute "/". Comments and declarations are skipped. Linear time."""
    pos = 0
    line = 1
    n = len(text)
    next_gt = next_lt = -1  # the next '>' and '<' after the current one: each found once
    while pos < n:
        lt = text.find("<", pos)
        if lt == -1:
            yield "text", line, "", {}, html_unescape_once(text[pos:])
            return
        if lt > pos:
            chunk = text[pos:lt]
            yield "text", line, "", {}, html_unescape_once(chunk)
            line += chunk.count("\n")
        if text.startswith("<!--", lt):
            end = text.find("-->", lt + 4)
            end = n if end == -1 else end + 3
            line += text.count("\n", lt, end)
            pos = end
            continue
        if next_gt < lt:
            next_gt = text.find(">", lt)
            if next_gt == -1:
                next_gt = n  # no '>' anywhere after: everything left is text
        if next_gt == n:
            yield "text", line, "", {}, html_unescape_once(text[lt:])
            return
        if next_lt <= lt:
            next_lt = text.find("<", lt + 1)
            if next_lt == -1:
                next_lt = n
        declaration = text.startswith(("<!", "<?"), lt)
        if (next_lt < next_gt and not declaration) or next_gt - lt > MAX_TAG_LENGTH:
            # a '<' that starts no tag (tags hold no '<'; a DOCTYPE's internal subset may)
            yield "text", line, "", {}, "<"
            pos = lt + 1
            continue
        inner = text[lt + 1 : next_gt]
        match = _TAG.fullmatch(inner)
        if declaration:
            pass  # a DOCTYPE (with or without an internal subset) or other declaration: skipped
        elif match is None:
            yield "text", line, "", {}, "<"
            pos = lt + 1
            continue
        else:
            closing, name, rest = match.groups()
            attrs = {"/": "1"} if closing else _attributes(rest)
            yield "tag", line, name.lower(), attrs, ""
        line += inner.count("\n")
        pos = next_gt + 1


def _attributes(text: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        value = next((g for g in match.group(2, 3, 4) if g is not None), "")
        attrs.setdefault(name, html_unescape_once(value))
    return attrs
