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
    nothing of this process's. `close()` ends a child whose result is not wanted."""

    def __init__(self, fn: Callable[..., T], *args: object) -> None:
        self.fn, self.args = fn, args
        self.pid: int | None = None
        self.pipe: int | None = None
        self.done: tuple[T] | None = None
        if not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        parent = os.getpid()
        try:
            pid = os.fork()
        except OSError:  # no memory or processes left for a child: the work is done here
            os.close(read)
            os.close(write)
            return
        if pid == 0:  # pragma: no cover (the child's coverage is not collected)
            os.close(read)
            gc.disable()
            try:
                _end_with(parent)
                data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(data)
            except BaseException:
                os._exit(1)
            os._exit(0)
        os.close(write)
        self.pid, self.pipe = pid, read

    def result(self) -> T:
        if self.done is None:
            self.done = (self._collect(),)
        return self.done[0]

    def _collect(self) -> T:
        if self.pid is not None and self.pipe is not None:
            pipe, self.pipe = self.pipe, None  # closed by the `with`, even when interrupted
            with os.fdopen(pipe, "rb") as reader:
                data = reader.read()
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            if status == 0:
                return pickle.loads(data)
        return self.fn(*self.args)

    def close(self) -> None:
        """Done, with or without the result: a child still working is ended and waited for."""
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.waitpid(self.pid, 0)
            self.pid = None
        if self.pipe is not None:
            os.close(self.pipe)
            self.pipe = None
