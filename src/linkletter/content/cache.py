"""The parse cache: each bookmark file's finished parse (`bookmark.Parsed`) kept in the state
folder, so a rebuild reads and parses only the files that changed.

- A file is known by its identity (size, mtime_ns, inode) under its path; when the identity
  changed (a touched or copied file) its bytes are hashed, and the same SHA-256 reuses the result.
  A file modified within RACY_NS of the cache being written is always hashed (its mtime may not
  have ticked).
- Nothing that depends on the clock is stored: `Parsed` keeps an image's expiry apart, and
  future dates are decided after loading.
- The cache names what it was made by (`tag`: linkletter's version, its own source code and the
  settings parsing depends on). A cache with another tag, or one that cannot be read, is a note
  and is rebuilt; it is never trusted blindly.
- Bodies rendered for feeds are remembered too (`memo`, see `finish`), only those still shown,
  in a file of their own, written only when the set of bodies changed.
- Each file's `merge.Light` (what merging and planning need, without the text) is kept too,
  in `rows`, read whole by a full plan (a rebuild from the plan snapshot reads the shards of the
  files it looks at); the full parses are read one shard at a time, only when
  a file changed or its bookmark is shown and not among the `hot` ones (the files of the
  bookmarks shown last time, kept in a file of their own, each entry pickled apart: a rebuild
  unpickles only those of the feeds it renders again).

Stored as pickle (protocol 5) in SHARDS files of full parses and SHARDS files of rows, so an edit
rewrites one of each, not all of them. The header, written last, names every file's identity as
written: a cache missing a file or holding one changed since is not used. The state folder is
the user's own (as the send ledger is); pickle is read from nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
import zlib
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import NOTE, WARNING, Problem
from ..values.files import file_identity
from .bookmark import Parsed
from .merge import Light

if TYPE_CHECKING:
    from .finish import Finished

FORMAT = 4
SHARDS = 64
RACY_NS = 2_000_000_000
Identity = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode (ctime: a reset mtime still shows)
Row = tuple[Identity, bytes, Light]  # a file's identity, the SHA-256 of its bytes, its light values
Packed = tuple[Identity, bytes, bytes]  # a hot entry: its identity and digest, the `Entry` pickled


@dataclass
class Entry:
    identity: Identity
    digest: bytes  # SHA-256 of the file's bytes
    parsed: Parsed


@dataclass
class ParseCache:
    folder: Path | None  # None: no cache (--no-cache), nothing is read or written
    tag: str
    entries: dict[str, Entry] = field(default_factory=dict)  # of the shards in `loaded`
    memo: Memo = field(default_factory=lambda: Memo({}))
    memo_read: set[str] = field(default_factory=set)  # the memo's keys as stored (memo.pickle)
    saved_ns: int = 0
    started_ns: int = 0  # when the build began listing files: the racy window is counted from there
    dirty: set[int] = field(default_factory=set)  # shards to write
    seen: set[str] = field(default_factory=set)  # the files listed now; the others are dropped
    rows: dict[str, Row] = field(default_factory=dict)
    shard_rows: dict[int, dict[str, Row]] = field(default_factory=dict)  # the same rows by shard
    hot_packed: dict[str, Packed] = field(default_factory=dict)  # `hot_base` with the newer ones over it
    hot_base: dict[str, Packed] = field(default_factory=dict)  # as in hot.pickle
    hot: dict[str, Entry] = field(default_factory=dict)  # the hot entries unpickled so far
    loaded: set[int] = field(default_factory=lambda: set(range(SHARDS)))  # none stored: all "loaded"
    rows_loaded: set[int] = field(default_factory=lambda: set(range(SHARDS)))  # of `rows`, likewise
    files: dict[str, list[int]] = field(default_factory=dict)  # file name -> identity as written

    def empty(self) -> bool:
        """Nothing stored (a first build, another tag, --no-cache)."""
        return not self.entries and not self.rows and len(self.loaded) == SHARDS

    def known(self, relpath: str, identity: Identity) -> Parsed | None:
        """The stored result if the file's identity is unchanged (and not racy)."""
        self.seen.add(relpath)
        entry = self._entry(relpath)
        if entry is None or entry.identity != identity or identity[1] >= self.saved_ns - RACY_NS:
            return None
        return entry.parsed

    def lights(
        self, files: list[tuple[str, str, Identity | None]]
    ) -> tuple[list[tuple[str, Light | None]], list[int]]:
        """(shown path, light) of each listed (path, shown path, identity), the light None where
        the file changed; and the positions of those. One pass: it runs over every file."""
        if len(files) > SHARDS:
            self.load_rows()
        get = self.rows.get if len(files) > SHARDS else self.row
        racy = self.saved_ns - RACY_NS
        found: list[tuple[str, Light | None]] = []
        missed: list[int] = []
        for _, relpath, identity in files:
            row = get(relpath)
            if row is not None and row[0] == identity and identity[1] < racy:
                found.append((relpath, row[2]))
            else:
                missed.append(len(found))
                found.append((relpath, None))
        return found, missed

    def row(self, relpath: str) -> Row | None:
        """A file's stored row (its shard of rows read when first needed)."""
        shard = shard_of(relpath)
        if shard not in self.rows_loaded:
            self._load_rows(shard)
        return self.rows.get(relpath)

    def load_rows(self) -> None:
        for shard in range(SHARDS):
            if shard not in self.rows_loaded:
                self._load_rows(shard)

    def _load_rows(self, shard: int) -> None:
        assert self.folder is not None
        self.rows_loaded.add(shard)
        try:
            rows = _read(self.folder / f"{shard:02d}.rows.pickle")
            if not isinstance(rows, dict):
                raise ValueError("not a shard")
        except Exception:  # noqa: BLE001 - checked when opened; changed since: parse its files again
            rows = {}
            self.dirty.add(shard)
        self.rows.update(rows)
        self.shard_rows[shard] = rows

    def hot_entry(self, relpath: str, identity: Identity | None) -> Entry | None:
        """A listed file's parse when the cache holds it for the file's identity now (and not
        racy): its hot entry, without reading its shard of rows, else `current`'s. None when the
        cache's is of other bytes (a cache older than what the caller knows of the file)."""
        entry = self._hot(relpath) if self.hot_record(relpath, identity) else None
        if entry is not None:
            return entry
        entry = self.current(relpath)
        return entry if entry is not None and entry.identity == identity else None

    def hot_record(self, relpath: str, identity: Identity | None) -> Packed | None:
        """The file's hot entry, still pickled, if it is of the file's identity now (not racy)."""
        record = self.hot_packed.get(relpath)
        if record is None or record[0] != identity or record[0][1] >= self.saved_ns - RACY_NS:
            return None
        return record

    def _hot(self, relpath: str) -> Entry | None:
        """The file's hot entry, unpickled when first asked for (None: none, or damaged)."""
        entry = self.hot.get(relpath)
        record = self.hot_packed.get(relpath)
        if entry is None and record is not None:
            try:
                entry = pickle.loads(record[2])
            except Exception:  # noqa: BLE001 - damaged since the header was checked: read the shard
                entry = None
            if not isinstance(entry, Entry) or (entry.identity, entry.digest) != record[:2]:
                return None
            self.hot[relpath] = entry
        return entry

    def packed(self, relpath: str, entry: Entry) -> Packed:
        """The hot record of an entry (the stored one when it was unpickled from it)."""
        record = self.hot_packed.get(relpath)
        if record is not None and self.hot.get(relpath) is entry:
            return record
        return (entry.identity, entry.digest, pickle.dumps(entry, protocol=5))

    def digest(self, relpath: str) -> bytes | None:
        entry = self._entry(relpath)
        return entry.digest if entry else None

    def store(self, relpath: str, identity: Identity, digest: bytes, parsed: Parsed | None = None) -> None:
        """Remember a file's result (None: the stored one, whose bytes were found unchanged)."""
        old = self._entry(relpath)
        if parsed is None:
            assert old is not None
            parsed = old.parsed
        self.entries[relpath] = Entry(identity, digest, parsed)
        self.row(relpath)  # its shard of rows is written with it
        self.dirty.add(shard_of(relpath))

    def remember(self, relpath: str, light: Light) -> None:
        """Keep the light values of a file just stored (`store`)."""
        entry = self.entries.get(relpath)
        row = (entry.identity, entry.digest, light) if entry is not None else None
        if row is not None and self.row(relpath) != row:
            self.rows[relpath] = row
            shard = shard_of(relpath)
            self.shard_rows.setdefault(shard, {})[relpath] = row
            self.dirty.add(shard)

    def parsed(self, relpath: str) -> Parsed | None:
        """The full parse of a listed file, the one its row describes."""
        entry = self.current(relpath)
        return entry.parsed if entry is not None else None

    def current(self, relpath: str) -> Entry | None:
        row = self.row(relpath)
        if row is None:
            return None
        record = self.hot_packed.get(relpath)
        entry = self._hot(relpath) if record is not None and record[1] == row[1] else None
        if entry is None:
            entry = self._entry(relpath)
        return entry if entry is not None and entry.digest == row[1] else None

    def _entry(self, relpath: str) -> Entry | None:
        found = self.entries.get(relpath)  # stored by this build, or its shard is loaded
        if found is None:
            shard = shard_of(relpath)
            if shard not in self.loaded:
                self._load(shard)
                found = self.entries.get(relpath)
        return found

    def _load(self, shard: int) -> None:
        assert self.folder is not None
        self.loaded.add(shard)
        try:
            entries = _read(self.folder / f"{shard:02d}.pickle")
            if not isinstance(entries, dict) or not all(isinstance(e, Entry) for e in entries.values()):
                raise ValueError("not a shard")
        except Exception:  # noqa: BLE001 - checked when opened; changed since: parse its files again
            entries = {}
            if shard not in self.rows_loaded:
                self._load_rows(shard)
            for relpath in self.shard_rows.pop(shard, {}):
                del self.rows[relpath]
            self.shard_rows[shard] = {}
            self.dirty.add(shard)
        for relpath, entry in entries.items():  # one stored by this build is newer
            self.entries.setdefault(relpath, entry)


