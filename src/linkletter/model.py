"""The values that flow between stages. All frozen; no behaviour beyond small derived properties."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import lru_cache
from hashlib import sha1
from operator import attrgetter
from pathlib import Path
from zoneinfo import ZoneInfo

# Told how far long work has come: (what, done, of how many). The CLI draws a progress bar.
Progress = Callable[[str, int, int], None]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Where the digest's HTML and text hold a recipient's unsubscribe URL; mail replaces it per recipient.
UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/linkletter-recipient"


def quick_pickling(cls):
    """A frozen, slotted dataclass pickled as a tuple of its fields. dataclasses' own
    `__setstate__` calls `fields()` for every object, which made loading the parse cache of
    100,000 bookmarks slower than it was without slots."""
    names = tuple(f.name for f in fields(cls))
    values = attrgetter(*names)

    def getstate(self) -> tuple:
        return values(self)

    def setstate(self, state: tuple) -> None:
        for name, value in zip(names, state, strict=True):
            object.__setattr__(self, name, value)

    cls.__getstate__, cls.__setstate__ = getstate, setstate
    return cls


@quick_pickling
@dataclass(frozen=True, order=True, slots=True)
class Category:
    slug: str
    name: str
    key: str = ""  # see categories.category_key


@quick_pickling
@dataclass(frozen=True, slots=True)
class Unrendered:
    """A body still in Markdown. Rendering and sanitising cost more than everything else a
    bookmark needs, and only the bookmarks shown in a feed or an issue need it, so
    `content.finish` renders it (and the description it implies) when the bookmark is shown.
    Until then it is kept as UTF-8: most bodies are never shown, and as `str` (4 bytes a
    character once one emoji is in it) they were half the memory a loaded bookmark holds."""

    packed: bytes  # the Markdown in UTF-8 (see `of`)
    source: str  # the file the body came from (for its problems)
    described: bool  # the file gave a description (else the body's first paragraph is one)
    line: int | None = None  # the line of a front-matter key `body`, where its problems point

    @classmethod
    def of(cls, markdown: str, source: str, described: bool, line: int | None = None) -> Unrendered:
        return cls(markdown.encode("utf-8", "surrogatepass"), source, described, line)

    @property
    def markdown(self) -> str:
        return self.packed.decode("utf-8", "surrogatepass")


@quick_pickling
@dataclass(frozen=True, slots=True)
class Bookmark:
    id: str  # urn:uuid, derived from the normalised link only
    link: str  # absolute http(s) URI
    title: str  # plain text
    date: datetime  # aware
    categories: tuple[Category, ...]
    description: str  # plain text, may be ""
    description_in_body: bool  # the description is the start of the body (don't show both)
    body_html: str  # sanitised HTML, may be ""
    image: str | None  # absolute http(s) URI that has not expired
    brand: str | None
    source: str  # path relative to the project, POSIX style
    also_in: tuple[str, ...] = ()  # other files that saved the same link
    # Set until the body is rendered: body_html is "" and description_in_body False until then,
    # and description "" when the body's first paragraph is to be it (see content.finish).
    unrendered: Unrendered | None = None


@dataclass(frozen=True)
class Author:
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Site:
    title: str
    base_url: str  # absolute, ends with "/"; where dist/ is served
    author: Author
    language: str = "en"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    description: str = ""
    id_namespace: str = ""  # defaults to base_url; keeps ids stable if the site moves
    home_url: str = ""  # the page feeds point readers to; defaults to base_url
    icon: str | None = None  # https URL of the feeds' icon and logo (site.icon)

    def make_id(self, name: str) -> str:
        """A stable urn:uuid for `name` within this site (see README, "Ids"): `uuid.uuid5`'s,
        made without a `UUID` object (a third of the time; one per bookmark file)."""
        digest = bytearray(
            sha1(_id_namespace(self.id_namespace or self.base_url) + name.encode()).digest()[:16]
        )
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # the RFC 4122 variant
        x = digest.hex()
        return f"urn:uuid:{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


@lru_cache(maxsize=16)
def _id_namespace(name: str) -> bytes:
    return uuid.uuid5(uuid.NAMESPACE_URL, name).bytes


@dataclass(frozen=True)
class FeedSpec:
    slug: str
    folder: str  # "feeds" for definitions, "categories" for category feeds
    title: str
    description: str
    categories: tuple[str, ...] | None  # category keys; None means all
    exclude: tuple[str, ...] = ()
    limit: int = 50
    max_age_days: float | None = None
    source: str = ""  # the file it came from, for messages


@dataclass(frozen=True)
class BuildSpec:
    content_dir: Path
    feeds_dir: Path
    templates_dir: Path
    output_dir: Path
    state_dir: Path
    category_feeds: bool = True
    feed_limit: int = 50
    category_min_items: int = 1  # categories with fewer bookmarks get no feed of their own
    category_only: tuple[str, ...] | None = None  # category keys allowed a feed; None: all
    xsl: bool = False  # write dist/feed.xsl and point RSS and Atom at it


@dataclass(frozen=True)
class DigestSpec:
    title: str
    sender: str  # "Name <addr@example.org>"
    reply_to: str | None
    recipients: Path | None
    first_issue_days: int = 7
    max_per_category: int = 5
    max_items: int = 40
    category_order: tuple[str, ...] = ()
    unsubscribe_url: str = ""  # template with {email}, {token}, {issue}
    unsubscribe_mailto: str = ""
    unsubscribe_secret_env: str = "LINKLETTER_UNSUBSCRIBE_SECRET"
    weekday: str = "monday"
    time: str = "09:00"
    timezone: ZoneInfo | None = None  # None: the site's
    deadline_hours: float = 48.0
    path: str = "digest"


@dataclass(frozen=True)
class SmtpSpec:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls, tls, none
    user: str | None = None
    password_env: str | None = None
    timeout: float = 30.0
    rate_per_second: float = 5.0  # 0: no limit
    connections: int = 1
    max_retries: int = 5
    retry_base_seconds: float = 2.0


@dataclass(frozen=True)
class ScheduleSpec:
    rebuild_minutes: int = 30


@dataclass(frozen=True)
class Config:
    root: Path
    site: Site
    build: BuildSpec
    digest: DigestSpec
    smtp: SmtpSpec
    schedule: ScheduleSpec
    feeds: tuple[FeedSpec, ...] = ()
    path: Path | None = None  # linkletter.yaml


@dataclass(frozen=True)
class Section:
    category: Category | None  # None: bookmarks without a category
    bookmarks: tuple[Bookmark, ...]
    more: int  # how many more this week that the email leaves out


@dataclass(frozen=True)
class Issue:
    """One week's digest: which bookmarks, which window."""

    number: int
    slug: str  # e.g. 2024-05-13; used in paths and Message-IDs
    start: datetime
    end: datetime
    bookmarks: tuple[Bookmark, ...]


@dataclass(frozen=True)
class Digest:
    issue: Issue
    subject: str
    preheader: str
    html: str  # email HTML, CSS inlined
    text: str
    web_html: str  # the "view in browser" page
    web_url: str


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str = ""

    @property
    def key(self) -> str:
        return self.address.lower()
