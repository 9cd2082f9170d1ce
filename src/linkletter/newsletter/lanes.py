"""Several SMTP connections at once (`smtp.connections`): one thread and one transport per
connection. Only the talking to the server happens in the threads; the send loop (delivery.py)
decides, and writes the ledger, in one thread, taking the answers in the order they arrive
(`next_done`). With one connection there is no thread: a message is sent when it is submitted.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING

from ..errors import Problem, UserError
from .transport import ConnectionFailure, DeliveryError, FatalSendError, Transport

if TYPE_CHECKING:
    from .delivery import Pacing, SendReport

Job = tuple[Future[None], Callable[[Transport], None]]


class Lanes:
    """`width` transports; `submit(send)` runs `send(transport)` on a free one, and `next_done()`
    returns the futures of the sends in the order they end."""

    def __init__(self, transports: Sequence[Transport]):
        self.transports = list(transports)
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.done: queue.SimpleQueue[Future[None]] = queue.SimpleQueue()
        self.threads = []
        if len(self.transports) > 1:
            self.threads = [
                threading.Thread(target=self._serve, args=(t,), daemon=True) for t in self.transports
            ]
            for thread in self.threads:
                thread.start()

    @property
    def width(self) -> int:
        return len(self.transports)

    def submit(self, send: Callable[[Transport], None]) -> Future[None]:
        future: Future[None] = Future()
        if self.threads:
            self.jobs.put((future, send))
        else:
            _run(future, send, self.transports[0])
            self.done.put(future)
        return future

    def next_done(self) -> Future[None]:
        """The next send to end (waits for it)."""
        return self.done.get()

    def _serve(self, transport: Transport) -> None:
        while (job := self.jobs.get()) is not None:
            future, send = job
            _run(future, send, transport)
            self.done.put(future)

    def abort(self) -> None:
        """Stop talking on every connection now (safe from a signal handler)."""
        for transport in self.transports:
            transport.abort()

    def close(self) -> None:
        for _ in self.threads:
            self.jobs.put(None)
        for thread in self.threads:
            thread.join()
        for transport in self.transports:
            transport.close()


def _run(future: Future[None], send: Callable[[Transport], None], transport: Transport) -> None:
    try:
        send(transport)
        future.set_result(None)
    except Exception as exc:  # handed to whoever reads the result, as a thread would
        future.set_exception(exc)


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
