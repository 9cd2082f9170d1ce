"""A rebuild re-planned from the last full plan's `Snapshot`: only the files changed since (by
identity, or modified within the racy window), those whose signed image expired since, and the
links dated between then and now are looked at again. Their link groups are merged anew and put
in their place among the newest-first columns, and only the feeds they could enter or leave are
chosen again; every other value is the snapshot's. The result equals a full plan's (the random
rebuild tests compare every step with a full build). It gives up (None: plan in full) when the
clock went back, when more than LIMIT files changed since, or when a category's name or slug
would change: that touches bookmarks that did not change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import compress, repeat
from operator import ge, itemgetter, ne
from typing import NamedTuple, cast

from ..content.bookmark import Parsed
from ..content.cache import RACY_NS, Identity, ParseCache
from ..content.categories import catalog_from, most_used
from ..content.load import Scan
from ..content.merge import Light, Merged, merge_lights, merge_notes, problems_at
from ..errors import Problem
from ..model import Category, Config, FeedSpec, Progress
from ..publish.plan import EMPTY_FEED_DATE, specs_for
from .guard import content_folders
from .lights import Choices, Finder, Planned, Settled, read_lights, show
from .shortcut import FAR_FUTURE, next_change
from .snapshot import Columns, Snapshot

LIMIT = 256  # files looked at again; past this a full plan (and a new snapshot) costs about as much


class Changes(NamedTuple):
    touched: list[str]  # listed files to look at again, in listing order
    removed: list[str]  # files listed in the snapshot, not now
    lights: dict[str, Light]  # each touched file's light values now
    fresh: dict[str, Parsed]  # the parses made now


def plan_delta(
    config: Config,
    now: datetime,
    cache: ParseCache,
    scan: Scan,
    issue_ids: set[str],
    snapshot: Snapshot,
    intact: Callable[[str, str], bool],
    progress: Progress | None,
) -> Planned | None:
    """The plan `lights.plan_lights` would make, from `snapshot` and what changed since; None
    when a full plan is needed. A feed the changes do not touch, still as the snapshot's build
    wrote it (`intact(feed path, fingerprint)`), is settled: its bookmarks are counted, not
    read (`FeedPlan.settled`)."""
    if now < snapshot.now or not scan.files:
        return None
    files = [shown for _, shown, _ in scan.files]
    position = dict(zip(files, range(len(files)), strict=True))
    same = files == snapshot.files  # no file added, removed or renamed: compare in order
    before = position if same else dict(zip(snapshot.files, range(len(snapshot.files)), strict=True))
    changes = find_changes(config, cache, scan, snapshot, position, same, now, progress)
    if changes is None:
        return None
    catalog = _catalog(snapshot, changes, before)
    if catalog is None:
        return None
    columns = snapshot.columns
    where = _positions(columns)
    regrouped = _regroup(snapshot, changes, before, position, where, catalog, now, cache, scan)
    if regrouped is None:
        return None
    old = [columns.merged(i) for i in sorted({where[t] for t in regrouped if t in where}, reverse=True)]
    new = [m for group in regrouped.values() for m in group]
    for m in old:  # from the last position up: the others stay where they are
        columns.remove(where[m.id])
    for m in new:
        columns.insert(m)
    published, folders = _recount(config, snapshot, old, new, now)
    problems = _problems(snapshot, changes, scan, now, columns, position)
    where = _positions(columns)
    choices, fallback, settled = _choose(
        config, snapshot, catalog, published, columns, where, old + new, now, intact
    )
    issued = sorted(
        (columns.merged(where[i]) for i in issue_ids if i in where),
        key=lambda m: min(position[f] for f in (m.source, *m.also_in)),
    )
    finder = Finder(config, cache, changes.fresh, scan, True)
    shown = show(config, now, choices, fallback, issued, finder, settled)
    later = [columns.merged(i) for i in range(_published_from(columns, now))]
    return Planned(
        len(columns),
        set(catalog),
        later,
        folders,
        _until(config, snapshot, changes, columns, now),
        shown,
        problems,
        by="delta",
    )


def _positions(columns: Columns) -> dict[str, int]:
    """Each link id's position in the columns."""
    return dict(zip(columns.ids, range(len(columns)), strict=True))


