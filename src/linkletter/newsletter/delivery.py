"""The send loop: one message per recipient the ledger does not list yet, paced, retried, and
recorded right after the server accepted it. The clock and sleep are injected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from ..errors import Problem, UserError
from ..model import Config, Digest, Recipient
from .ledger import FAILED, SENT, Ledger
from .message import Unsubscribe, build_message, message_bytes
from .transport import ConnectionFailure, DeliveryError, FatalSendError


@dataclass
class SendReport:
    issue: str
    sent: list[str] = field(default_factory=list)
    already: int = 0
    failed_before: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    stopped: bool = False


@dataclass(frozen=True)
class Pacing:
    """How fast and how persistently to send; the clock and sleep are injected for tests."""

    rate_per_second: float
    max_retries: int
    retry_base_seconds: float
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    now: Callable[[], datetime]
    should_stop: Callable[[], bool] = lambda: False


def send_digest(
    config: Config,
    digest: Digest,
    recipients: list[Recipient],
    unsubscribe: Unsubscribe,
    transport,
    ledger: Ledger | None,
    pacing: Pacing,
) -> SendReport:
    """Mail `digest` to every recipient the ledger does not list yet (all of them without a ledger).
    Each acceptance is recorded before the next message goes out."""
    slug = digest.issue.slug
    done = ledger.deliveries(slug) if ledger else {}
    report = SendReport(slug)
    envelope_from = parseaddr(config.digest.sender)[1]
    next_at = pacing.clock()
    for recipient in recipients:
        if recipient.key in done:
            if done[recipient.key] == SENT:
                report.already += 1
            else:
                report.failed_before += 1
            continue
        if pacing.should_stop():
            report.stopped = True
            break
        next_at = _wait_turn(pacing, next_at)
        message = build_message(digest, config.digest, recipient, unsubscribe, pacing.now())
        outcome, detail = _deliver(
            transport, envelope_from, recipient, message_bytes(message), pacing, report
        )
        if outcome == SENT:
            report.sent.append(recipient.address)
        elif outcome == FAILED:
            report.failed.append((recipient.address, detail))
        else:
            report.deferred.append((recipient.address, detail))
        if ledger and outcome in (SENT, FAILED):
            ledger.record_delivery(slug, recipient.key, outcome, message["Message-ID"], detail, pacing.now())
    return report


def _wait_turn(pacing: Pacing, next_at: float) -> float:
    delay = next_at - pacing.clock()
    if delay > 0:
        pacing.sleep(delay)
    return max(next_at, pacing.clock()) + 1 / pacing.rate_per_second


def _deliver(transport, sender: str, recipient: Recipient, data: bytes, pacing: Pacing, report: SendReport):
    """(SENT | FAILED | "deferred", detail). 4xx and lost connections are retried with backoff;
    a connection that stays down ends the run (the ledger lets the next run resume)."""
    for attempt in range(pacing.max_retries + 1):
        try:
            transport.send(sender, recipient.address, data)
            return SENT, ""
        except DeliveryError as exc:
            if exc.permanent:
                return FAILED, exc.detail
            last, fatal = exc.detail, False
        except ConnectionFailure as exc:
            last, fatal = str(exc), True
        except FatalSendError as exc:
            raise UserError(_stopped(report, str(exc), "fix the SMTP settings")) from None
        if attempt < pacing.max_retries:
            pacing.sleep(pacing.retry_base_seconds * 2**attempt)
    if fatal:
        raise UserError(_stopped(report, last, "check smtp.host and smtp.port, then run send again"))
    return "deferred", last


def _stopped(report: SendReport, reason: str, hint: str) -> list[Problem]:
    done = f"{len(report.sent)} sent in this run" + (f", {report.already} earlier" if report.already else "")
    return [
        Problem("smtp", f"sending stopped: {reason} ({done}; the rest are not sent yet)", hint=f"{hint}; nobody is mailed twice")
    ]
