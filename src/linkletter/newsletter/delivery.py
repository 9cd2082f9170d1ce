"""The send loop: one message per recipient the ledger does not list yet, paced, and recorded
right after the server accepted or refused it. The clock and the (interruptible) wait are injected.
Messages are spliced from bytes made once per issue (splice.py); with several connections
(lanes.py) up to one message per connection is on its way, and the answers are recorded, in this
thread, in the order they arrive.

- A recipient refused with a temporary reply (4xx) waits in a queue and is tried again after the
  others, with exponential backoff; one still refused after `max_retries` is left for the next run.
- A refusal of the message itself (an enhanced status 5.3.x, 5.6.x or 5.7.x, or the same reply for
  `SAME_REPLY_LIMIT` recipients in a row) is never recorded against the recipients: they stay
  pending, and after `MESSAGE_REFUSAL_LIMIT` such replies the run stops with the server's words.
- A hard bounce (5.1.x, 5.2.1) is recorded and puts the address on the suppression list, which
  later issues skip.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from ..errors import UserError
from ..model import Config, Recipient
from .lanes import Lanes, backoff, send_over
from .ledger import FAILED, SENT, Ledger
from .message import Unsubscribe
from .render import Edition
from .splice import Splicer
from .transport import DeliveryError

MESSAGE_REFUSAL_LIMIT = 3
SAME_REPLY_LIMIT = 3
DEFERRED, REFUSED = "deferred", "refused"


@dataclass
class SendReport:
    issue: str
    sent: list[str] = field(default_factory=list)
    already: int = 0
    failed_before: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # the message refused; still pending
    suppressed: list[str] = field(default_factory=list)  # skipped: on the suppression list
    newly_suppressed: list[str] = field(default_factory=list)
    pending: int = 0  # not tried because the run stopped
    stopped: bool = False
    stop_reason: str = ""

    @property
    def incomplete(self) -> bool:
        """Someone is left for a later run (exit status 75, EX_TEMPFAIL)."""
        return bool(self.deferred or self.refused or self.pending)


@dataclass(frozen=True)
class Pacing:
    """How fast and how persistently to send. `wait(seconds)` returns early when a stop is asked."""

    rate_per_second: float | None  # None: no pacing (an outbox)
    max_retries: int
    retry_base_seconds: float
    clock: Callable[[], float]
    wait: Callable[[float], None]
    now: Callable[[], datetime]
    should_stop: Callable[[], bool] = lambda: False


@dataclass
class _Flight:
    """A message handed to a connection, its answer not recorded yet."""

    future: Future[None]
    recipient: Recipient
    message_id: str
    order: int
    attempts: int  # before this one


@dataclass
class _Run:
    """One run's moving parts."""

    config: Config
    lanes: Lanes
    ledger: Ledger | None
    pacing: Pacing
    report: SendReport
    on_first_accept: Callable[[], None] | None
    splicer: Splicer
    flying: dict[Future[None], _Flight] = field(default_factory=dict)  # in the order launched
    queue: list[tuple[float, int, int, Recipient]] = field(
        default_factory=list
    )  # (due, order, attempts, recipient)
    next_at: float = 0.0
    streak: list[tuple[Recipient, str, str, str]] = field(default_factory=list)  # same ambiguous refusal
    message_refusals: int = 0
    last_detail: str = ""

    def __post_init__(self) -> None:
        self.sender = parseaddr(self.config.digest.sender)[1]


def send_digest(
    config: Config,
    edition: Edition,
    recipients: list[Recipient],
    unsubscribe: Unsubscribe,
    lanes: Lanes,
    ledger: Ledger | None,
    pacing: Pacing,
    test: bool = False,
    on_first_accept: Callable[[], None] | None = None,
) -> SendReport:
    """Mail the edition to every recipient the ledger does not list yet and who is not suppressed
    (all of them without a ledger), on `lanes.width` connections. Each answer is recorded as soon
    as it arrives (with one connection: before the next message goes out); `on_first_accept` runs
    once, right after the first acceptance was recorded."""
    report = SendReport(edition.digest.issue.slug)
    splicer = Splicer(edition, config.digest, unsubscribe, test)
    run = _Run(config, lanes, ledger, pacing, report, on_first_accept, splicer)
    run.next_at = pacing.clock()
    try:
        due = list(_due(run, recipients))
        for order, recipient in enumerate(due):
            if _stopping(run, len(due) - order):
                break
            _launch(run, recipient, order, 0)
        _settle_all(run)
        _retry_deferred(run)
    finally:
        _land(run)
        _flush_streak(run)
    return report


def _due(run: _Run, recipients: list[Recipient]):
    done = run.ledger.deliveries(run.report.issue) if run.ledger else {}
    suppressed = run.ledger.suppressed() if run.ledger else {}
    for recipient in recipients:
        if recipient.key in done:
            if done[recipient.key] == SENT:
                run.report.already += 1
            else:
                run.report.failed_before += 1
        elif recipient.key in suppressed:
            run.report.suppressed.append(recipient.address)
        else:
            yield recipient


def _stopping(run: _Run, left: int) -> bool:
    if run.pacing.should_stop() or run.report.stop_reason:
        run.report.stopped = True
        run.report.pending += max(left, 0)
        return True
    return False


