"""Front-matter values to typed bookmark fields. Pure; collects every field error of a file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urlsplit

from .errors import kind_of
from .markup import UNWANTED_CHARACTERS, first_paragraph, plain_text, render_markdown, shorten
from .model import Site
from .urls import LinkError, image_expiry, parse_web_url

MAX_CATEGORIES = 50
MAX_TITLE = 300
EARLIEST_YEAR = 1990
LATEST_YEAR = 2999
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", ""})
# Titles that scrapers save when a page failed to load: an HTTP status line, a bot wall, an
# exporter's placeholder. They are treated as missing.
_STATUS_LINES = "|".join(re.escape(f"{s.value} {s.phrase}") for s in HTTPStatus)
_PLACEHOLDER_TITLE = re.compile(
    rf"({_STATUS_LINES})|(error )?\d{{3}}|invalid_description|untitled( document)?|just a moment\.*"
    r"|attention required!.*|access denied|redirecting\.*|(https?://\S+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FieldIssue:
    field: str
    message: str
    hint: str | None = None


class FieldError(ValueError):
    def __init__(self, errors: list[FieldIssue]):
        super().__init__("; ".join(e.message for e in errors))
        self.errors = errors


@dataclass
class Fields:
    link: str = ""
    title: str = ""
    date: datetime | None = None
    categories: tuple[str, ...] = ()
    description: str = ""
    description_in_body: bool = False
    body_html: str = ""
    image: str | None = None
    brand: str | None = None
    warnings: list[FieldIssue] = field(default_factory=list)


def parse_fields(data: dict, body: str, site: Site, now: datetime) -> Fields | None:
    """Typed fields, None for a draft, or FieldError listing every bad field."""
    errors: list[FieldIssue] = []

    def attempt(name, parse, *args):
        try:
            return parse(*args)
        except FieldError as exc:
            errors.extend(exc.errors)
        except (LinkError, ValueError) as exc:
            errors.append(FieldIssue(name, getattr(exc, "message", str(exc)), getattr(exc, "hint", None)))
        return None

    if attempt("draft", parse_flag, data.get("draft"), "draft"):
        return None
    out = Fields()
    out.warnings.extend(control_character_warnings(data))
    out.link = attempt("link", parse_web_url, data.get("link")) or ""
    out.date = attempt("date", parse_date, data.get("date"), site.timezone)
    out.categories = attempt("categories", parse_categories, data, out.warnings) or ()
    title = attempt("title", text_field, data, "title")
    description = attempt("description", text_field, data, "description")
    brand = attempt("linkBrand", text_field, data, "linkBrand")
    if errors:
        raise FieldError(errors)
    base = out.link
    out.body_html = render_markdown(body, base)
    out.title = shorten(title, MAX_TITLE) if is_real_title(title) else fallback_title(out.link)
    out.description = description or first_paragraph(body)
    out.description_in_body = _starts_with(plain_text(out.body_html), out.description)
    out.brand = brand or (urlsplit(out.link).hostname or "").removeprefix("www.")
    out.image = parse_image(data.get("featuredImage"), now, out.warnings)
    return out


def control_character_warnings(data: dict) -> list[FieldIssue]:
    """A warning per field whose text holds characters a feed cannot carry (they are removed)."""
    return [
        FieldIssue(key, "control characters removed", "they cannot appear in a feed")
        for key, value in data.items()
        if any(UNWANTED_CHARACTERS.search(text) for text in _strings(value))
    ]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def parse_flag(value, name: str) -> bool:
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise FieldError([FieldIssue(name, f"must be true or false, got {_show(value)}")])


def text_field(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError([FieldIssue(name, f"must be text, got {kind_of(value)}", "quote the value")])
    return plain_text(value) or None


def parse_categories(data: dict, warnings: list[FieldIssue]) -> tuple[str, ...]:
    names: list[str] = []
    for key in ("categories", "tags"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list):
            raise FieldError(
                [
                    FieldIssue(
                        key,
                        f"must be a list of names, got {kind_of(value)}",
                        "write one '- name' line per category",
                    )
                ]
            )
        for item in value:
            if not isinstance(item, str):
                raise FieldError([FieldIssue(key, f"each category must be a name, got {kind_of(item)}")])
            name = plain_text(item)
            if any(ch.isalnum() for ch in name):
                names.append(name)
            else:
                warnings.append(FieldIssue(key, f"{item!r} has no letters or digits; ignored"))
    if len(names) > MAX_CATEGORIES:
        raise FieldError(
            [FieldIssue("categories", f"has {len(names)} categories; at most {MAX_CATEGORIES} are allowed")]
        )
    return tuple(names)


def parse_date(value, zone) -> datetime:
    """An aware datetime, in UTC. Naive values are read in `zone`."""
    if value is None:
        raise FieldError([FieldIssue("date", "missing", "add e.g. date: 2024-05-06T09:30:00+02:00")])
    if not isinstance(value, str):
        raise FieldError([FieldIssue("date", f"must be a date, got {kind_of(value)}")])
    text = value.strip()
    try:
        if re.fullmatch(r"\d{9,11}", text):
            moment = datetime.fromtimestamp(int(text), UTC)
        else:
            moment = _parse_date_text(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
    except (ValueError, OverflowError, OSError):
        raise FieldError(
            [
                FieldIssue(
                    "date",
                    f"cannot read {text!r} as a date",
                    "write e.g. 2024-05-06T09:30:00+02:00, 2024-05-06T07:30:00Z or 2024-05-06",
                )
            ]
        ) from None
    if EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        moment = moment.astimezone(UTC)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise FieldError(
            [
                FieldIssue(
                    "date",
                    f"{text!r} is not a plausible date for a bookmark",
                    f"use a year between {EARLIEST_YEAR} and {LATEST_YEAR}",
                )
            ]
        )
    return moment


def _parse_date_text(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        raise ValueError(text) from None


def parse_image(value, now: datetime, warnings: list[FieldIssue]) -> str | None:
    """An http(s) image that still works at `now`; otherwise None and a warning."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        url = parse_web_url(value)
    except LinkError as exc:
        warnings.append(FieldIssue("featuredImage", f"{exc.message}; the image is left out", exc.hint))
        return None
    expiry = image_expiry(url)
    if expiry is not None and expiry <= now:
        warnings.append(
            FieldIssue(
                "featuredImage",
                f"the signed image URL expired on {expiry:%Y-%m-%d}; the image is left out",
                "export the bookmark again for a fresh image URL",
            )
        )
        return None
    return url


def _starts_with(text: str, prefix: str) -> bool:
    prefix = prefix.rstrip("….").strip()
    return bool(prefix) and text.startswith(prefix)


def is_real_title(title: str | None) -> bool:
    return bool(title) and not _PLACEHOLDER_TITLE.fullmatch(title)


def fallback_title(link: str) -> str:
    parts = urlsplit(link)
    text = (parts.netloc or "").removeprefix("www.") + parts.path.rstrip("/")
    return shorten(text + (f"?{parts.query}" if parts.query else ""), 80)


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else kind_of(value)
