"""Many feeds that share bookmarks, each bookmark's entries rendered once.

A site of thousands of tags shows each bookmark in about three feeds, and feedgen spent about
half of a first build's feed time rendering the same entries again (4.1 s of CPU, now 2.2 s). Here feedgen renders each
bookmark's RSS item and Atom entry once, many to a feed (`render_entries`), and that feed is cut
at its entries' starts; `json` encodes its JSON Feed item once. Each feed is then its frame (the
feed made without entries, by the same functions) with the entries put in where they go.

The bytes are `feeds.build_feed_files`' (a property test and the serial/parallel test compare
them): lxml's pretty printing indents an element by its depth alone, every feed of a site
declares the same namespaces at its root, and JSON strings hold no line breaks, so an item's
lines are its lines anywhere at the same depth. Where a cut would be unsure (a count of entry
starts other than the entries'), those bookmarks are rendered one to a feed; a bookmark even
that cannot cut, and an Atom entry whose `updated` had to move on in its feed, is rendered
with its feed (`feeds.build_feed_files`).
"""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import replace
from typing import NamedTuple

from ..model import Bookmark, Site
from ..values.pools import FORKS, forked_pool
from .feeds import (
    FeedPlan,
    add_stylesheet,
    atom_updated,
    build_atom,
    build_feed_files,
    build_rss,
    entry_html,
    feed_paths,
    first_updated,
    public_url,
    stylesheet_href,
)
from .jsonfeed import build_json_feed, json_item

RSS_START, RSS_END = b"\n    <item>\n", b"  </channel>\n</rss>\n"
ATOM_START, ATOM_END = b"\n  <entry>\n", b"</feed>\n"
JSON_END = b'"items": []\n}\n'


class Entries(NamedTuple):
    """One bookmark's RSS item, Atom entry (with `first_updated`) and JSON Feed item, as bytes
    at the depth they have in a feed: the XML ones with their last line break, the JSON one
    without the comma and line break that separate items."""

    rss: bytes
    atom: bytes
    json: bytes


def render_entries(site: Site, bookmarks: list[Bookmark]) -> list[Entries | None]:
    """Each bookmark's entries; None for one whose feedgen output cannot be cut safely."""
    rss = _cut(build_rss(site, _batch(bookmarks), ""), RSS_START, RSS_END, len(bookmarks))
    atom = _cut(
        build_atom(site, _batch(bookmarks), "", [first_updated(b) for b in bookmarks]),
        ATOM_START,
        ATOM_END,
        len(bookmarks),
    )
    if rss is None or atom is None:
        if len(bookmarks) == 1:
            return [None]
        return [found for bookmark in bookmarks for found in render_entries(site, [bookmark])]
    return [Entries(r, a, json_entry(site, b)) for r, a, b in zip(rss, atom, bookmarks, strict=True)]


def json_entry(site: Site, bookmark: Bookmark) -> bytes:
    text = json.dumps(json_item(site, bookmark, entry_html(bookmark)), ensure_ascii=False, indent=2)
    return ("    " + text.replace("\n", "\n    ")).encode("utf-8")


def _batch(bookmarks: list[Bookmark]) -> FeedPlan:
    first = bookmarks[0].date
    return FeedPlan(
        "batch", "urn:linkletter:batch", "batch", "", tuple(bookmarks), first, "https://batch.invalid/"
    )


def _cut(document: bytes, start: bytes, end: bytes, count: int) -> list[bytes] | None:
    """The document's `count` entries, each from its start line to the next one's (the last to
    the document's `end`), or None unless there are exactly `count` starts and that end."""
    if not document.endswith(end):
        return None
    starts = []
    at = document.find(start)
    while at != -1:
        starts.append(at + 1)
        at = document.find(start, at + 1)
    if len(starts) != count:
        return None
    bounds = [*starts, len(document) - len(end)]
    return [document[bounds[i] : bounds[i + 1]] for i in range(count)]


