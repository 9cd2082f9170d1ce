"""A writing build plans on light values (`content.merge`): every file's `Light` comes from the
parse cache unless the file changed, saves of one link are merged and the feeds chosen on those,
and only the bookmarks a feed or a published issue shows are turned into full `Bookmark`s (from
this build's parses, else the cache's hot entries, else its shards). A build with an empty cache
parses every file and gives the same result. What a full plan worked out is kept as a
`Snapshot`, from which the next build re-plans only what changed (`delta`)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..content.bookmark import Parsed, apply_now
from ..content.cache import Entry, Identity, ParseCache
from ..content.categories import catalog_from
from ..content.load import Scan, no_bookmark_files
from ..content.merge import Light, Merged, category_counts, light_of, materialize, merge_lights, problems_at
from ..content.parse import Wanted, parse_files, parse_keeping
from ..errors import Problem
from ..model import Bookmark, Config, FeedSpec, Progress
from ..publish.feeds import FeedPlan
from ..publish.plan import choose_feeds, default_feed_spec, feed_plan
from ..select import newest_first
from .guard import content_folders
from .shortcut import FAR_FUTURE, next_change
from .snapshot import Snapshot, take_snapshot

Choices = list[tuple[FeedSpec, list[Merged]]]


@dataclass
class Shown:
    """The bookmarks a build shows, in full (bodies still Markdown)."""

    feeds: list[FeedPlan]
    issued: list[Bookmark]  # the bookmarks of published issues, in listing order
    entries: dict[str, Entry]  # the cache's entries of the files the shown bookmarks came from
    prints: dict[str, str]  # each shown bookmark's fingerprint, by id (`bookmark_print`)


@dataclass
class Planned:
    count: int  # bookmarks, after merging
    keys: set[str]  # every category key of a bookmark
    later: list[Merged]  # the bookmarks dated after now
    folders: dict[str, int]  # bookmark files by top-level content folder (`guard.content_folders`)
    until: datetime | None  # when the same content could give another build (`next_change`)
    shown: Shown
    problems: list[Problem]
    snapshot: Snapshot | None = None  # to keep for the next build
    by: str = "full"  # "full", or "delta": re-planned from the last snapshot


def plan_lights(
    config: Config,
    now: datetime,
    cache: ParseCache,
    scan: Scan,
    issue_ids: set[str],
    progress: Progress | None,
    key: str = "",
) -> Planned:
    """Every file's light values, the problems a full build reports before writing (the walk's,
    each file's at `now`, the merged saves'), what the build reports of the merged bookmarks,
    and every feed's plan with full bookmarks; and the snapshot of it all (made with `key`) for
    the next build."""
    limit = config.build.feed_limit if config.build.category_feeds else None
    wanted = Wanted(tuple(config.feeds) or (default_feed_spec(config),), limit, now, frozenset(issue_ids))
    rows, fresh = read_lights(scan, config, cache, progress, wanted)
    at_now = {
        shown: found
        for shown, light in rows
        if (light.problems or light.expiry) and (found := problems_at(light, now))
    }
    problems = list(scan.problems) + [p for found in at_now.values() for p in found]
    if not scan.files and not problems:
        problems.append(no_bookmark_files(config.build.content_dir, config.root))
    counts = category_counts(rows)
    bases: dict[str, str] = {}
    catalog = catalog_from(counts, bases)
    merged, notes = merge_lights(rows, catalog)
    ordered = newest_first(merged)
    choices, fallback = choose_feeds(config, ordered, now, ordered=True)
    issued = [m for m in merged if m.id in issue_ids]
    shown = show(config, now, choices, fallback, issued, Finder(config, cache, fresh, scan, False))
    expiries = {source: light.expiry[0] for source, light in rows if light.expiry and light.expiry[0] > now}
    folders = content_folders(config, merged)
    dates = [m.date for m in merged]
    planned = Planned(
        len(merged),
        set(catalog),
        [m for m in ordered if m.date > now],
        folders,
        next_change(config, dates, list(expiries.values()), now, FAR_FUTURE),
        shown,
        problems + notes,
    )
    if key:
        planned.snapshot = take_snapshot(
            key, now, scan, rows, at_now, expiries, ordered, counts, catalog, bases, choices, folders
        )
    return planned


def show(
    config: Config,
    now: datetime,
    choices: Choices,
    fallback: datetime,
    issued: list[Merged],
    finder: Finder,
    settled: dict[str, Settled] | None = None,
) -> Shown:
    """The chosen and issued bookmarks in full, and each feed's plan; a `settled` feed's (by
    path) are only counted (`FeedPlan.settled`; their files stay hot in the cache)."""
    settled = settled or {}
    wanted = {m.id: m for _, chosen in choices for m in chosen} | {m.id: m for m in issued}
    files = {m.newest for m in wanted.values()}
    entries = {f: e for f in files if (e := finder.entry(f)) is not None}
    full = {i: materialize(m, finder.bookmark(m.newest, now)) for i, m in wanted.items()}
    prints = {i: p for i, m in wanted.items() if (p := bookmark_print(m, full[i], entries.get(m.newest)))}
    feeds = [
        settled_plan(config, spec, found)
        if (found := settled.get(f"{spec.folder}/{spec.slug}"))
        else feed_plan(config, spec, [full[m.id] for m in chosen], fallback)
        for spec, chosen in choices
    ]
    return Shown(feeds, [full[m.id] for m in issued], entries, prints)


class Settled(NamedTuple):
    """A feed a rebuild leaves as it is: how many bookmarks, its date."""

    size: int
    updated: datetime


def settled_plan(config: Config, spec: FeedSpec, settled: Settled) -> FeedPlan:
    path = f"{spec.folder}/{spec.slug}"
    site = config.site
    return FeedPlan(
        path,
        site.make_id(f"feed:{path}"),
        spec.title,
        spec.description,
        (),
        settled.updated,
        site.home_url or site.base_url,
        settled=True,
        count=settled.size,
    )


class Finder:
    """A listed file's parse: this build's, else the cache's (its hot entry when the file is as
    it was then; `rows`: may read the file's shard of rows to check), else parsed now."""

    def __init__(self, config: Config, cache: ParseCache, fresh: dict[str, Parsed], scan: Scan, lazy: bool):
        self.config, self.cache, self.fresh, self.scan, self.lazy = config, cache, fresh, scan, lazy
        self.identities: dict[str, Identity | None] | None = None

    def entry(self, source: str) -> Entry | None:
        if not self.lazy:
            return self.cache.current(source)
        if self.identities is None:
            self.identities = {shown: identity for _, shown, identity in self.scan.files}
        return self.cache.hot_entry(source, self.identities.get(source))

    def bookmark(self, source: str, now: datetime) -> Bookmark:
        """A file's bookmark at `now` (a file the cache lost since it gave the light values, a
        shard damaged meanwhile, is read again)."""
        parsed = self.fresh.get(source)
        if parsed is None:
            entry = self.entry(source)
            parsed = entry.parsed if entry is not None else None
        if parsed is None:
            path = next(Path(p) for p, shown, _ in self.scan.files if shown == source)
            parsed = parse_files([(path, source)], self.config.site, self.cache)[0]
        bookmark, _ = apply_now(parsed, now)
        assert bookmark is not None
        return bookmark


