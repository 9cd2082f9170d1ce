"""Advisory file locks in the state folder, so that two linkletter processes (a `run` and a cron
`send`, two overlapping builds) never send or write the same thing at once."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_HELD: set[int] = set()  # descriptors of the locks this process holds


class Busy(Exception):
    """Another process holds the lock."""


@contextmanager
def holding(path: Path, wait: bool) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if needed); without `wait`, raise Busy at once
    if another process holds it. The lock goes with the process, even after kill -9: a forked
    child (a pool's worker, the pages' child) closes its copy of the descriptor at once, so it
    does not hold the lock on after this process is gone."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise Busy(str(path)) from None
        _HELD.add(handle.fileno())
        try:
            yield
        finally:
            _HELD.discard(handle.fileno())
            fcntl.flock(handle, fcntl.LOCK_UN)


def _forget_in_child() -> None:
    """In a forked child: let go of the lock descriptors' copies, pointing them at /dev/null
    instead (letting go, unlike LOCK_UN, leaves the lock to the parent; the numbers stay valid
    for the file objects that still name them)."""
    if not _HELD:
        return
    try:
        null = os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return
    for fd in _HELD:
        try:
            os.dup2(null, fd)
        except OSError:
            pass
    os.close(null)
    _HELD.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
