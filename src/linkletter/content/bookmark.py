"""One bookmark file's text becomes a `Bookmark` (categories still raw names, resolved later by
`merge.merge_duplicates`; the body still Markdown, rendered by `finish` when shown), with a problem
per bad field. Pure, and independent of the clock: what depends on it is applied by `apply_now`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from http import HTTPStatus
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from ..errors import NOTE, Problem, ValueProblem, kind_of
from ..model import Bookmark, Site, Unrendered
from ..values import convert as c
from ..values.links import has_spaces, image_expiry, link_key, parse_web_url
from ..values.mapping import parse_front_matter
from ..values.text import UNWANTED_CHARACTERS, defused, plain_text, shorten
from .frontmatter import front_matter_kind, split_document

MAX_CATEGORIES = 50
MAX_TITLE = 300
MAX_DESCRIPTION = 2_000
# Titles that scrapers save when a page failed to load: an HTTP status line, a bot wall, an
# exporter's placeholder. They are treated as missing.
_STATUS_LINES = "|".join(re.escape(f"{s.value} {s.phrase}") for s in HTTPStatus)
_PLACEHOLDER_TITLE = re.compile(
    rf"({_STATUS_LINES})|(error )?\d{{3}}|invalid_description|untitled( document)?|just a moment\.*"
    r"|attention required!.*|access denied|redirecting\.*|(https?://\S+)",
    re.IGNORECASE,
)


class Parsed(NamedTuple):
    """One file's result, the same whatever the clock says (so it can be cached): the bookmark
    (None for a draft or a file with an error), its raw category names, problems, and, for a
    signed image URL, when it expires with the warning to give from then on (see `apply_now`)."""

    bookmark: Bookmark | None
    names: tuple[str, ...]
    problems: list[Problem]
    expiry: tuple[datetime, Problem] | None = None


def parse_bookmark(text: str, source: str, site: Site) -> Parsed:
    """The file's bookmark with its body still in Markdown (`content.finish` renders it), or
    None and the problems that say why."""
    try:
        front, front_line, body, _ = split_document(text)
        data, lines = parse_front_matter(front, front_line, front_matter_kind(text))
    except ValueProblem as exc:
        return Parsed(None, (), [exc.at(source)])
    reader = c.Reader(source, lines)
    if reader.value("draft", c.boolean, data.get("draft")):
        return Parsed(None, (), reader.problems)
    if "\\" in front or UNWANTED_CHARACTERS.search(front):  # else no value can hold one
        for key in _fields_with_control_characters(data):
            reader.warn(key, "control characters removed", "they cannot appear in a feed")
    bookmark, names, expiry = _read_fields(reader, data, body, site)
    return Parsed(None if reader.failed else bookmark, names, reader.problems, expiry)


def apply_now(parsed: Parsed, now: datetime) -> tuple[Bookmark | None, list[Problem]]:
    """The bookmark as it is at `now`: a signed image that expired by then is left out (a warning)."""
    bookmark, problems = parsed.bookmark, parsed.problems
    if bookmark is None or parsed.expiry is None or parsed.expiry[0] > now:
        return bookmark, problems
    return replace(bookmark, image=None), [*problems, parsed.expiry[1]]


def _read_fields(
    reader: c.Reader, data: dict[str, Any], body: str, site: Site
) -> tuple[Bookmark | None, tuple[str, ...], tuple[datetime, Problem] | None]:
    link = reader.value("link", parse_web_url, data.get("link"), True)
    if link and has_spaces(data.get("link")):
        reader.problem("link", "contains spaces; encoded as %20, as browsers do", severity=NOTE)
    date = reader.value("date", c.moment, data.get("date"), site.timezone)
    names = reader.value("categories", category_names, data, reader) or ()
    title = reader.value("title", text_field, data, "title")
    description = reader.value("description", text_field, data, "description")
    brand = reader.value("linkBrand", text_field, data, "linkBrand")
    if reader.failed or link is None or date is None:
        return None, (), None
    image_url, expiry = image(data.get("featuredImage"), reader)
    bookmark = Bookmark(
        id=site.make_id(link_key(link)),
        link=link,
        title=shorten(title, MAX_TITLE) if title and is_real_title(title) else fallback_title(link),
        date=date,
        categories=(),
        description=shorten(description, MAX_DESCRIPTION) if description else "",
        description_in_body=False,
        body_html="",
        image=image_url,
        brand=brand or (urlsplit(link).hostname or "").removeprefix("www."),
        source=reader.path,
        unrendered=Unrendered.of(body, reader.path, bool(description), reader.lines.get("body"))
        if body.strip()
        else None,
    )
    return bookmark, names, expiry


def _fields_with_control_characters(data: dict[str, Any]) -> list[str]:
    return [key for key, value in data.items() if any(UNWANTED_CHARACTERS.search(t) for t in _strings(value))]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def text_field(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueProblem(f"must be text, got {kind_of(value)}", "quote the value")
    return plain_text(value) or None


def category_names(data: dict[str, Any], reader: c.Reader) -> tuple[str, ...]:
    """`categories` and `tags`: lists, one name, or comma-separated names."""
    names: list[str] = []
    for key in ("categories", "tags"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise ValueProblem(
                f"must be a list of names, got {kind_of(value)}",
                "write one '- name' line per category",
                field=key,
            )
        for item in value:
            if not isinstance(item, str):
                raise ValueProblem(f"each category must be a name, got {kind_of(item)}", field=key)
            name = plain_text(item)
            if any(ch.isalnum() for ch in name):
                names.append(name)
            else:
                reader.warn(key, f"{item!r} has no letters or digits; ignored")
    if len(names) > MAX_CATEGORIES:
        raise ValueProblem(f"has {len(names)} categories; at most {MAX_CATEGORIES} are allowed")
    return tuple(names)


def image(value: Any, reader: c.Reader) -> tuple[str | None, tuple[datetime, Problem] | None]:
    """An http(s) image (otherwise None and a warning), and, for a signed URL, when it expires
    with the warning to give from then on."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    try:
        url = parse_web_url(value, True)
    except ValueProblem as exc:
        reader.warn("featuredImage", f"{exc.message}; the image is left out", exc.hint)
        return None, None
    expiry = image_expiry(url)
    if expiry is None:
        return url, None
    expired = c.Reader(reader.path, reader.lines)
    expired.warn(
        "featuredImage",
        f"the signed image URL expired on {expiry:%Y-%m-%d}; the image is left out",
        "export the bookmark again for a fresh image URL",
    )
    return url, (expiry, expired.problems[0])


def is_real_title(title: str) -> bool:
    return not _PLACEHOLDER_TITLE.fullmatch(title)


def fallback_title(link: str) -> str:
    """The link as a title, read as text (`&0` in a path is not an entity to a feed reader)."""
    parts = urlsplit(link)
    text = (parts.netloc or "").removeprefix("www.") + parts.path.rstrip("/")
    return shorten(defused(text + (f"?{parts.query}" if parts.query else "")), 80)
