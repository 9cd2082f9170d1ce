"""One bookmark file's text becomes a `Bookmark` (categories still raw names, resolved later by
`load.merge_duplicates`), with a problem per bad field. Pure: the clock is a parameter."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from ..errors import NOTE, Problem, ValueProblem, kind_of
from ..model import Bookmark, Site
from ..values import convert as c
from ..values.links import has_spaces, image_expiry, link_key, parse_web_url
from ..values.mapping import parse_front_matter
from ..values.text import UNWANTED_CHARACTERS, plain_text, shorten
from .frontmatter import front_matter_kind, split_document
from .markup import first_paragraph, render_markdown

MAX_CATEGORIES = 50
MAX_TITLE = 300
MAX_DESCRIPTION = 2_000
MAX_BODY = 64 * 1024
# Titles that scrapers save when a page failed to load: an HTTP status line, a bot wall, an
# exporter's placeholder. They are treated as missing.
_STATUS_LINES = "|".join(re.escape(f"{s.value} {s.phrase}") for s in HTTPStatus)
_PLACEHOLDER_TITLE = re.compile(
    rf"({_STATUS_LINES})|(error )?\d{{3}}|invalid_description|untitled( document)?|just a moment\.*"
    r"|attention required!.*|access denied|redirecting\.*|(https?://\S+)",
    re.IGNORECASE,
)


def parse_bookmark(
    text: str, source: str, site: Site, now: datetime
) -> tuple[Bookmark | None, tuple[str, ...], list[Problem]]:
    """(the bookmark or None, its raw category names, problems). None for a draft or a file with
    an error; the problems then say which."""
    try:
        front, front_line, body, _ = split_document(text)
        data, lines = parse_front_matter(front, front_line, front_matter_kind(text))
    except ValueProblem as exc:
        return None, (), [exc.at(source)]
    reader = c.Reader(source, lines)
    if reader.value("draft", c.boolean, data.get("draft")):
        return None, (), reader.problems
    bookmark, names = _read_fields(reader, data, body, site, now)
    return (None if reader.failed else bookmark), names, reader.problems


def _read_fields(
    reader: c.Reader, data: dict[str, Any], body: str, site: Site, now: datetime
) -> tuple[Bookmark | None, tuple[str, ...]]:
    for key in _fields_with_control_characters(data):
        reader.warn(key, "control characters removed", "they cannot appear in a feed")
    link = reader.value("link", parse_web_url, data.get("link"), True)
    if link and has_spaces(data.get("link")):
        reader.problem("link", "contains spaces; encoded as %20, as browsers do", severity=NOTE)
    date = reader.value("date", c.moment, data.get("date"), site.timezone)
    names = reader.value("categories", category_names, data, reader) or ()
    title = reader.value("title", text_field, data, "title")
    description = reader.value("description", text_field, data, "description")
    brand = reader.value("linkBrand", text_field, data, "linkBrand")
    if reader.failed or link is None or date is None:
        return None, ()
    body_html, too_costly = render_markdown(body, link)
    if too_costly:
        reader.warn(
            "body", f"{too_costly}; its start is shown as plain text", "simplify the HTML in the body"
        )
    body_html = cap_body(body_html, reader)
    description = shorten(description, MAX_DESCRIPTION) if description else first_paragraph(body)
    bookmark = Bookmark(
        id=site.make_id(link_key(link)),
        link=link,
        title=shorten(title, MAX_TITLE) if title and is_real_title(title) else fallback_title(link),
        date=date,
        categories=(),
        description=description,
        description_in_body=_starts_with(plain_text(body_html), description),
        body_html=body_html,
        image=image(data.get("featuredImage"), now, reader),
        brand=brand or (urlsplit(link).hostname or "").removeprefix("www."),
        source=reader.path,
    )
    return bookmark, names


def cap_body(body_html: str, reader: c.Reader) -> str:
    """A feed item carries at most MAX_BODY characters of body (a feed copies it into every
    category feed); a longer body becomes its start as plain text."""
    if len(body_html) <= MAX_BODY:
        return body_html
    reader.warn(
        "body",
        f"is {len(body_html) // 1024} KB as HTML; a feed item carries at most {MAX_BODY // 1024} KB, "
        "so its start is shown as plain text",
        "keep long notes elsewhere and link to them",
    )
    return f"<p>{html.escape(shorten(plain_text(body_html), 2_000))}</p>"


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


def image(value: Any, now: datetime, reader: c.Reader) -> str | None:
    """An http(s) image that still works at `now`; otherwise None and a warning."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        url = parse_web_url(value, True)
    except ValueProblem as exc:
        reader.warn("featuredImage", f"{exc.message}; the image is left out", exc.hint)
        return None
    expiry = image_expiry(url)
    if expiry is not None and expiry <= now:
        reader.warn(
            "featuredImage",
            f"the signed image URL expired on {expiry:%Y-%m-%d}; the image is left out",
            "export the bookmark again for a fresh image URL",
        )
        return None
    return url


def _starts_with(text: str, prefix: str) -> bool:
    prefix = prefix.rstrip("….").strip()
    return bool(prefix) and text.startswith(prefix)


def is_real_title(title: str) -> bool:
    return not _PLACEHOLDER_TITLE.fullmatch(title)


def fallback_title(link: str) -> str:
    parts = urlsplit(link)
    text = (parts.netloc or "").removeprefix("www.") + parts.path.rstrip("/")
    return shorten(text + (f"?{parts.query}" if parts.query else ""), 80)