def _retry_deferred(run: _Run) -> None:
    """The recipients refused with a 4xx, one at a time, each after its backoff."""
    pacing, queue = run.pacing, run.queue
    while queue:
        if _stopping(run, 0):
            run.report.deferred += [(r.address, "not retried: the run was stopped") for *_, r in queue]
            return
        due, order, attempts, recipient = heapq.heappop(queue)
        if due > pacing.clock():
            pacing.wait(due - pacing.clock())
            if pacing.should_stop():
                heapq.heappush(queue, (due, order, attempts, recipient))
                continue
        _launch(run, recipient, order, attempts)
        _settle_all(run)


def _launch(run: _Run, recipient: Recipient, order: int, attempts: int) -> None:
    """Hand one recipient's message to a free connection; while every connection is busy,
    settle the answers that arrive."""
    data, message_id = run.splicer.message(recipient, run.pacing.now())
    _wait_turn(run)
    if run.pacing.should_stop():
        run.report.pending += 1
        return
    future = run.lanes.submit(
        lambda transport: send_over(transport, run.sender, recipient.address, data, run.pacing, run.report)
    )
    run.flying[future] = _Flight(future, recipient, message_id, order, attempts)
    while len(run.flying) >= run.lanes.width:
        _settle(run, run.flying.pop(run.lanes.next_done()))


def _settle_all(run: _Run) -> None:
    while run.flying:
        _settle(run, run.flying.pop(run.lanes.next_done()))


def _land(run: _Run) -> None:
    """After an error: record what the other connections still had in flight."""
    while run.flying:
        try:
            _settle(run, run.flying.pop(run.lanes.next_done()))
        except UserError:
            pass  # the run is stopping already, with the first error


def _settle(run: _Run, flight: _Flight) -> None:
    """Record the server's answer to one message; a 4xx goes to the retry queue."""
    recipient, pacing = flight.recipient, run.pacing
    try:
        flight.future.result()
    except DeliveryError as exc:
        outcome = _refused(run, recipient, exc, flight.message_id)
    else:
        outcome = _accepted(run, recipient, flight.message_id)
    if outcome != DEFERRED:
        return
    if flight.attempts == 0 or flight.attempts < pacing.max_retries:
        due = pacing.clock() + backoff(pacing, flight.attempts)
        heapq.heappush(run.queue, (due, flight.order, flight.attempts + 1, recipient))
    else:
        run.report.deferred.append((recipient.address, run.last_detail))


def _accepted(run: _Run, recipient: Recipient, message_id: str) -> str:
    _record(run, recipient, SENT, message_id, "")
    run.report.sent.append(recipient.address)
    _flush_streak(run)
    run.message_refusals = 0
    if run.on_first_accept is not None and run.ledger is not None:
        callback, run.on_first_accept = run.on_first_accept, None
        callback()
    return SENT


def _refused(run: _Run, recipient: Recipient, exc: DeliveryError, message_id: str) -> str:
    run.last_detail = exc.detail
    if exc.stage == "STOP":
        run.report.pending += 1
        return REFUSED
    if not exc.permanent:
        return DEFERRED
    if exc.enhanced.startswith(("5.3.", "5.6.", "5.7.")):
        return _message_refused(run, recipient, exc.detail)
    if exc.enhanced.startswith("5.1.") or exc.enhanced == "5.2.1":
        _record(run, recipient, FAILED, message_id, exc.detail)
        run.report.failed.append((recipient.address, exc.detail))
        if run.ledger is not None:
            run.ledger.suppress(recipient.address, exc.detail, run.pacing.now())
            run.report.newly_suppressed.append(recipient.address)
        return FAILED
    return _ambiguous(run, recipient, exc.detail, message_id)


def _ambiguous(run: _Run, recipient: Recipient, detail: str, message_id: str) -> str:
    """A 5xx without a telling status: a recipient's failure, unless the same words keep coming."""
    shape = detail.lower().replace(recipient.address.lower(), "<>")
    if run.streak and run.streak[-1][2] != shape:
        _flush_streak(run)
    run.streak.append((recipient, detail, shape, message_id))
    if len(run.streak) >= SAME_REPLY_LIMIT:
        refused, run.streak = run.streak, []
        for earlier, words, *_ in refused:
            run.report.refused.append((earlier.address, words))
        _stop_for_message(run, detail)
    return REFUSED


def _message_refused(run: _Run, recipient: Recipient, detail: str) -> str:
    run.report.refused.append((recipient.address, detail))
    run.message_refusals += 1
    if run.message_refusals >= MESSAGE_REFUSAL_LIMIT:
        _stop_for_message(run, detail)
    return REFUSED


def _stop_for_message(run: _Run, detail: str) -> None:
    run.report.stop_reason = f"the server refused the message itself: {detail}"


def _flush_streak(run: _Run) -> None:
    """Record the refusals held back while it was unclear whether they were about the message."""
    streak, run.streak = run.streak, []
    for recipient, detail, _shape, message_id in streak:
        _record(run, recipient, FAILED, message_id, detail)
        run.report.failed.append((recipient.address, detail))


def _record(run: _Run, recipient: Recipient, status: str, message_id: str, detail: str) -> None:
    if run.ledger is not None:
        run.ledger.record_delivery(
            run.report.issue, recipient.key, status, message_id, detail, run.pacing.now()
        )


def _wait_turn(run: _Run) -> None:
    pacing = run.pacing
    if pacing.rate_per_second is None:
        return
    delay = run.next_at - pacing.clock()
    if delay > 0:
        pacing.wait(delay)
    run.next_at = max(run.next_at, pacing.clock()) + 1 / pacing.rate_per_second