class Memo(MutableMapping[str, "Finished"]):
    """Finished bodies by `finish.finish_key`. Those read from the cache stay pickled, each
    apart, until one is asked for: a rebuild renders a few feeds of the 4,561 a site may have."""

    def __init__(self, stored: dict[str, bytes]):
        self.stored = stored
        self.unpacked: dict[str, Finished] = {}

    def __contains__(self, key: object) -> bool:
        if key in self.unpacked:
            return True
        if key not in self.stored:
            return False
        assert isinstance(key, str)
        try:
            value = pickle.loads(self.stored[key])
        except Exception:  # noqa: BLE001 - damaged since the header was checked: rendered again
            value = None
        if type(value) is not tuple or len(value) != 4:
            del self.stored[key]
            return False
        self.unpacked[key] = value
        return True

    def __getitem__(self, key: str) -> Finished:
        if key not in self:
            raise KeyError(key)
        return self.unpacked[key]

    def __setitem__(self, key: str, value: Finished) -> None:
        self.unpacked[key] = value
        self.stored.pop(key, None)

    def __delitem__(self, key: str) -> None:
        if key not in self.unpacked and key not in self.stored:
            raise KeyError(key)
        self.unpacked.pop(key, None)
        self.stored.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.stored.keys() | self.unpacked.keys())

    def __len__(self) -> int:
        return len(self.stored.keys() | self.unpacked.keys())

    def holds(self, key: str) -> bool:
        """Whether the memo has `key`, without reading its value."""
        return key in self.unpacked or key in self.stored

    def pickled(self, key: str) -> bytes:
        """The value of `key` as stored (pickled again only when it was set)."""
        found = self.stored.get(key)
        return found if found is not None else pickle.dumps(self.unpacked[key], protocol=5)


