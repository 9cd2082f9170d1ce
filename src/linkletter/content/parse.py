"""Every bookmark file into a `Parsed`: from the parse cache when the file is unchanged, else read
and parsed, on several cores when there are many files (a process pool in chunks). The result is
the same, in the same order, whichever way it was made."""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from ..errors import Problem, ValueProblem
from ..model import FeedSpec, Progress, Site
from ..values.files import decode_text, file_identity, read_seen
from ..values.pools import forked_pool
from ..values.text import clean_text
from .bookmark import Parsed, parse_bookmark
from .cache import Entry, Identity, ParseCache, Row, content_digest, shard_of, write_pickle
from .merge import light_of, spellings_of

MAX_FILE_BYTES = 1024 * 1024
PARALLEL_FROM = 2_000  # files to parse; fewer are parsed in this process
CHUNK = 250

Job = tuple[str, str, bytes | None]  # path, shown path, the digest the cache knows
Done = tuple[bytes | None, Parsed | None, Identity | None]  # digest, parse, identity (`parse_one`)


class Wanted(NamedTuple):
    """Which parses a caller needs in full, of files parsed by shard (the others stay in the
    shard files, read if asked for): each feed spec's newest `limit` matches among the files
    dated up to `now` (by each file's own date and categories), each category's newest
    `category_limit` (None: no category feeds), and the bookmarks with these `ids`."""

    specs: tuple[FeedSpec, ...]
    category_limit: int | None
    now: datetime
    ids: frozenset[str]


def parse_files(
    paths: Sequence[tuple[Path | str, str]],
    site: Site,
    cache: ParseCache,
    workers: int | None = None,
    progress: Progress | None = None,
    identities: list[Identity | None] | None = None,
) -> list[Parsed]:
    """`Parsed` for each (path, shown path), in order; `progress` hears of the files parsed.
    `identities`: each file's identity taken by the caller's listing before the file is read
    (else each file is stat-ed here), the identity the cache keeps with the parse; one the
    listing did not take (None) is the file's as it was opened."""
    results: list[Parsed | None] = []
    if identities is None:
        identities = [file_identity(Path(path)) for path, _ in paths]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    jobs: list[tuple[int, Job]] = []
    for index, ((path, shown), identity) in enumerate(zip(paths, identities, strict=True)):
        known = cache.known(shown, identity) if identity else None
        results.append(known)
        if known is None:
            jobs.append((index, (str(path), shown, cache.digest(shown))))
    for (index, _), (digest, parsed, seen) in zip(jobs, _run(jobs, site, workers, progress), strict=True):
        identity = identities[index] or seen
        if digest is not None and identity is not None:
            cache.store(paths[index][1], identity, digest, parsed)
        results[index] = parsed if parsed is not None else cache.entries[paths[index][1]].parsed
    return [r for r in results if r is not None]


