"""Process pools for work on every core (parsing, rendering bodies, rendering feeds)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def forked_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A process pool whose workers fork (Linux's default: they start at once, with everything
    this process imported and holds) while this process's objects are frozen (`gc.freeze`), so
    a collection in a worker leaves them alone instead of writing to, and so copying, every page
    that holds one: after a build had loaded 10,000 bookmarks, that cost the feed workers more
    CPU time than rendering the feeds."""
    gc.freeze()
    try:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    finally:
        gc.unfreeze()