def bookmark_print(merged: Merged, bookmark: Bookmark, entry: Entry | None) -> str | None:
    """What a shown bookmark is made from, cheaper than its `repr` (a site of 4,561 feeds shows
    6,600 bookmarks): the SHA-256 of its newest save's bytes and that file's name (its parse is
    a function of these and of the parse tag: code, time zone, namespace, which a feed's
    fingerprint holds too), the image as `apply_now` left it, and the merged values."""
    if entry is None:  # not kept (no cache folder?): `Fingerprints` uses the bookmark's repr
        return None
    categories = tuple((c.slug, c.name, c.key) for c in merged.categories)
    values = (
        merged.newest,
        entry.digest,
        bookmark.image,
        merged.date,
        merged.source,
        merged.also_in,
        categories,
    )
    return hashlib.sha256(repr(values).encode("utf-8", "surrogatepass")).hexdigest()


def read_lights(
    scan: Scan, config: Config, cache: ParseCache, progress: Progress | None, wanted: Wanted | None = None
) -> tuple[list[tuple[str, Light]], dict[str, Parsed]]:
    """Every listed file's light values, in listing order: the cache's when the file is
    unchanged, else parsed now (and kept in the cache); and the parses made now, by file (with
    `wanted`, a first build keeps only those in memory: `parse.parse_keeping`)."""
    rows, missed = cache.lights(scan.files)
    misses: list[tuple[Path | str, str]] = [(scan.files[i][0], rows[i][0]) for i in missed]
    identities = [scan.files[i][2] for i in missed]  # taken by the walk, before any file is read
    if wanted is not None:
        parsed = parse_keeping(misses, identities, config.site, cache, progress, wanted)
    else:
        parsed = list(parse_files(misses, config.site, cache, progress=progress, identities=identities))
    fresh = {shown: result for (_, shown), result in zip(misses, parsed, strict=True) if result is not None}
    for index in missed:
        shown = rows[index][0]
        made = fresh.get(shown)
        entry, row = cache.entries.get(shown), cache.rows.get(shown)
        if row is not None and (made is None or (entry is not None and row[1] == entry.digest)):
            light = row[2]  # made from these bytes (by a worker, or found unchanged)
        else:
            assert made is not None
            light = light_of(made)
        rows[index] = (shown, light)
        cache.remember(shown, light)
        path, _, identity = scan.files[index]
        if identity is None and (kept := cache.rows.get(shown)) is not None:  # not listed: as read
            scan.files[index] = (path, shown, kept[0])
    return rows, fresh  # type: ignore[return-value]