def shard_of(relpath: str) -> int:
    return zlib.crc32(relpath.encode("utf-8", "surrogateescape")) % SHARDS


def content_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def cache_folder(state_dir: Path) -> Path:
    return state_dir / "parse-cache"


def load_cache(folder: Path | None, tag: str) -> tuple[ParseCache, list[Problem]]:
    """The cache in `folder` made with `tag` (its hot entries and memo; shards of rows and of
    parses are read when needed); an empty one (and a note) when it is missing a file, was made
    otherwise or cannot be read."""
    cache = ParseCache(folder, tag)
    if folder is None or not (folder / "header.pickle").exists():
        cache.dirty = set(range(SHARDS))
        return cache, []
    try:
        header = _read(folder / "header.pickle")
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("tag") != tag:
            return _fresh(folder, tag, "was made by another version or other settings; parsing every file")
        if any(file_identity(folder / name) != tuple(mark) for name, mark in header["files"].items()):
            raise ValueError("a file changed since the cache was written")
        cache.saved_ns, cache.files = int(header["saved_ns"]), dict(header["files"])
        stored = _read(folder / "memo.pickle") if "memo.pickle" in cache.files else {}
        if type(stored) is not dict or set(map(type, stored.values())) - {bytes}:  # each checked when read
            raise ValueError("not the memo")
        cache.memo, cache.memo_read = Memo(stored), set(stored)
        cache.hot_base = _read(folder / "hot.pickle")
        newer = _read(folder / "hot-newer.pickle") if "hot-newer.pickle" in cache.files else {}
        cache.hot_packed = {**cache.hot_base, **newer}
        records = cache.hot_packed.values()
        if set(map(type, records)) - {tuple} or set(map(len, records)) - {3}:  # each entry checked when read
            raise ValueError("not the hot entries")
    except Exception:  # noqa: BLE001 - any damage means: start afresh
        return _fresh(folder, tag, "cannot be read (damaged?); parsing every file and writing it anew")
    cache.loaded, cache.rows_loaded = set(), set()
    return cache, []


