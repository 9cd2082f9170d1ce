"""A feed definition plus its bookmarks becomes RSS 2.0, Atom 1.0 (feedgen) and JSON Feed bytes.

Choices that keep the W3C Feed Validation Service quiet and readers happy:
- entries are appended in the order given (feedgen prepends by default);
- every date is set explicitly (feedgen fills in "now" otherwise): the feed's updated and
  lastBuildDate are the newest bookmark's date, so the same content gives the same bytes;
- the self link is added first and per format; the generator carries no version;
- an Atom entry has exactly one link (feedgen drops `rel` on entry links, issue 135); the image
  travels as media:content (no media:group, which needs two alternatives);
- an image is also an RSS `<enclosure>` (length 0: unknown, as readers accept; only for the
  types of IMAGE_TYPES, since an enclosure needs one) and a `media:thumbnail`; Atom gets no
  enclosure link (see the one-link rule above);
- each entry names the site's author (RSS `<author>` needs an address, else `dc:creator`);
- RSS `description` is the short text, `content:encoded` the full HTML;
- with `build.xsl`, an `<?xml-stylesheet?>` instruction points browsers at dist/feed.xsl;
  readers and validators ignore it;
- Atom `published` is the bookmark's date; `updated` adds a stable sub-second offset derived from
  the entry id, because the validator warns when two entries share an `updated` value and real
  exports save dozens of bookmarks in the same second.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ..model import Bookmark, Site
from .jsonfeed import build_json_feed

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

GENERATOR = "linkletter"
XSL_NAME = "feed.xsl"
# A fixed table, not `mimetypes`, which reads the machine's /etc/mime.types: the same content must
# give the same bytes everywhere.
IMAGE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "webp": "image/webp",
    "avif": "image/avif",
    "svg": "image/svg+xml",
}


@dataclass(frozen=True)
class FeedPlan:
    """Everything one feed needs; `path` is relative to dist/ without the format suffix."""

    path: str
    id: str
    title: str
    description: str
    bookmarks: tuple[Bookmark, ...]
    updated: datetime
    alternate: str
    # A settled feed: a rebuild knows its files are the ones its items make, so it leaves the
    # feed as it is; `bookmarks` is then empty (not read, not rendered) and `count` says how many.
    settled: bool = False
    count: int = 0

    @property
    def size(self) -> int:
        """How many items the feed has."""
        return self.count if self.settled else len(self.bookmarks)


Listed = tuple[str, str, int]  # what the pages say of a feed: its path, title and size


def listed_feeds(plans: list[FeedPlan]) -> list[Listed]:
    return [(plan.path, plan.title, plan.size) for plan in plans]


def feed_paths(plan: FeedPlan) -> dict[str, str]:
    return feed_files(plan.path)


FEED_SUFFIXES = (".rss.xml", ".atom.xml", ".json")  # RSS, Atom, JSON Feed


def feed_files(path: str) -> dict[str, str]:
    """A feed's files in dist/ by format (`path`: the feed's, without suffix)."""
    rss, atom, json = FEED_SUFFIXES
    return {"rss": path + rss, "atom": path + atom, "json": path + json}


def is_main_feed(path: str) -> bool:
    """A feed (by path) of feeds/ (a definition or the default one), not a category feed."""
    return path.startswith("feeds/")


def public_url(site: Site, relpath: str) -> str:
    # most paths need no quoting, and `quote` takes 2 µs (the index names 13,683 feed files)
    return site.base_url + (relpath if _UNQUOTED.fullmatch(relpath) else quote(relpath))


_UNQUOTED = re.compile(r"[A-Za-z0-9_.~/-]*")  # what `quote` leaves as it is


def build_feed_files(site: Site, plan: FeedPlan, xsl: bool = False) -> dict[str, bytes]:
    """{relative path: bytes} for the RSS, Atom and JSON Feed files of one feed."""
    paths = feed_paths(plan)
    rss = build_rss(site, plan, public_url(site, paths["rss"]))
    atom = build_atom(site, plan, public_url(site, paths["atom"]))
    if xsl:
        rss, atom = (add_stylesheet(data, stylesheet_href(plan.path)) for data in (rss, atom))
    return {
        paths["rss"]: rss,
        paths["atom"]: atom,
        paths["json"]: build_json_feed(site, plan, public_url(site, paths["json"]), entry_html),
    }


def stylesheet_href(path: str) -> str:
    """dist/feed.xsl relative to the feed at `path` (relative, so it also works on a preview server)."""
    return "../" * path.count("/") + XSL_NAME


def add_stylesheet(data: bytes, href: str) -> bytes:
    """The `<?xml-stylesheet?>` instruction right after the XML declaration."""
    declaration, newline, rest = data.partition(b"\n")
    instruction = f'<?xml-stylesheet type="text/xsl" href="{html.escape(href)}"?>'.encode()
    return declaration + newline + instruction + newline + rest


def build_rss(site: Site, plan: FeedPlan, self_url: str) -> bytes:
    fg = _base_feed(site, plan, self_url, "application/rss+xml")
    if not site.author.email:
        from feedgen.ext.dc import DcEntryExtension, DcExtension

        # dc:creator: RSS <author> needs an address. What `load_extension("dc")` registers,
        # without its failed import of a `dc_entry` module on every call.
        fg.register_extension("dc", DcExtension, DcEntryExtension, atom=False, rss=True)
    else:
        fg.managingEditor(f"{site.author.email} ({site.author.name})")
    for bookmark in plan.bookmarks:
        entry = _base_entry(fg, site, bookmark)
        if not site.author.email:
            entry.dc.dc_creator(site.author.name)
        full = entry_html(bookmark)
        entry.description(f"<p>{html.escape(bookmark.description)}</p>" if bookmark.description else full)
        entry.content(full)
        image_type = _image_attributes(bookmark.image).get("type") if bookmark.image else None
        if image_type:
            entry.enclosure(bookmark.image, "0", image_type)
    return fg.rss_str(pretty=True)


def build_atom(site: Site, plan: FeedPlan, self_url: str, updated: list[datetime] | None = None) -> bytes:
    """The Atom feed; `updated`: each entry's, if not `atom_updated`'s."""
    fg = _base_feed(site, plan, self_url, "application/atom+xml")
    for bookmark, moment in zip(plan.bookmarks, updated or atom_updated(plan.bookmarks), strict=True):
        entry = _base_entry(fg, site, bookmark)
        entry.updated(moment)
        if bookmark.description:
            entry.summary(bookmark.description, type="text")
        entry.content(entry_html(bookmark, with_description=False), type="html")
    return fg.atom_str(pretty=True)


def _base_feed(site: Site, plan: FeedPlan, self_url: str, media_type: str) -> FeedGenerator:
    # imported when a feed is made: a rebuild that makes none starts faster
    from feedgen.feed import FeedGenerator  # before feedgen.ext.media, which needs lxml.etree loaded
    from feedgen.ext.media import MediaEntryExtension, MediaExtension  # isort: skip

    fg = FeedGenerator()
    # what `load_extension("media")` registers, without its failed import of `media_entry`
    fg.register_extension("media", MediaExtension, MediaEntryExtension, atom=True, rss=True)
    fg.id(plan.id)
    fg.title(plan.title)
    fg.description(plan.description or plan.title)
    fg.link(href=self_url, rel="self", type=media_type)
    fg.link(href=plan.alternate, rel="alternate", type="text/html")
    fg.language(site.language)
    fg.generator(GENERATOR)
    fg.author(author_fields(site))
    fg.updated(plan.updated)
    fg.lastBuildDate(plan.updated)
    if site.icon:
        fg.icon(site.icon)
        fg.logo(site.icon)  # also the RSS <image>, titled and linked like the channel
    return fg


def _base_entry(fg: FeedGenerator, site: Site, bookmark: Bookmark):
    entry = fg.add_entry(order="append")
    entry.id(bookmark.id)
    entry.title(bookmark.title)
    entry.link(href=bookmark.link, rel="alternate")
    entry.published(bookmark.date)
    entry.updated(bookmark.date)
    entry.author(author_fields(site))
    for category in bookmark.categories:
        entry.category(term=category.name)
    if bookmark.image:
        entry.media.content(_image_attributes(bookmark.image), group=None)
        entry.media.thumbnail({"url": bookmark.image}, group=None)
    return entry


def author_fields(site: Site) -> dict[str, str]:
    return {"name": site.author.name, **({"email": site.author.email} if site.author.email else {})}


def _image_attributes(url: str) -> dict[str, str]:
    attributes = {"url": url, "medium": "image"}
    extension = urlsplit(url).path.rpartition(".")[2].lower()
    if extension in IMAGE_TYPES:
        attributes["type"] = IMAGE_TYPES[extension]
    return attributes


def atom_updated(bookmarks: Iterable[Bookmark]) -> list[datetime]:
    """Each entry's Atom `updated`: its bookmark's date plus a stable offset below one second
    (`first_updated`), moved on where that would repeat an earlier entry's in the feed."""
    seen: set[str] = set()
    return [_unique_updated(bookmark, seen) for bookmark in bookmarks]


