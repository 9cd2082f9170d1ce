"""Advisory file locks in the state folder, so that two linkletter processes (a `run` and a cron
`send`, two overlapping builds) never send or write the same thing at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def holding(path: Path, wait: bool) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed); without `wait`, raise Busy at once
    if another process holds it. The lock goes with the process, even after kill -9."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(str(path)) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
