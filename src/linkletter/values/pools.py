"""Process pools for work on every core (parsing, rendering bodies, rendering feeds)."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

WATCH_SECONDS = 0.5


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers fork (Linux's default: they start at once, with everything
    this process imported and holds) while this process's objects are frozen (`gc.freeze`), so
    a collection in a worker leaves them alone instead of writing to, and so copying, every page
    that holds one: after a build had loaded 10,000 bookmarks, that cost the feed workers more
    CPU time than rendering the feeds. A worker ends when this process is gone (`kill -9` gives
    it no chance to end them; they would wait for work forever)."""
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers, initializer=_end_with, initargs=(os.getpid(),)) as pool:
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
