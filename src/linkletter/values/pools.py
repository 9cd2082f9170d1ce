"""Process pools for work on every core (parsing, rendering bodies, rendering feeds)."""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Generic, TypeVar

WATCH_SECONDS = 0.5
FORKS = sys.platform == "linux"  # a pool's workers fork (elsewhere they start afresh)
T = TypeVar("T")


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers fork on Linux (asked for: the default only until Python
    3.14), so they start at once, with everything this process imported and holds (elsewhere
    the feeds' workers render whole feeds, see `publish.spliced`). This process's objects are
    frozen meanwhile (`gc.freeze`), so a collection in a worker leaves them alone instead of
    writing to, and so copying, every page that holds one: after a build had loaded 10,000
    bookmarks, that cost the feed workers more CPU time than rendering the feeds. A worker ends
    when this process is gone (`kill -9` gives it no chance to end them; they would wait for
    work forever)."""
    gc.freeze()
    try:
        context = multiprocessing.get_context("fork") if FORKS else None
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_end_with, initargs=(os.getpid(),)
        ) as pool:
            yield pool
    finally:
        gc.unfreeze()


def _end_with(parent: int) -> None:
    """In a worker: a thread that ends the process once `parent` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


class Forked(Generic[T]):
    """`fn(*args)` computed in a forked child while this process goes on; `result()` waits for
    it. Where there is no fork, the fork fails, or the child failed (it reports nothing),
    `result()` computes it here, so an error surfaces as it would have. The child disables its
    collector (a collection would touch, and so copy, every page this process holds), ends
    when this process is gone (as a pool's workers do), and leaves with `os._exit`, flushing
    nothing of this process's. `close()` ends a child whose result is not wanted.

    `waiting`: the child is forked now but waits for the rest of fn's arguments (`give`), so
    it can get ready (`ready()`: imports, say) while this process works out what to give it."""

    def __init__(
        self,
        fn: Callable[..., T],
        *args: object,
        waiting: bool = False,
        ready: Callable[[], object] | None = None,
    ) -> None:
        if ready is not None and not waiting:
            raise ValueError("only a waiting child gets ready")
        self.fn, self.args = fn, args
        self.pid: int | None = None
        self.pipe: int | None = None  # the child's result comes through it
        self.feed: int | None = None  # the rest of the arguments go through it (`waiting`)
        self.more: tuple | None = None if waiting else ()
        self.done: tuple[T] | None = None
        if not hasattr(os, "fork"):
            return
        fds: list[int] = []
        try:
            fds += os.pipe()
            if waiting:
                fds += os.pipe()
            parent = os.getpid()
            pid = os.fork()
        except OSError:  # no descriptors, memory or processes left for a child: done here
            for fd in fds:
                os.close(fd)
            return
        read, write = fds[:2]
        take, give = fds[2:] if waiting else (None, None)
        if pid == 0:  # pragma: no cover (the child's coverage is not collected)
            os.close(read)
            gc.disable()
            try:
                _end_with(parent)
                more: tuple = ()
                if take is not None and give is not None:
                    os.close(give)
                    if ready is not None:
                        ready()
                    more = _receive(take)
                data = pickle.dumps(fn(*args, *more), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
            except BaseException:
                os._exit(1)
            os._exit(0)
        os.close(write)
        if take is not None:
            os.close(take)
        self.pid, self.pipe, self.feed = pid, read, give

    def give(self, *more: object) -> None:
        """The rest of the arguments of a `waiting` child's fn (once)."""
        if self.more is not None:
            raise RuntimeError("arguments are given once, to a waiting child")
        self.more = more
        if self.feed is None:
            return
        try:
            data = pickle.dumps(more, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(self.feed, "wb", closefd=False) as pipe:  # a length first: other
                pipe.write(len(data).to_bytes(8, "little"))  # children may hold this pipe too
                pipe.write(data)
        except Exception:  # noqa: BLE001 - not picklable, or the child is gone: done here
            self.close()
        else:
            os.close(self.feed)
            self.feed = None

    def result(self) -> T:
        if self.done is None:
            self.done = (self._collect(),)
        return self.done[0]

    def _collect(self) -> T:
        if self.more is None:  # the child would wait for them, and this process for the child
            raise RuntimeError("a waiting child's arguments are given before its result is asked for")
        if self.pid is not None and self.pipe is not None:
            pipe, self.pipe = self.pipe, None  # closed by the `with`, even when interrupted
            with os.fdopen(pipe, "rb") as reader:
                data = reader.read()
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            if status == 0:
                return pickle.loads(data)
        return self.fn(*self.args, *self.more)

    def close(self) -> None:
        """Done, with or without the result: a child still working is ended and waited for."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None
        for name in ("pipe", "feed"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)


def _receive(fd: int) -> tuple:
    """In a waiting child: the arguments `Forked.give` sent (a length, then the pickle)."""
    with os.fdopen(fd, "rb") as pipe:
        size = int.from_bytes(_exactly(pipe, 8), "little")
        more = pickle.loads(_exactly(pipe, size))
    if type(more) is not tuple:
        raise TypeError("not the arguments")
    return more


def _exactly(pipe, size: int) -> bytes:
    data = pipe.read(size)
    if len(data) != size:
        raise EOFError("the parent stopped sending")
    return data