def first_updated(bookmark: Bookmark) -> datetime:
    """The Atom `updated` a bookmark has unless an earlier entry of its feed already has it."""
    return bookmark.date + timedelta(microseconds=_offset(bookmark))


def _offset(bookmark: Bookmark) -> int:
    return int(hashlib.sha256(bookmark.id.encode()).hexdigest()[:8], 16) % 1_000_000


def _unique_updated(bookmark: Bookmark, seen: set[str]) -> datetime:
    """The bookmark's date plus a stable offset below one second, unique within the feed."""
    offset = _offset(bookmark)
    while True:
        moment = bookmark.date + timedelta(microseconds=offset)
        text = moment.isoformat()
        if text not in seen:
            seen.add(text)
            return moment
        offset = (offset + 1) % 1_000_000


def entry_html(bookmark: Bookmark, with_description: bool = True) -> str:
    """The item's HTML: description, image, sanitised body, and a link to the source, so every
    entry has textual content (the validator warns about entries without)."""
    parts = []
    if with_description and bookmark.description and not bookmark.description_in_body:
        parts.append(f"<p>{html.escape(bookmark.description)}</p>")
    if bookmark.image:
        parts.append(f'<p><img src="{html.escape(bookmark.image)}" alt=""></p>')
    if bookmark.body_html:
        parts.append(bookmark.body_html)
    parts.append(
        f'<p><a href="{html.escape(bookmark.link)}">{html.escape(bookmark.brand or bookmark.link)}</a></p>'
    )
    return "\n".join(parts)


@dataclass(frozen=True)
class IssueEntry:
    id: str
    title: str
    url: str
    date: datetime
    bookmarks: tuple[Bookmark, ...]


def build_issue_feed(site: Site, plan: FeedPlan, entries: list[IssueEntry]) -> bytes:
    """The Atom feed of digest issues, newest first: one entry per issue listing its links."""
    fg = _base_feed(site, plan, public_url(site, plan.path), "application/atom+xml")
    for issue in entries:
        entry = fg.add_entry(order="append")
        entry.id(issue.id)
        entry.title(issue.title)
        entry.link(href=issue.url, rel="alternate", type="text/html")
        entry.published(issue.date)
        entry.updated(issue.date)
        items = "".join(
            f'<li><a href="{html.escape(b.link)}">{html.escape(b.title)}</a></li>' for b in issue.bookmarks
        )
        entry.content(f"<ul>{items}</ul>", type="html")
    return fg.atom_str(pretty=True)
