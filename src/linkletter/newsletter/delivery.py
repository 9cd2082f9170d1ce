"""The send loop: one message per recipient the ledger does not list yet, paced, and recorded
right after the server accepted or refused it. The clock and the (interruptible) wait are injected.

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
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from ..errors import Problem, UserError
from ..model import Config, Recipient
from .ledger import FAILED, SENT, Ledger
from .message import Unsubscribe, build_message, message_bytes
from .render import Edition
from .transport import ConnectionFailure, DeliveryError, FatalSendError, Transport

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
class _Run:
    """One run's moving parts."""

    config: Config
    edition: Edition
    unsubscribe: Unsubscribe
    transport: Transport
    ledger: Ledger | None
    pacing: Pacing
    report: SendReport
    test: bool
    on_first_accept: Callable[[], None] | None
    next_at: float = 0.0
    streak: list[tuple[Recipient, str, str, str]] = field(default_factory=list)  # same ambiguous refusal
    message_refusals: int = 0
    last_detail: str = ""

    @property
    def sender(self) -> str:
        return parseaddr(self.config.digest.sender)[1]


def send_digest(
    config: Config,
    edition: Edition,
    recipients: list[Recipient],
    unsubscribe: Unsubscribe,
    transport,
    ledger: Ledger | None,
    pacing: Pacing,
    test: bool = False,
    on_first_accept: Callable[[], None] | None = None,
) -> SendReport:
    """Mail the edition to every recipient the ledger does not list yet and who is not suppressed
    (all of them without a ledger). Each answer is recorded before the next message goes out;
    `on_first_accept` runs once, right after the first acceptance was recorded."""
    report = SendReport(edition.digest.issue.slug)
    run = _Run(config, edition, unsubscribe, transport, ledger, pacing, report, test, on_first_accept)
    run.next_at = pacing.clock()
    queue: list[tuple[float, int, int, Recipient]] = []  # (due, order, attempts so far, recipient)
    try:
        due = list(_due(run, recipients))
        for order, recipient in enumerate(due):
            if _stopping(run, len(due) - order):
                break
            if _attempt(run, recipient, 0) == DEFERRED:
                heapq.heappush(queue, (pacing.clock() + _backoff(pacing, 0), order, 1, recipient))
        _retry_deferred(run, queue)
    finally:
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


def _retry_deferred(run: _Run, queue: list) -> None:
    pacing = run.pacing
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
        outcome = _attempt(run, recipient, attempts)
        if outcome == DEFERRED and attempts < pacing.max_retries:
            heapq.heappush(
                queue, (pacing.clock() + _backoff(pacing, attempts), order, attempts + 1, recipient)
            )
        elif outcome == DEFERRED:
            run.report.deferred.append((recipient.address, run.last_detail))


def _backoff(pacing: Pacing, attempts: int) -> float:
    return pacing.retry_base_seconds * 2**attempts


def _attempt(run: _Run, recipient: Recipient, attempts: int) -> str:
    """Send to one recipient once (a lost connection is retried here); record what the server said."""
    pacing, report = run.pacing, run.report
    message = build_message(
        run.edition, run.config.digest, recipient, run.unsubscribe, pacing.now(), run.test
    )
    data, message_id = message_bytes(message), message["Message-ID"]
    _wait_turn(run)
    if pacing.should_stop():
        report.pending += 1
        return REFUSED
    try:
        _send_connected(run, recipient, data)
    except DeliveryError as exc:
        return _refused(run, recipient, exc, message_id)
    _record(run, recipient, SENT, message_id, "")
    report.sent.append(recipient.address)
    _flush_streak(run)
    run.message_refusals = 0
    if run.on_first_accept is not None and run.ledger is not None:
        callback, run.on_first_accept = run.on_first_accept, None
        callback()
    return SENT


def _send_connected(run: _Run, recipient: Recipient, data: bytes) -> None:
    """One delivery attempt; a lost connection is retried with backoff, and ends the run if it stays lost."""
    pacing = run.pacing
    for attempt in range(pacing.max_retries + 1):
        try:
            return run.transport.send(run.sender, recipient.address, data)
        except ConnectionFailure as exc:
            last = str(exc)
        except FatalSendError as exc:
            raise UserError(_stopped(run.report, str(exc), "fix the SMTP settings")) from None
        if pacing.should_stop():
            break
        if attempt < pacing.max_retries:
            pacing.wait(_backoff(pacing, attempt))
    if pacing.should_stop():
        raise DeliveryError("stopped on request", permanent=False, stage="STOP")
    raise UserError(_stopped(run.report, last, "check smtp.host and smtp.port, then run send again"))


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


def _stopped(report: SendReport, reason: str, hint: str) -> list[Problem]:
    done = f"{len(report.sent)} sent in this run" + (f", {report.already} earlier" if report.already else "")
    return [
        Problem(
            "smtp",
            f"sending stopped: {reason} ({done}; the rest are not sent yet)",
            hint=f"{hint}; nobody is mailed twice",
        )
    ]