def find_changes(
    config: Config,
    cache: ParseCache,
    scan: Scan,
    snapshot: Snapshot,
    position: dict[str, int],
    same: bool,
    now: datetime,
    progress: Progress | None,
) -> Changes | None:
    """The files to look at again and their light values now (parsed if the cache does not
    have them); None when there are more than LIMIT. `same`: the same files are listed as in
    the snapshot, in the same order."""
    racy = snapshot.saved_ns - RACY_NS
    files = list(position)
    identities = [identity for _, _, identity in scan.files]
    if same:  # in C: these pass over a hundred thousand files
        touched = set(compress(files, map(ne, identities, snapshot.identities)))
        removed: list[str] = []
    else:
        was = dict(zip(snapshot.files, snapshot.identities, strict=True))
        touched = set(compress(files, map(ne, identities, map(was.get, files))))
        removed = sorted(was.keys() - position.keys())
    if None in identities:
        touched |= {shown for shown, identity in zip(files, identities, strict=True) if identity is None}
    else:
        seen = cast(list[Identity], identities)  # none is None
        touched |= set(compress(files, map(ge, map(itemgetter(1), seen), repeat(racy))))
    touched |= {f for f, expiry in snapshot.expiries.items() if expiry <= now and f in position}
    if len(touched) + len(removed) > LIMIT:
        return None
    listed = sorted(touched, key=position.__getitem__)
    rows, fresh = read_lights(Scan([scan.files[position[f]] for f in listed], []), config, cache, progress)
    return Changes(listed, removed, dict(rows), fresh)


def _catalog(snapshot: Snapshot, changes: Changes, before: dict[str, int]) -> dict[str, Category] | None:
    """The catalog after the changes, None when a category that stays would change its name or
    slug. `snapshot.counts` are brought up to date."""
    counts = snapshot.counts
    changed: set[str] = set()  # the keys whose spellings were counted again
    for f in changes.touched + changes.removed:
        i = before.get(f)
        old = snapshot.spellings[i] if i is not None and snapshot.link_ids[i] is not None else ()
        light = changes.lights.get(f)
        new = light.spellings if light is not None and light.id is not None else ()
        if old == new:
            continue
        for pairs, step in ((old, -1), (new, 1)):
            for key, name in pairs:
                changed.add(key)
                found = counts.setdefault(key, {})
                found[name] = found.get(name, 0) + step
                if not found[name]:
                    del found[name]
                if not found:
                    del counts[key]
    if all(k in counts and k in snapshot.catalog for k in changed):  # the same keys: the same slugs
        same = all(snapshot.catalog[k].name == most_used(counts[k]) for k in changed)
        return snapshot.catalog if same else None
    catalog = catalog_from(counts, snapshot.bases)  # a new key's base joins them: a function of the key
    if any(catalog[k] != c for k, c in snapshot.catalog.items() if k in catalog):
        return None
    return catalog