def spliced_feed_files(
    site: Site, plan: FeedPlan, entries: dict[str, Entries | None], xsl: bool = False
) -> dict[str, bytes]:
    """`build_feed_files(site, plan, xsl)`, made from `entries` (by bookmark id); a feed with a
    bookmark `entries` lacks (or has None for) is rendered whole."""
    items = [e for e in (entries.get(b.id) for b in plan.bookmarks) if e is not None]
    moved = atom_updated(plan.bookmarks) != [first_updated(b) for b in plan.bookmarks]
    if len(items) < len(plan.bookmarks) or moved:
        return build_feed_files(site, plan, xsl)
    paths = feed_paths(plan)
    frame = replace(plan, bookmarks=())
    rss_frame = build_rss(site, frame, public_url(site, paths["rss"]))
    atom_frame = build_atom(site, frame, public_url(site, paths["atom"]))
    json_frame = build_json_feed(site, frame, public_url(site, paths["json"]), entry_html)
    json_items = b",\n".join(e.json for e in items)
    rss = _fill(rss_frame, RSS_END, b"".join(e.rss for e in items) + RSS_END)
    atom = _fill(atom_frame, ATOM_END, b"".join(e.atom for e in items) + ATOM_END)
    json_feed = _fill(
        json_frame, JSON_END, b'"items": [\n' + json_items + b"\n  ]\n}\n" if items else JSON_END
    )
    if rss is None or atom is None or json_feed is None:
        return build_feed_files(site, plan, xsl)
    if xsl:
        rss, atom = (add_stylesheet(data, stylesheet_href(plan.path)) for data in (rss, atom))
    return {paths["rss"]: rss, paths["atom"]: atom, paths["json"]: json_feed}


def _fill(frame: bytes, end: bytes, instead: bytes) -> bytes | None:
    """The frame with its `end` replaced by `instead` (the entries and the end); None if the
    frame does not end so."""
    return frame[: -len(end)] + instead if frame.endswith(end) else None


PARALLEL_FROM = 16  # feeds to render (31 take 0.3 s of CPU at 10,000 bookmarks); fewer are rendered here
FEED_CHUNK = 40  # feeds per task at most; fewer when there are few feeds, so every worker gets some
ENTRY_CHUNK = 40  # bookmarks per task (and per feed cut into entries)
_SHARED: dict[str, Entries | None] = {}  # a first pass's entries, for the workers forked after it


def build_many_feed_files(
    site: Site, plans: list[FeedPlan], xsl: bool = False, workers: int | None = None
) -> Iterator[dict[str, bytes]]:
    """`build_feed_files` for each plan, in order. When there are many, on every core: first
    each bookmark's entries (held here and by the workers forked after, which read them), then
    the feeds spliced from them, a few chunks in flight at a time: memory holds the entries of
    the changed feeds' bookmarks and a few chunks of feeds. Where workers do not fork, they
    render whole feeds."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if len(plans) < PARALLEL_FROM or workers < 2:
        yield from (build_feed_files(site, plan, xsl) for plan in plans)
        return
    import feedgen.feed  # noqa: F401  imported before the workers fork, so they inherit it

    try:
        if FORKS:
            bookmarks, clashing = distinct_bookmarks(plans)
            chunks = [bookmarks[i : i + ENTRY_CHUNK] for i in range(0, len(bookmarks), ENTRY_CHUNK)]
            with forked_pool(workers) as pool:
                rendered = [
                    e for done in pool.map(render_entries, [site] * len(chunks), chunks) for e in done
                ]
            _SHARED.update(zip((b.id for b in bookmarks), rendered, strict=True))
            _SHARED.update(dict.fromkeys(clashing))
        size = max(1, min(FEED_CHUNK, len(plans) // (4 * workers)))
        with forked_pool(workers) as pool:
            flight: deque[Future] = deque()
            for i in range(0, len(plans), size):
                flight.append(pool.submit(_splice_chunk, site, plans[i : i + size], xsl))
                if len(flight) > 2 * workers:
                    yield from flight.popleft().result()
            while flight:
                yield from flight.popleft().result()
    finally:
        _SHARED.clear()


def _splice_chunk(site: Site, plans: list[FeedPlan], xsl: bool) -> list[dict[str, bytes]]:
    return [spliced_feed_files(site, plan, _SHARED, xsl) for plan in plans]


def distinct_bookmarks(plans: list[FeedPlan]) -> tuple[list[Bookmark], set[str]]:
    """Each bookmark of the plans once, in the order they first appear; and the ids that stand
    for different bookmarks in different plans (rendered with each feed)."""
    first: dict[str, Bookmark] = {}
    clashing: set[str] = set()
    for plan in plans:
        for bookmark in plan.bookmarks:
            known = first.setdefault(bookmark.id, bookmark)
            if known is not bookmark and known != bookmark:
                clashing.add(bookmark.id)
    return list(first.values()), clashing
