"""What every importer shares: the record type, limits, and the checks of links, dates and text.

This is the only module of the package that imports linkletter's value helpers (links and text),
so a move of those helpers is a change of the import lines just below.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import WARNING, Problem, ValueProblem
from ..values.links import image_expiry, link_key, parse_web_url
from ..values.text import clean_text, plain_text, shorten

__all__ = [
    "ValueProblem",
    "Problem",
    "ImportedBookmark",
    "Collector",
    "clean_text",
    "image_expiry",
    "link_key",
    "parse_web_url",
    "plain_text",
    "shorten",
]

MAX_INPUT_BYTES = 200 * 1024 * 1024  # an export larger than this is refused whole
MAX_ITEMS = 100_000  # bookmarks read from one file; the rest are refused with one message
MAX_LINK = 4000  # characters; a longer link is refused
MAX_TITLE = 300  # characters; longer titles are shortened (as linkletter's reader does)
MAX_DESCRIPTION = 300  # characters of the one-paragraph description; the full text goes to the body
MAX_BODY = 16_000  # characters of Markdown body; longer notes are cut (a feed item carries 64 KB of HTML)
MAX_CATEGORIES = 50  # per bookmark (linkletter's reader refuses more)
MAX_CATEGORY = 100  # characters of one category name
EARLIEST_YEAR = 1990
LATEST_YEAR = 2999


@dataclass(frozen=True)
class ImportedBookmark:
    """One bookmark read from an export, checked and normalised, ready to be written."""

    link: str  # absolute http(s) URI (parse_web_url)
    title: str  # plain text, may be "" (the reader then uses the link)
    date: datetime  # aware, UTC, whole seconds
    categories: tuple[str, ...] = ()
    description: str = ""  # plain text, one paragraph
    body: str = ""  # Markdown: the full note when longer than the description
    image: str | None = None  # absolute http(s) URI
    brand: str | None = None
    private: bool = False
    to_read: bool = False  # saved "to read later": written as a draft
    source: str = ""  # the export's name as messages show it
    line: int | None = None  # line of the item in the export (1-based)
    item: int | None = None  # index of the item among the export's bookmarks (1-based)

    @property
    def key(self) -> str:
        """What decides that two links are the same bookmark (the key linkletter's ids use)."""
        return link_key(self.link)


class Collector:
    """Problems of one export, and the helpers that check one item's fields into them."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def error(self, line: int | None, field: str | None, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, message, line=line, field=field, hint=hint))

    def warn(self, line: int | None, field: str | None, message: str, hint: str | None = None) -> None:
        self.problems.append(
            Problem(self.source, message, line=line, field=field, hint=hint, severity=WARNING)
        )

    # -- fields ---------------------------------------------------------------------------

    def link(self, value: object, line: int | None, field: str) -> str | None:
        """The normalised link, or None after recording why it is refused."""
        if isinstance(value, str) and len(value) > MAX_LINK:
            self.error(
                line, field, f"the link is {len(value)} characters long; at most {MAX_LINK} are allowed"
            )
            return None
        try:
            return parse_web_url(value)
        except ValueProblem as exc:
            self.error(line, field, _short(exc.message), exc.hint)
            return None

    def image(self, value: object, line: int | None, field: str, now: datetime) -> str | None:
        """An http(s) image that still works at `now`; otherwise None (with a warning)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and len(value) > MAX_LINK:
            self.warn(line, field, "the image address is too long; the image is left out")
            return None
        try:
            url = parse_web_url(value)
        except ValueProblem as exc:
            self.warn(line, field, f"{_short(exc.message)}; the image is left out")
            return None
        expiry = image_expiry(url)
        if expiry is not None and expiry <= now:
            self.warn(
                line, field, f"the signed image URL expired on {expiry:%Y-%m-%d}; the image is left out"
            )
            return None
        return url

    def title(self, value: object, line: int | None, field: str) -> str:
        text = plain_text(value) if isinstance(value, str) else ""
        if len(text) > MAX_TITLE:
            self.warn(line, field, f"the title has {len(text)} characters; shortened to {MAX_TITLE}")
            text = shorten(text, MAX_TITLE)
        return text

    def note(self, value: object, line: int | None, field: str) -> tuple[str, str]:
        """(description, body) from a note: a short one-line note is the description alone;
        a longer or multi-paragraph note gives its start as description and itself as body."""
        if not isinstance(value, str):
            return "", ""
        text = clean_text(value).replace("\r\n", "\n").replace("\r", "\n").strip()
        if len(text) > MAX_BODY:
            self.warn(line, field, f"the note has {len(text)} characters; cut to {MAX_BODY}")
            text = text[:MAX_BODY]
        flat = plain_text(text)
        if "\n" not in text and len(flat) <= MAX_DESCRIPTION:
            return flat, ""
        first = plain_text(re.split(r"\n\s*\n", text, maxsplit=1)[0])
        return shorten(first, MAX_DESCRIPTION), text

    def categories(self, names: Iterable[object], line: int | None, field: str) -> tuple[str, ...]:
        """Category names: plain text, without empty or letterless ones and duplicates, at most
        MAX_CATEGORIES."""
        result: list[str] = []
        seen: set[str] = set()
        for raw in names:
            if not isinstance(raw, str):
                continue
            name = plain_text(raw)
            if not any(ch.isalnum() for ch in name):
                continue
            if len(name) > MAX_CATEGORY:
                self.warn(
                    line,
                    field,
                    f"the category {shorten(name, 40)!r} is longer than {MAX_CATEGORY} characters; left out",
                )
                continue
            folded = name.casefold()
            if folded not in seen:
                seen.add(folded)
                result.append(name)
        if len(result) > MAX_CATEGORIES:
            self.warn(line, field, f"{len(result)} categories; the first {MAX_CATEGORIES} are kept")
            result = result[:MAX_CATEGORIES]
        return tuple(result)

    def date(self, value: object, line: int | None, field: str, now: datetime) -> datetime | None:
        """An aware UTC date with whole seconds; `now` (with a warning) when the item has none;
        None after recording why it is refused."""
        if value is None or (isinstance(value, str) and not value.strip()) or value in (0, "0"):
            self.warn(line, field, "no date; the bookmark is dated at the time of the import")
            return now.astimezone(UTC).replace(microsecond=0)
        moment = parse_moment(value)
        shown = _short(repr(value) if isinstance(value, str) else str(value))
        if moment is None:
            self.error(
                line,
                field,
                f"cannot read {shown} as a date",
                "expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds",
            )
            return None
        if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
            self.error(
                line,
                field,
                f"{shown} is not a plausible date for a bookmark",
                f"linkletter accepts years {EARLIEST_YEAR} to {LATEST_YEAR}",
            )
            return None
        return moment


def default_now(now: datetime | None) -> datetime:
    """`now` as an aware UTC datetime; the real clock when None."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def parse_moment(value: object) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 text (naive means UTC, `Z` and ` UTC` allowed) or
    a Unix time in seconds, milliseconds or microseconds (number or digits); None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number: float | None = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,20}(\.\d+)?\s*", value):
        number = float(value)
    else:
        number = None
    if number is not None and not 0 <= number < 1e20:  # also NaN and infinity
        return None
    try:
        if number is not None:
            while number > 1e11:  # milliseconds (Chrome) or microseconds (Firefox's PRTime)
                number /= 1000
            moment = datetime.fromtimestamp(number, UTC)
        elif isinstance(value, str) and len(value) <= 64:
            text = value.strip()
            text = re.sub(r"\s*(UTC|GMT|Z)$", "+00:00", text, flags=re.IGNORECASE)
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        else:
            return None
        return moment.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError, OSError):
        return None


def decode_text(data: bytes, col: Collector) -> str | None:
    """The export as text (UTF-8, an optional BOM, LF line ends), or None after recording why not."""
    if len(data) > MAX_INPUT_BYTES:
        col.error(
            None,
            None,
            f"is {len(data) / 2**20:.0f} MiB; an export may be at most {MAX_INPUT_BYTES // 2**20} MiB",
            "split the export into smaller files",
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col.error(
            line,
            None,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); nothing was imported",
            "export the file again, or convert it to UTF-8",
        )
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def html_unescape_once(value: str) -> str:
    """HTML character references decoded exactly once (`&amp;lt;` becomes `&lt;`); nothing else
    is expanded: a document cannot define entities of its own."""
    return html.unescape(value)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