def _regroup(
    snapshot: Snapshot,
    changes: Changes,
    before: dict[str, int],
    position: dict[str, int],
    where: dict[str, int],
    catalog: dict[str, Category],
    now: datetime,
    cache: ParseCache,
    scan: Scan,
) -> dict[str, list[Merged]] | None:
    """Each touched link's merged bookmark now ([] when no file has it any more): the links of
    the touched and removed files, then and now, and those dated between the snapshot and now.
    None when an unchanged file's light values are not in the cache."""
    columns = snapshot.columns
    touched = set(changes.touched)
    links = {snapshot.link_ids[before[f]] for f in changes.touched + changes.removed if f in before}
    links |= {light.id for light in changes.lights.values()}
    for published, date in zip(columns.ids, columns.dates, strict=True):
        if date <= snapshot.now:
            break
        if date <= now:  # published since
            links.add(published)
    links.discard(None)
    identities: dict[str, Identity | None] = {}
    regrouped: dict[str, list[Merged]] = {}
    for link_id in links:
        assert link_id is not None
        members = {f for f, light in changes.lights.items() if light.id == link_id}
        at = where.get(link_id)
        if at is not None:
            members |= {
                f for f in (columns.sources[at], *columns.also_in[at]) if f in position and f not in touched
            }
        rows = []
        for f in sorted(members, key=position.__getitem__):
            light = changes.lights.get(f)
            if light is None:
                if not identities:
                    identities = {shown: identity for _, shown, identity in scan.files}
                row = cache.row(f)
                if row is None or row[0] != identities[f]:  # the cache lost it: plan in full
                    return None
                light = row[2]
            rows.append((f, light))
        regrouped[link_id] = merge_lights(rows, catalog)[0]
    return regrouped