def parse_keeping(
    paths: Sequence[tuple[Path | str, str]],
    identities: list[Identity | None],
    site: Site,
    cache: ParseCache,
    progress: Progress | None,
    wanted: Wanted,
    workers: int | None = None,
) -> list[Parsed | None]:
    """`parse_files` for a caller that saves the cache after: with an empty cache and many
    files, each worker writes the shard files of what it parsed, and only the parses `wanted`
    come back (None for the others: the cache reads them from their shard if asked)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if cache.empty() and cache.folder is not None and len(paths) >= PARALLEL_FROM and workers >= 2:
        try:
            cache.folder.mkdir(parents=True, exist_ok=True)
            (cache.folder / "header.pickle").unlink(missing_ok=True)  # the old shards are replaced
        except OSError:
            pass  # not writable: parsed here as usual, and the cache's save says why
        else:
            return _parse_by_shard(paths, identities, site, cache, workers, progress, wanted)
    return list(parse_files(paths, site, cache, workers, progress, identities))


def _parse_by_shard(
    paths: Sequence[tuple[Path | str, str]],
    identities: list[Identity | None],
    site: Site,
    cache: ParseCache,
    workers: int,
    progress: Progress | None,
    wanted: Wanted,
) -> list[Parsed | None]:
    """Every file parsed, one shard of the cache per job: the worker writes the shard's files of
    parses and of rows (light values), so this process does not pickle them again, and sends
    back only the parses `wanted`. A shard knows only its own files, so each job is given the
    floors the shards done before it set (`Newest`): at 100,000 files, without them, 54,000
    parses came back for 1,550 shown."""
    assert cache.folder is not None
    shards: dict[int, list[int]] = {}
    for index, (_, shown) in enumerate(paths):
        shards.setdefault(shard_of(shown), []).append(index)
    folder = str(cache.folder)
    waiting = deque(sorted(shards.items()))
    running: dict[Future, tuple[int, list[int]]] = {}
    newest = Newest(wanted)
    results: list[Parsed | None] = [None] * len(paths)
    done = 0
    with forked_pool(workers) as pool, prefetching([str(path) for path, _ in paths]):
        while waiting or running:
            while waiting and len(running) < 2 * workers:  # one to start as soon as one ends
                shard, indexes = waiting.popleft()
                job = (shard, [(str(paths[i][0]), paths[i][1], identities[i]) for i in indexes])
                running[pool.submit(parse_shard, job, site, folder, wanted, newest.floors())] = (
                    shard,
                    indexes,
                )
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in sorted(finished, key=lambda f: running[f][0]):
                shard, indexes = running.pop(future)
                found, rows, written, tops = future.result()
                newest.add(tops)
                for index, parsed in zip(indexes, found, strict=True):
                    results[index] = parsed
                    row = rows.get(paths[index][1])
                    if row is not None and parsed is not None:
                        cache.entries[paths[index][1]] = Entry(row[0], row[1], parsed)
                cache.rows.update(rows)
                cache.shard_rows[shard] = rows
                if written is None:  # every parse came back: the cache's save writes them
                    cache.dirty.add(shard)
                else:  # an empty cache starts with every shard to write: not this one
                    cache.files.update(written)
                    cache.dirty.discard(shard)
                    cache.loaded.discard(shard)  # the parses not sent back are read from its file
                done += len(indexes)
                if progress:
                    progress("parsing", done, len(paths))
    return results


Group = int | str  # what a floor is for: a wanted feed spec (its position) or a category key


def parse_shard(
    job: tuple[int, list[tuple[str, str, Identity | None]]],
    site: Site,
    folder: str,
    wanted: Wanted,
    floors: dict[Group, datetime] | None = None,
) -> tuple[list[Parsed | None], dict[str, Row], dict[str, list[int]] | None, dict[Group, list[datetime]]]:
    """In a worker: every file of one shard parsed, its rows (identity, digest, light values) and
    the shard's two files written; the parses `wanted` (`wanted_parses`, above `floors`), the
    files' identities (None if they could not be written: then every parse comes back and the
    cache's save writes them), and the newest dates of each group here."""
    shard, files = job
    parses: list[Parsed] = []
    rows: dict[str, Row] = {}
    entries: dict[str, Entry] = {}
    for path, shown, listed in files:
        digest, parsed, seen = parse_one(path, shown, site, None)
        assert parsed is not None  # nothing known: every file is parsed
        parses.append(parsed)
        identity = listed or seen
        if digest is not None and identity is not None:
            rows[shown] = (identity, digest, light_of(parsed))
            entries[shown] = Entry(identity, digest, parsed)
    keep, tops = wanted_parses(parses, wanted, floors)
    written: dict[str, list[int]] = {}
    for name, values in ((f"{shard:02d}.pickle", entries), (f"{shard:02d}.rows.pickle", rows)):
        try:
            write_pickle(Path(folder) / name, values)
        except OSError:
            return list(parses), rows, None, tops
        identity = file_identity(Path(folder) / name)
        if identity is None:
            return list(parses), rows, None, tops
        written[name] = list(identity)
    return [parsed if i in keep else None for i, parsed in enumerate(parses)], rows, written, tops


def wanted_parses(
    parses: list[Parsed], wanted: Wanted, floors: dict[Group, datetime] | None = None
) -> tuple[set[int], dict[Group, list[datetime]]]:
    """The positions of the parses `wanted` names (and of those without a bookmark: small),
    leaving out those older than their group's floor (other files hold that group's newest);
    and the newest dates of each group among these parses."""
    floors = floors or {}
    keep = {i for i, parsed in enumerate(parses) if parsed.bookmark is None}
    dated: list[tuple[datetime, int, set[str]]] = []
    for i, parsed in enumerate(parses):
        bookmark = parsed.bookmark
        if bookmark is None:
            continue
        if bookmark.id in wanted.ids:
            keep.add(i)
        if bookmark.date <= wanted.now:
            dated.append((bookmark.date, i, {key for key, _ in spellings_of(parsed.names)}))
    dated.sort(key=lambda item: item[0], reverse=True)
    tops: dict[Group, list[datetime]] = {}
    groups: dict[Group, tuple[list[tuple[datetime, int]], int]] = {}
    for n, spec in enumerate(wanted.specs):
        include, exclude = set(spec.categories or ()), set(spec.exclude)
        matching = [
            (date, i)
            for date, i, keys in dated
            if not keys & exclude and (spec.categories is None or keys & include)
        ]
        groups[n] = (matching, spec.limit)
    if wanted.category_limit is not None:
        by_key: dict[str, list[tuple[datetime, int]]] = {}
        for date, i, keys in dated:
            for key in keys:
                by_key.setdefault(key, []).append((date, i))
        for key, items in by_key.items():
            groups[key] = (items, wanted.category_limit)
    for group, (items, limit) in groups.items():
        floor = floors.get(group)
        chosen = _newest([item for item in items if floor is None or item[0] >= floor], limit)
        keep.update(i for _, i in chosen)
        tops[group] = [date for date, _ in chosen[:limit]]
    return keep, tops


