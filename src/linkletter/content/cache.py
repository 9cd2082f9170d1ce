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
- Bodies rendered for feeds are remembered too (`memo`, see `finish`), only those still shown.

Stored as pickle (protocol 5) in SHARDS files, so an edit rewrites one shard, not all of them.
The state folder is the user's own (as the send ledger is); pickle is read from nowhere else.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import NOTE, WARNING, Problem
from typing import TYPE_CHECKING

from .bookmark import Parsed

if TYPE_CHECKING:
    from .finish import Finished

FORMAT = 2
SHARDS = 32
RACY_NS = 2_000_000_000
Identity = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode (ctime: a reset mtime still shows)


@dataclass
class Entry:
    identity: Identity
    digest: bytes  # SHA-256 of the file's bytes
    parsed: Parsed


@dataclass
class ParseCache:
    folder: Path | None  # None: no cache (--no-cache), nothing is read or written
    tag: str
    entries: dict[str, Entry] = field(default_factory=dict)
    memo: dict[str, Finished] = field(default_factory=dict)
    saved_ns: int = 0
    dirty: set[int] = field(default_factory=set)  # shards to write
    seen: set[str] = field(default_factory=set)

    def known(self, relpath: str, identity: Identity) -> Parsed | None:
        """The stored result if the file's identity is unchanged (and not racy)."""
        self.seen.add(relpath)
        entry = self.entries.get(relpath)
        if entry is None or entry.identity != identity or identity[1] >= self.saved_ns - RACY_NS:
            return None
        return entry.parsed

    def digest(self, relpath: str) -> bytes | None:
        entry = self.entries.get(relpath)
        return entry.digest if entry else None

    def store(self, relpath: str, identity: Identity, digest: bytes, parsed: Parsed | None = None) -> None:
        """Remember a file's result (None: the stored one, whose bytes were found unchanged)."""
        old = self.entries.get(relpath)
        if parsed is None:
            assert old is not None
            parsed = old.parsed
        self.entries[relpath] = Entry(identity, digest, parsed)
        self.dirty.add(shard_of(relpath))


def shard_of(relpath: str) -> int:
    return zlib.crc32(relpath.encode("utf-8", "surrogateescape")) % SHARDS


def content_digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def cache_folder(state_dir: Path) -> Path:
    return state_dir / "parse-cache"


def load_cache(folder: Path | None, tag: str) -> tuple[ParseCache, list[Problem]]:
    """The cache in `folder` made with `tag`; an empty one (and a note) when it is missing a
    shard, was made otherwise or cannot be read."""
    cache = ParseCache(folder, tag)
    if folder is None or not (folder / "header.pickle").exists():
        cache.dirty = set(range(SHARDS))
        return cache, []
    try:
        header = _read(folder / "header.pickle")
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("tag") != tag:
            return _fresh(folder, tag, "was made by another version or other settings; parsing every file")
        cache.saved_ns, cache.memo = int(header["saved_ns"]), dict(header["memo"])
        for shard in range(SHARDS):
            entries = _read(folder / f"{shard:02d}.pickle")
            if not isinstance(entries, dict) or not all(isinstance(e, Entry) for e in entries.values()):
                raise ValueError("not a shard")
            cache.entries.update(entries)
    except Exception:  # noqa: BLE001 - any damage means: start afresh
        return _fresh(folder, tag, "cannot be read (damaged?); parsing every file and writing it anew")
    return cache, []


def _fresh(folder: Path, tag: str, why: str) -> tuple[ParseCache, list[Problem]]:
    cache = ParseCache(folder, tag, dirty=set(range(SHARDS)))
    return cache, [Problem(folder.name, f"the parse cache {why}", severity=NOTE)]


def _read(path: Path):
    with path.open("rb") as handle:
        return pickle.load(handle)


def save_cache(cache: ParseCache, memo_keys: set[str]) -> list[Problem]:
    """Write the shards that changed, then the header (which names the time it was written).
    Files no longer seen are dropped; the memo keeps the bodies in `memo_keys` only. A cache that
    cannot be written is a warning: the next build parses every file."""
    if cache.folder is None:
        return []
    try:
        _save(cache, memo_keys)
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


def _save(cache: ParseCache, memo_keys: set[str]) -> None:
    assert cache.folder is not None
    for relpath in [p for p in cache.entries if p not in cache.seen]:
        del cache.entries[relpath]
        cache.dirty.add(shard_of(relpath))
    memo = {k: v for k, v in cache.memo.items() if k in memo_keys}
    if not cache.dirty and memo.keys() == cache.memo.keys():
        return
    cache.folder.mkdir(parents=True, exist_ok=True)
    shards: dict[int, dict[str, Entry]] = {shard: {} for shard in cache.dirty}
    for relpath, entry in cache.entries.items():
        shard = shard_of(relpath)
        if shard in shards:
            shards[shard][relpath] = entry
    header = cache.folder / "header.pickle"
    header.unlink(missing_ok=True)  # a half-updated cache is never read as whole
    for shard, entries in sorted(shards.items()):
        write_pickle(cache.folder / f"{shard:02d}.pickle", entries)
    saved = time.time_ns()
    write_pickle(header, {"format": FORMAT, "tag": cache.tag, "saved_ns": saved, "memo": memo})
    cache.dirty.clear()


def write_pickle(path: Path, value: object) -> None:
    """`value` pickled into `path` atomically (a temporary file renamed over it; removed on failure)."""
    fd, temp = tempfile.mkstemp(prefix=".linkletter-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=5)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
