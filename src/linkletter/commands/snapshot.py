"""What a full plan worked out (`lights.plan_lights`), kept in the state folder so the next build
re-plans only the files that changed since (`delta`): every file's identity, link id and
category spellings as listed then; each file's problems at that `now`; every merged bookmark,
newest first, in columns (plain lists load many times faster than a list of tuples); the
spellings counted per category and the catalog made of them; how many published bookmarks each
category has; and each feed's spec and chosen bookmarks.

A snapshot is used only by a build with the same `key` (linkletter's code, the settings with the
recorded namespace, the published issues' bookmarks) and a clock not behind the snapshot's. It
is not updated by the builds that use it: each re-plans from it everything changed since, and a
build with too much changed plans in full and keeps a new one."""

from __future__ import annotations

import hashlib
import pickle
import threading
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.cache import Identity, write_pickle_parts
from ..content.merge import Light, Merged, Spellings
from ..errors import Problem
from ..model import Category, Config, FeedSpec
from .incremental import code_tag, effective

if TYPE_CHECKING:
    from ..content.load import Scan

FORMAT = 3
NAME = "plan-snapshot.pickle"


@dataclass
class Columns:
    """Merged bookmarks newest first (`select.newest_first`), one list per field."""

    ids: list[str]
    stamps: array  # each date's timestamp, for ordering
    links: list[str]
    dates: list[datetime]
    categories: list[tuple[Category, ...]]
    sources: list[str]
    also_in: list[tuple[str, ...]]
    newest: list[str]

    @classmethod
    def of(cls, ordered: Sequence[Merged]) -> Columns:
        return cls(
            [m.id for m in ordered],
            array("d", [m.date.timestamp() for m in ordered]),
            [m.link for m in ordered],
            [m.date for m in ordered],
            [m.categories for m in ordered],
            [m.source for m in ordered],
            [m.also_in for m in ordered],
            [m.newest for m in ordered],
        )

    def __len__(self) -> int:
        return len(self.ids)

    def merged(self, i: int) -> Merged:
        return Merged(
            self.ids[i],
            self.links[i],
            self.dates[i],
            self.categories[i],
            self.sources[i],
            self.also_in[i],
            self.newest[i],
        )

    def rank(self, i: int) -> tuple[float, str, str]:
        return (-self.stamps[i], self.links[i], self.ids[i])

    def remove(self, i: int) -> None:
        for column in self._all():
            del column[i]

    def insert(self, m: Merged) -> None:
        """`m` in its place: newest first, equal dates by link, then id."""
        stamp = m.date.timestamp()
        at = bisect_left(range(len(self)), (-stamp, m.link, m.id), key=self.rank)
        values = (m.id, stamp, m.link, m.date, m.categories, m.source, m.also_in, m.newest)
        for column, value in zip(self._all(), values, strict=True):
            column.insert(at, value)

    def _all(self) -> tuple:
        return (
            self.ids,
            self.stamps,
            self.links,
            self.dates,
            self.categories,
            self.sources,
            self.also_in,
            self.newest,
        )


@dataclass
class Snapshot:
    format: int
    key: str
    now: datetime
    saved_ns: int
    files: list[str]  # every listed file, in listing order
    identities: list[Identity | None]  # each file's, as listed
    link_ids: list[str | None]  # each file's light id
    spellings: list[Spellings]  # each file's category spellings
    problems: dict[str, tuple[Problem, ...]]  # each file's problems at `now`, the files with any
    expiries: dict[str, datetime]  # each signed image's expiry after `now`, by file
    columns: Columns  # every merged bookmark
    counts: dict[str, dict[str, int]]  # category key -> how often each spelling is used
    catalog: dict[str, Category]
    bases: dict[str, str]  # category key -> its `categories.base_slug` (4,560 tags: 0.015 s to make)
    published: dict[str, int]  # category key -> its bookmarks dated up to `now`
    folders: dict[str, int]  # `guard.content_folders`
    feeds: dict[str, tuple[FeedSpec, tuple[str, ...]]]  # feed path -> its spec and chosen ids
    prints: dict[str, str]  # feed path -> the fingerprint its files were written with, by that build


def snapshot_key(config: Config, issue_ids: Iterable[str]) -> str:
    """What a plan depends on besides the content and the clock."""
    digest = hashlib.sha256(f"{code_tag()}\0{effective(config)!r}\0".encode("utf-8", "surrogatepass"))
    digest.update("\0".join(sorted(issue_ids)).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def take_snapshot(
    key: str,
    now: datetime,
    scan: Scan,
    rows: Sequence[tuple[str, Light]],
    problems: dict[str, tuple[Problem, ...]],
    expiries: dict[str, datetime],
    ordered: Sequence[Merged],
    counts: dict[str, dict[str, int]],
    catalog: dict[str, Category],
    bases: dict[str, str],
    choices: Sequence[tuple[FeedSpec, Sequence[Merged]]],
    folders: dict[str, int],
) -> Snapshot:
    published = Counter(c.key for m in ordered if m.date <= now for c in m.categories)
    return Snapshot(
        FORMAT,
        key,
        now,
        0,
        [shown for _, shown, _ in scan.files],
        [identity for _, _, identity in scan.files],
        [light.id for _, light in rows],
        [light.spellings for _, light in rows],
        problems,
        expiries,
        Columns.of(ordered),
        counts,
        catalog,
        bases,
        dict(published),
        folders,
        {f"{spec.folder}/{spec.slug}": (spec, tuple(m.id for m in chosen)) for spec, chosen in choices},
        {},
    )


def snapshot_path(config: Config) -> Path:
    return config.build.state_dir / NAME


def load_snapshot(config: Config, key: str) -> Snapshot | None:
    """The kept snapshot if it was made with `key` (`save_snapshot`'s three pickles)."""
    try:
        with snapshot_path(config).open("rb") as handle:
            if pickle.load(handle) != ("Snapshot", FORMAT, key):
                return None
            snapshot, prints = pickle.load(handle), pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing or damaged: the build plans in full
        return None
    if not isinstance(snapshot, Snapshot) or snapshot.key != key or type(prints) is not dict:
        return None
    snapshot.prints = prints
    return snapshot


class Pickling:
    """A snapshot pickled by a thread while the build writes the site (it waits on its workers
    and on the disk there: at 100,000 bookmarks the 31 MB took 0.4 s on their own). The
    snapshot must not change meanwhile; the feeds' fingerprints, known only once they are
    written, are kept beside it (`save_snapshot`)."""

    def __init__(self, snapshot: Snapshot, started_ns: int):
        snapshot.saved_ns = started_ns  # a file modified since was perhaps read before it changed
        self.key = snapshot.key
        self.data: bytes | None = None
        self.thread = threading.Thread(target=self._pickle, args=(snapshot,), daemon=True)
        self.thread.start()

    def _pickle(self, snapshot: Snapshot) -> None:
        with suppress(Exception):  # none kept: the next build plans in full
            self.data = pickle.dumps(snapshot, protocol=5)

    def result(self) -> bytes | None:
        self.thread.join()
        return self.data


def save_snapshot(config: Config, pickling: Pickling, prints: dict[str, str]) -> None:
    """Best effort: without it the next build plans in full. `prints`: the fingerprint each
    feed's files were written with."""
    data = pickling.result()
    try:
        if data is None:
            raise OSError("not pickled")
        write_pickle_parts(snapshot_path(config), ("Snapshot", FORMAT, pickling.key), data, prints)
    except OSError:
        with suppress(OSError):  # an older snapshot must not outlive the plan that replaced it
            snapshot_path(config).unlink(missing_ok=True)
