"""A stop request that waits can be interrupted by: set from a signal handler, it wakes every
`wait`, and runs the registered callbacks (e.g. a transport's `abort`, so a send blocked on a
silent server returns at once). Calling the flag tells whether a stop was asked."""

from __future__ import annotations

import threading
from collections.abc import Callable


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []

    def __call__(self) -> bool:
        return self._event.is_set()

    def set(self) -> None:
        self._event.set()
        for callback in list(self._callbacks):
            callback()

    def wait(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stop is asked meanwhile."""
        self._event.wait(max(seconds, 0))

    def on_stop(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` when a stop is asked; returns the function that unregisters it."""
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback) if callback in self._callbacks else None