class Newest:
    """The newest `limit` dates of each group over the shards parsed so far: a file dated
    before the last of them (its group's floor) is not among that group's newest."""

    def __init__(self, wanted: Wanted):
        self.limits: dict[Group, int] = dict(enumerate(spec.limit for spec in wanted.specs))
        self.category_limit = wanted.category_limit or 0
        self.dates: dict[Group, list[datetime]] = {}

    def add(self, tops: dict[Group, list[datetime]]) -> None:
        for group, dates in tops.items():
            limit = self.limits.get(group, self.category_limit)
            self.dates[group] = sorted(self.dates.get(group, []) + dates, reverse=True)[:limit]

    def floors(self) -> dict[Group, datetime]:
        return {
            group: dates[-1]
            for group, dates in self.dates.items()
            if len(dates) >= self.limits.get(group, self.category_limit) > 0
        }


def _newest(items: list[tuple[datetime, int]], limit: int) -> list[tuple[datetime, int]]:
    """The first `limit` of items newest first, and any after them dated as the last of those."""
    if len(items) <= limit:
        return items
    edge = items[limit - 1][0]
    return [item for item in items if item[0] >= edge]


def _run(
    jobs: list[tuple[int, Job]], site: Site, workers: int, progress: Progress | None
) -> list[Done]:
    work = [job for _, job in jobs]
    chunks = [work[i : i + CHUNK] for i in range(0, len(work), CHUNK)]
    results: list[Done] = []
    if len(work) < PARALLEL_FROM or workers < 2:
        with prefetching([path for path, _, _ in work]):
            return _collect((parse_chunk(chunk, site) for chunk in chunks), results, len(work), progress)
    with forked_pool(workers) as pool:
        done = pool.map(parse_chunk, chunks, [site] * len(chunks))  # the workers are forked here
        with prefetching([path for path, _, _ in work]):
            return _collect(done, results, len(work), progress)


@contextmanager
def prefetching(paths: list[str]) -> Iterator[None]:
    """While the block runs, a thread asks the kernel to read `paths` into the page cache
    (`posix_fadvise` WILLNEED: it returns at once, and the disk gets every read at once instead of
    one at a time as the workers reach each file). After a reboot, or with the page cache
    dropped, reading 10,000 files one by one took 0.8 s, and 0.15 s this way."""
    advise = getattr(os, "posix_fadvise", None)
    stop = threading.Event()
    thread = threading.Thread(target=_advise, args=(paths, advise, stop), daemon=True) if advise else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread:
            thread.join()


def _advise(paths: list[str], advise: Callable, stop: threading.Event) -> None:
    for path in paths:
        if stop.is_set():
            return
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError:
            continue  # reading it will say why
        try:
            advise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
        except OSError:
            pass
        finally:
            os.close(fd)


def _collect(chunks, results: list, total: int, progress: Progress | None) -> list:
    for chunk in chunks:
        results += chunk
        if progress:
            progress("parsing", len(results), total)
    return results


def parse_chunk(jobs: list[Job], site: Site) -> list[Done]:
    """`parse_one` of each job."""
    return [parse_one(path, shown, site, known) for path, shown, known in jobs]


def parse_one(path: str, shown: str, site: Site, known: bytes | None) -> Done:
    """(digest, parsed, identity): parsed is None when the bytes are the ones the cache knows
    (`known`); digest and identity (as the file was opened) are None when it could not be read."""
    try:
        data, identity = read_seen(
            path, MAX_FILE_BYTES, "a bookmark file", "keep long notes elsewhere and link to them"
        )
    except ValueProblem as exc:
        return None, Parsed(None, (), [exc.at(shown)]), None
    digest = content_digest(data)
    if digest == known:
        return digest, None, identity
    return digest, parse_bytes(data, shown, site), identity


def parse_bytes(data: bytes, shown: str, site: Site) -> Parsed:
    """One file's bytes into a `Parsed` (a decoding problem, control characters reported)."""
    try:
        text = decode_text(data)
    except ValueProblem as exc:
        return Parsed(None, (), [exc.at(shown)])
    cleaned = clean_text(text)
    parsed = parse_bookmark(cleaned, shown, site)
    removed = len(text) - len(cleaned)
    if not removed:
        return parsed
    problem = Problem(
        shown,
        f"{removed} control character(s) removed",
        hint="they cannot appear in a feed",
        severity="warning",
    )
    return parsed._replace(problems=[*parsed.problems, problem])
