"""A writing build plans on light values (`content.merge`): every file's `Light` comes from the
parse cache unless the file changed, saves of one link are merged and the feeds chosen on those,
and only the bookmarks a feed or a published issue shows are turned into full `Bookmark`s (from
this build's parses, else the cache's hot entries, else its shards). So a rebuild after an edit
reads the changed files and the shown bookmarks, not every bookmark; a build with an empty cache
parses every file and gives the same result."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..content.bookmark import Parsed, apply_now
from ..content.cache import ParseCache
from ..content.load import Scan, no_bookmark_files
from ..content.merge import Light, Merged, light_of, materialize, merge_lights, problems_at
from ..content.parse import parse_files
from ..errors import Problem
from ..model import Bookmark, Config, Progress
from ..publish.feeds import FeedPlan
from ..publish.plan import choose_feeds, feed_plan


@dataclass
class Planned:
    merged: list[Merged]  # every bookmark, light
    feeds: list[FeedPlan]  # with full bookmarks (bodies still Markdown)
    issued: list[Bookmark]  # the bookmarks of published issues, full, in `merged`'s order
    shown: list[str]  # the files whose parses the shown bookmarks came from
    problems: list[Problem]
    expiries: list[datetime]  # every signed image's expiry
    prints: dict[str, str]  # each shown bookmark's fingerprint, by id (`bookmark_print`)


def plan_lights(
    config: Config,
    now: datetime,
    cache: ParseCache,
    scan: Scan,
    issue_ids: set[str],
    progress: Progress | None,
) -> Planned:
    """Every file's light values, the problems a full build reports before writing (the walk's,
    each file's at `now`, the merged saves'), the merged bookmarks, and every feed's plan with
    full bookmarks."""
    rows, fresh = read_lights(scan, config, cache, progress)
    problems = list(scan.problems)
    for _, light in rows:
        if light.problems or light.expiry:
            problems += problems_at(light, now)
    if not scan.files and not problems:
        problems.append(no_bookmark_files(config.build.content_dir, config.root))
    merged, notes = merge_lights(rows)
    choices, fallback = choose_feeds(config, merged, now)
    wanted = {m.id for _, chosen in choices for m in chosen} | issue_ids
    shown = [m for m in merged if m.id in wanted]
    full = {m.id: materialize(m, _bookmark(m.newest, fresh, cache, now, scan, config)) for m in shown}
    prints = {m.id: p for m in shown if (p := bookmark_print(m, full[m.id], cache)) is not None}
    feeds = [feed_plan(config, spec, [full[m.id] for m in chosen], fallback) for spec, chosen in choices]
    issued = [full[m.id] for m in shown if m.id in issue_ids]
    expiries = [light.expiry[0] for _, light in rows if light.expiry]
    shown_files = [m.newest for m in shown]
    return Planned(merged, feeds, issued, shown_files, problems + notes, expiries, prints)


def bookmark_print(merged: Merged, bookmark: Bookmark, cache: ParseCache) -> str | None:
    """What a shown bookmark is made from, cheaper than its `repr` (a site of 4,561 feeds shows
    6,600 bookmarks): the SHA-256 of its newest save's bytes and that file's name (its parse is
    a function of these and of the parse tag: code, time zone, namespace, which a feed's
    fingerprint holds too), the image as `apply_now` left it, and the merged values."""
    entry = cache.current(merged.newest)
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
    scan: Scan, config: Config, cache: ParseCache, progress: Progress | None
) -> tuple[list[tuple[str, Light]], dict[str, Parsed]]:
    """Every listed file's light values, in listing order: the cache's when the file is
    unchanged, else parsed now (and kept in the cache); and the parses made now, by file."""
    cache.seen = {shown for _, shown, _ in scan.files}
    rows, missed = cache.lights(scan.files)
    misses = [(Path(scan.files[i][0]), rows[i][0]) for i in missed]
    identities = [scan.files[i][2] for i in missed]  # taken by the walk, before any file is read
    parsed = parse_files(misses, config.site, cache, progress=progress, identities=identities)
    fresh = {shown: result for (_, shown), result in zip(misses, parsed, strict=True)}
    for index in missed:
        shown = rows[index][0]
        light = light_of(fresh[shown])
        rows[index] = (shown, light)
        cache.remember(shown, light)
    return rows, fresh  # type: ignore[return-value]


def _bookmark(
    source: str, fresh: dict[str, Parsed], cache: ParseCache, now: datetime, scan: Scan, config: Config
) -> Bookmark:
    """A file's bookmark at `now`: parsed by this build, else from the cache (a file it lost
    since it gave the light values, a shard damaged meanwhile, is read again)."""
    parsed = fresh.get(source) or cache.parsed(source)
    if parsed is None:
        path = next(Path(p) for p, shown, _ in scan.files if shown == source)
        parsed = parse_files([(path, source)], config.site, cache)[0]
    bookmark, _ = apply_now(parsed, now)
    assert bookmark is not None
    return bookmark
