"""Several SMTP connections at once (`smtp.connections`): one thread and one transport per
connection. Only the talking to the server happens in the threads; the send loop (delivery.py)
decides, and writes the ledger, in one thread. With one connection there is no thread: a
message is sent when it is submitted.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from ..errors import Problem, UserError
from .transport import ConnectionFailure, DeliveryError, FatalSendError, Transport

if TYPE_CHECKING:
    from .delivery import Pacing, SendReport


class Lanes:
    """`width` transports; `submit(send)` runs `send(transport)` on a free one."""

    def __init__(self, transports: Sequence[Transport]):
        self.transports = list(transports)
        self.free: queue.SimpleQueue[Transport] = queue.SimpleQueue()
        for transport in self.transports:
            self.free.put(transport)
        self.pool = ThreadPoolExecutor(len(self.transports)) if len(self.transports) > 1 else None

    @property
    def width(self) -> int:
        return len(self.transports)

    def submit(self, send: Callable[[Transport], None]) -> Future[None]:
        if self.pool is not None:
            return self.pool.submit(self._on_free, send)
        future: Future[None] = Future()
        try:
            send(self.transports[0])
            future.set_result(None)
        except Exception as exc:  # handed to whoever reads the result, as a thread would
            future.set_exception(exc)
        return future

    def _on_free(self, send: Callable[[Transport], None]) -> None:
        transport = self.free.get()
        try:
            send(transport)
        finally:
            self.free.put(transport)

    def abort(self) -> None:
        """Stop talking on every connection now (safe from a signal handler)."""
        for transport in self.transports:
            transport.abort()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        for transport in self.transports:
            transport.close()


def send_over(
    transport: Transport, sender: str, recipient: str, data: bytes, pacing: Pacing, report: SendReport
) -> None:
    """One delivery attempt; a lost connection is retried with backoff, and ends the run if it
    stays lost. Runs on the connection's thread: it only reads `report`."""
    for attempt in range(pacing.max_retries + 1):
        try:
            return transport.send(sender, recipient, data)
        except ConnectionFailure as exc:
            last = str(exc)
        except FatalSendError as exc:
            raise UserError(_stopped(report, str(exc), "fix the SMTP settings")) from None
        if pacing.should_stop():
            break
        if attempt < pacing.max_retries:
            pacing.wait(backoff(pacing, attempt))
    if pacing.should_stop():
        raise DeliveryError("stopped on request", permanent=False, stage="STOP")
    raise UserError(_stopped(report, last, "check smtp.host and smtp.port, then run send again"))


def backoff(pacing: Pacing, attempts: int) -> float:
    return pacing.retry_base_seconds * 2**attempts


def _stopped(report: SendReport, reason: str, hint: str) -> list[Problem]:
    done = f"{len(report.sent)} sent in this run" + (f", {report.already} earlier" if report.already else "")
    return [
        Problem(
            "smtp",
            f"sending stopped: {reason} ({done}; the rest are not sent yet)",
            hint=f"{hint}; nobody is mailed twice",
        )
    ]
