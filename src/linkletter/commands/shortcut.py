"""The whole-build short-cut: a rebuild whose inputs are exactly those of the last complete build
returns that build's result without reading a bookmark or touching dist/.

The inputs are: linkletter's code, the settings (after the recorded id namespace), `--allow-shrink`,
every content file's identity (path, size, mtime_ns, inode) and what the walk reported, the
templates folder, the ledger and the stored issue pages, the manifest, and every file the build
wrote (still the same identity in dist/). The clock is an input too: the short-cut holds only
from the last build's `now` up to the next moment that changes a selection or a message (a
future-dated bookmark's date, the far-future warning's edge, a signed image's expiry, a feed's
max_age edge). A file modified within RACY_NS of the state being written is not trusted by
identity, so the short-cut is not taken."""

from __future__ import annotations

import hashlib
import os
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..content.cache import RACY_NS, read_kept, write_kept
from ..errors import Problem
from ..model import Config
from ..values.files import file_identity
from .incremental import code_tag, effective

STATE_NAME = "build-state.pickle"
FAR_FUTURE = timedelta(days=31)  # a bookmark dated further ahead is warned of (a typo in the year?)
FORMAT = 2
Listed = tuple[str, str, tuple[int, int, int, int] | None]  # path, shown path, identity (`load.Scan`)
_UNSEEN = (-1, -1, -1, -1)


@dataclass
class BuildState:
    format: int
    key: str
    valid_from: datetime
    valid_until: datetime | None
    saved_ns: int
    outputs: dict[str, list[int]]
    counts: tuple[int, int]  # bookmarks, feeds
    problems: list[Problem]


def state_path(config: Config) -> Path:
    return config.build.state_dir / STATE_NAME


def listing_digest(listing: Sequence[Listed]) -> bytes:
    """A digest of every content file's shown path and identity."""
    digest = hashlib.sha256("\0".join(shown for _, shown, _ in listing).encode("utf-8", "surrogatepass"))
    digest.update(array("q", [n for _, _, identity in listing for n in (identity or _UNSEEN)]).tobytes())
    return digest.digest()


def inputs_key(
    config: Config, allow_shrink: bool, listing: bytes, walk: list[Problem], watched: list[str]
) -> str:
    """A digest of everything a build reads besides the clock (`listing`: `listing_digest`;
    `watched`: `watched_files` as taken when the build began)."""
    digest = hashlib.sha256(
        f"{code_tag()}\0{effective(config)!r}\0{allow_shrink}\0{walk!r}".encode("utf-8", "surrogatepass")
    )
    digest.update(listing)
    for line in watched:
        digest.update(line.encode("utf-8", "surrogatepass"))
    manifest = config.build.state_dir / "dist-manifest.json"
    digest.update(f"{manifest}\0{file_identity(manifest)}\n".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def watched_files(config: Config) -> list[str]:
    """The identities of the ledger, the stored issue pages and the templates. A build takes
    them when it begins: a `digest --publish` meanwhile (it does not wait for the build lock)
    must make the next build look again, not be taken as what this one built from."""
    state = config.build.state_dir
    extra = [state / "ledger.sqlite", state / "ledger.sqlite-wal"]
    extra += sorted((state / "issues").glob("*")) + sorted(_files_below(config.build.templates_dir))
    return [f"{path}\0{file_identity(path)}\n" for path in extra]


def _files_below(folder: Path) -> list[Path]:
    return [Path(d) / n for d, _, names in os.walk(folder) for n in names] if folder.is_dir() else []


def usable_state(config: Config, key: str, now: datetime, listing: Sequence[Listed]) -> BuildState | None:
    """The last build's state if this build would do exactly what it did."""
    state = read_kept(state_path(config), BuildState, FORMAT, key)
    if state is None:
        return None
    if now < state.valid_from or (state.valid_until is not None and now >= state.valid_until):
        return None
    racy = state.saved_ns - RACY_NS
    if any(identity is None or identity[1] >= racy for _, _, identity in listing):
        return None
    root = config.build.output_dir
    for relpath, identity in state.outputs.items():
        found = file_identity(root / relpath)
        if found is None or list(found) != identity:  # linkletter renames into place: a new inode
            return None
    return state


def forget_state(config: Config) -> None:
    state_path(config).unlink(missing_ok=True)


def save_state(config: Config, state: BuildState) -> None:
    """Best effort: without it the next build is a full one."""
    path = state_path(config)
    try:
        write_kept(path, state)
    except OSError:
        return


def next_change(
    config: Config, dates: Sequence[datetime], expiries: Sequence[datetime], now: datetime, far: timedelta
) -> datetime | None:
    """The first moment after `now` at which the same content could give another build (`dates`:
    every bookmark's, or at least those after now and from the longest max age before it): a
    bookmark's date, the far-future warning's edge before it, a signed image's expiry, the end
    of a feed's max age for a bookmark."""
    later = [d for d in dates if d > now]
    moments = [e for e in expiries if e > now] + later + [d - far for d in later if d > now + far]
    for days in {spec.max_age_days for spec in config.feeds if spec.max_age_days is not None}:
        age = timedelta(days=days)  # a feed keeps a bookmark while its date >= now - age
        moments += [d + age + TICK for d in dates if d >= now - age]
    return min(moments, default=None)


TICK = timedelta(microseconds=1)  # the first moment after another one


def new_state(
    key: str,
    now: datetime,
    until: datetime | None,
    outputs: dict[str, list[int]],
    counts: tuple[int, int],
    problems: list[Problem],
) -> BuildState:
    return BuildState(FORMAT, key, now, until, time.time_ns(), outputs, counts, problems)