def _recount(
    config: Config, snapshot: Snapshot, old: list[Merged], new: list[Merged], now: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    """Published bookmarks per category and bookmark files per top-level folder, after the
    changes (`old`: the bookmarks replaced, as the snapshot had them; `new`: what replaces them)."""
    published = Counter(snapshot.published)
    for m in old:
        if m.date <= snapshot.now:
            published.subtract(c.key for c in m.categories)
    for m in new:
        if m.date <= now:
            published.update(c.key for c in m.categories)
    folders = Counter(snapshot.folders)
    folders.subtract(content_folders(config, old))
    folders.update(content_folders(config, new))
    return {k: n for k, n in published.items() if n > 0}, {k: n for k, n in folders.items() if n > 0}


def _problems(
    snapshot: Snapshot,
    changes: Changes,
    scan: Scan,
    now: datetime,
    columns: Columns,
    position: dict[str, int],
) -> list[Problem]:
    """What a full plan reports, in its order: the walk's, each file's in listing order, then the
    notes of links saved more than once, in the order the links first appear."""
    found = snapshot.problems
    for f in changes.removed + changes.touched:
        found.pop(f, None)
    for f in changes.touched:
        light = changes.lights[f]
        if (light.problems or light.expiry) and (at_now := problems_at(light, now)):
            found[f] = at_now
    files = sorted(found, key=position.__getitem__)
    problems = list(scan.problems) + [p for f in files for p in found[f]]
    several = compress(range(len(columns)), columns.also_in)  # links saved more than once
    groups = [(columns.sources[i], columns.also_in[i]) for i in several]
    groups.sort(key=lambda group: min(position[f] for f in (group[0], *group[1])))
    return problems + [p for first, others in groups for p in merge_notes(first, others)]


def _choose(
    config: Config,
    snapshot: Snapshot,
    catalog: dict[str, Category],
    published: dict[str, int],
    columns: Columns,
    where: dict[str, int],
    changed: list[Merged],
    now: datetime,
    intact: Callable[[str, str], bool],
) -> tuple[Choices, datetime, dict[str, Settled]]:
    """Each feed's spec and bookmarks (`publish.plan.choose_feeds`): the snapshot's choice for
    a feed none of the changed bookmarks belongs to, else chosen again from the columns. A
    settled feed (kept, not empty, as written then) gets no bookmarks: `Settled` counts them."""
    specs = specs_for(config, {k: (catalog[k], n) for k, n in published.items()})
    choices: Choices = []
    settled: dict[str, Settled] = {}
    index: dict[str, list[int]] | None = None
    scans = 0  # of single categories: from the third on (or a small one), by an index of the categories
    keys = {c.key for m in changed for c in m.categories}
    for spec in specs:
        path = f"{spec.folder}/{spec.slug}"
        kept = snapshot.feeds.get(path)
        touched = (spec.categories is None or not keys.isdisjoint(spec.categories)) and _any_in(changed, spec)
        if kept is None or kept[0] != spec or spec.max_age_days is not None or touched:
            one = (
                spec.categories[0]
                if spec.categories and len(spec.categories) == 1 and not spec.exclude
                else None
            )
            scans += one is not None
            # a scan stops at the feed's limit: early for a big category, at the end for a small one
            if one is not None and (scans >= 3 or published.get(one, 0) <= spec.limit):
                index = index if index is not None else _by_category(columns)
                chosen = _take(columns, spec, now, index.get(one, []))
            else:
                chosen = _take(columns, spec, now)
            choices.append((spec, [columns.merged(i) for i in chosen]))
            continue
        ids = kept[1]
        written = snapshot.prints.get(path)  # an empty feed's date is the newest bookmark's: not settled
        if ids and written is not None and intact(path, written):
            settled[path] = Settled(len(ids), columns.dates[where[ids[0]]])
            choices.append((spec, []))
        else:
            choices.append((spec, [columns.merged(where[i]) for i in ids]))
    first = _published_from(columns, now)
    return choices, columns.dates[first] if first < len(columns) else EMPTY_FEED_DATE, settled


def _published_from(columns: Columns, now: datetime) -> int:
    """The position of the newest bookmark dated up to `now` (those before it are later)."""
    for i, date in enumerate(columns.dates):
        if date <= now:
            return i
    return len(columns)


def _any_in(bookmarks: list[Merged], spec: FeedSpec) -> bool:
    return any(_matches(m.categories, spec) for m in bookmarks)


def _matches(categories: tuple[Category, ...], spec: FeedSpec) -> bool:
    keys = {c.key for c in categories}
    if keys.intersection(spec.exclude):
        return False
    return spec.categories is None or bool(keys.intersection(spec.categories))


def _by_category(columns: Columns) -> dict[str, list[int]]:
    """Category key -> the positions of its bookmarks, newest first."""
    index: dict[str, list[int]] = {}
    for i, categories in enumerate(columns.categories):
        for category in categories:
            index.setdefault(category.key, []).append(i)
    return index


def _take(columns: Columns, spec: FeedSpec, now: datetime, candidates: list[int] | None = None) -> list[int]:
    """`select.take_for_feed` over the columns: the positions of the feed's bookmarks, from
    every position or from `candidates` (positions newest first, each matching `spec`)."""
    oldest = now - timedelta(days=spec.max_age_days) if spec.max_age_days is not None else None
    verdicts: dict[int, bool] = {}
    chosen: list[int] = []
    for i in range(len(columns)) if candidates is None else candidates:
        date = columns.dates[i]
        if len(chosen) >= spec.limit or (oldest is not None and date < oldest):
            break
        if date > now:
            continue
        if candidates is None:
            categories = columns.categories[i]
            verdict = verdicts.get(id(categories))
            if verdict is None:
                verdict = verdicts[id(categories)] = _matches(categories, spec)
            if not verdict:
                continue
        chosen.append(i)
    return chosen


def _until(
    config: Config, snapshot: Snapshot, changes: Changes, columns: Columns, now: datetime
) -> datetime | None:
    """`shortcut.next_change` from the dates after now (and within the longest max age before
    it), the snapshot's expiries of files left as they were and the touched files' expiries."""
    ages = [spec.max_age_days for spec in config.feeds if spec.max_age_days is not None]
    edge = now - timedelta(days=max(ages)) if ages else now
    dates = []
    for date in columns.dates:
        if date < edge:  # a feed keeps one dated at the edge until just after now
            break
        dates.append(date)
    gone = set(changes.touched) | set(changes.removed)
    expiries = [e for f, e in snapshot.expiries.items() if f not in gone]
    expiries += [light.expiry[0] for light in changes.lights.values() if light.expiry]
    return next_change(config, dates, expiries, now, FAR_FUTURE)