def _fresh(folder: Path, tag: str, why: str) -> tuple[ParseCache, list[Problem]]:
    cache = ParseCache(folder, tag, dirty=set(range(SHARDS)))
    return cache, [Problem(folder.name, f"the parse cache {why}", severity=NOTE)]


def _read(path: Path):
    with path.open("rb") as handle:
        return pickle.load(handle)


def save_cache(
    cache: ParseCache,
    memo_keys: set[str],
    hot: dict[str, Entry] | None = None,
    keep_hot: bool = False,
) -> list[Problem]:
    """Write the shards that changed, the hot entries (`hot`: the shown files' current ones;
    with `keep_hot`, the other hot entries of files still listed stay: the files of the feeds a
    rebuild left as they were), then the header (which names the time it was written and every file's identity). Files no longer
    seen are dropped; the memo keeps the bodies in `memo_keys` only. A cache that cannot be
    written is a warning: the next build parses every file."""
    if cache.folder is None:
        return []
    try:
        _save(cache, memo_keys, hot or {}, keep_hot)
    except OSError as exc:
        return [
            Problem(
                cache.folder.name,
                f"the parse cache cannot be written: {exc.strerror or exc}",
                hint="the next build parses every file again; free space in the state folder",
                severity=WARNING,
            )
        ]
    return []


def _save(cache: ParseCache, memo_keys: set[str], hot_entries: dict[str, Entry], keep_hot: bool) -> None:
    assert cache.folder is not None
    for shard in sorted(cache.dirty - cache.rows_loaded):
        cache._load_rows(shard)
    for relpath in [p for p in cache.rows if p not in cache.seen]:
        del cache.rows[relpath]
        shard = shard_of(relpath)
        del cache.shard_rows[shard][relpath]
        cache.dirty.add(shard)
    for shard in cache.dirty - cache.loaded:
        cache._load(shard)
    for relpath in [p for p in cache.entries if p not in cache.seen]:
        del cache.entries[relpath]
        cache.dirty.add(shard_of(relpath))
    records = {p: r for p, r in cache.hot_packed.items() if p in cache.seen} if keep_hot else {}
    records |= {p: cache.packed(p, e) for p, e in hot_entries.items()}
    hot = {p: records[p] for p in sorted(records)}
    memo = {k: cache.memo.pickled(k) for k in memo_keys if cache.memo.holds(k)}
    same_hot = all(cache.hot_packed.get(p) is r for p, r in hot.items())  # one not shown now may stay
    same_memo = memo.keys() == cache.memo_read and "memo.pickle" in cache.files
    if not cache.dirty and same_memo and same_hot:
        return
    cache.folder.mkdir(parents=True, exist_ok=True)
    header = cache.folder / "header.pickle"
    header.unlink(missing_ok=True)  # a half-updated cache is never read as whole
    entries = _by_shard(cache.entries, cache.dirty)
    for shard in sorted(cache.dirty):
        rows = cache.shard_rows.get(shard, {})
        for name, items in ((f"{shard:02d}.pickle", entries[shard]), (f"{shard:02d}.rows.pickle", rows)):
            write_pickle(cache.folder / name, items)
            cache.files[name] = _identity(cache.folder / name)
    if not same_hot or "hot.pickle" not in cache.files:
        _save_hot(cache, hot)
    if not same_memo:  # its own file: 6 MB of bodies at 4,561 feeds, seldom changed by a rebuild
        write_pickle(cache.folder / "memo.pickle", memo)
        cache.files["memo.pickle"] = _identity(cache.folder / "memo.pickle")
        cache.memo_read = set(memo)
    saved = min(time.time_ns(), cache.started_ns or time.time_ns())
    write_pickle(header, {"format": FORMAT, "tag": cache.tag, "saved_ns": saved, "files": cache.files})
    cache.dirty.clear()
    cache.hot_packed, cache.hot = hot, dict(hot_entries)


def _save_hot(cache: ParseCache, hot: dict[str, Packed]) -> None:
    """The hot entries: when few changed, only those are written (`hot-newer.pickle`, beside the
    unchanged `hot.pickle`: a site of 4,561 feeds shows 6,600 bookmarks); else all of them. An
    entry no longer shown may stay in `hot.pickle`: each is checked before it is used."""
    assert cache.folder is not None
    newer = {p: e for p, e in hot.items() if cache.hot_base.get(p) is not e}
    if "hot.pickle" not in cache.files or len(newer) * 8 > len(hot):
        write_pickle(cache.folder / "hot.pickle", hot)
        cache.files["hot.pickle"] = _identity(cache.folder / "hot.pickle")
        cache.hot_base, newer = hot, {}
    write_pickle(cache.folder / "hot-newer.pickle", newer)
    cache.files["hot-newer.pickle"] = _identity(cache.folder / "hot-newer.pickle")


def _by_shard(items: dict, shards: set[int]) -> dict[int, dict]:
    found: dict[int, dict] = {shard: {} for shard in shards}
    for relpath, value in items.items():
        shard = shard_of(relpath)
        if shard in found:
            found[shard][relpath] = value
    return found


def _identity(path: Path) -> list[int]:
    found = file_identity(path)
    if found is None:
        raise OSError(f"{path.name} vanished while the cache was written")
    return list(found)


def read_kept(path: Path, kind: type, form: int, key: str):
    """What `write_kept` kept at `path`: a `kind` with this `format` and `key`, else None (a
    missing, damaged or foreign file: the caller does the work in full). The head is read
    first: a state made from other inputs is not loaded."""
    try:
        with path.open("rb") as handle:
            if pickle.load(handle) != (kind.__name__, form, key):
                return None
            value = pickle.load(handle)
    except Exception:  # noqa: BLE001 - missing or damaged
        return None
    if not isinstance(value, kind) or getattr(value, "format", None) != form or getattr(value, "key", None) != key:
        return None
    return value


def write_kept(path: Path, value) -> None:
    """`value` (with a `format` and a `key`) kept at `path` for `read_kept`, behind a small head."""
    write_pickle(path, (type(value).__name__, value.format, value.key), value)


def write_pickle_parts(path: Path, head: object, pickled: bytes, tail: object) -> None:
    """`head`, then a value already pickled, then `tail`, into `path` as three pickles, atomically."""
    fd, temp = tempfile.mkstemp(prefix=".linkletter-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(head, handle, protocol=5)
            handle.write(pickled)
            pickle.dump(tail, handle, protocol=5)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_pickle(path: Path, *values: object) -> None:
    """`values` pickled one after the other into `path` atomically (a temporary file renamed over
    it; removed on failure)."""
    fd, temp = tempfile.mkstemp(prefix=".linkletter-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            for value in values:
                pickle.dump(value, handle, protocol=5)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
