"""`send`: mail the due issue to every recipient who has not had it. Returns an outcome; never
prints. The clock, the wait and the stop flag are parameters.

An issue is published (recorded, its web page written) only once the server accepted its first
message: a send that fails before that (server down) leaves no trace, and the issue's deadline
still applies."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..errors import NOTE, WARNING, Problem, UserError, shown_path
from ..locks import Busy, holding
from ..model import Config, Issue, Recipient
from ..newsletter.delivery import Pacing, SendReport, send_digest
from ..newsletter.issues import past_deadline, plan_issue, record_published, slot_for, slug_for
from ..newsletter.lanes import Lanes
from ..newsletter.message import Unsubscribe
from ..newsletter.recipients import load_recipients
from ..newsletter.stopping import StopFlag
from ..newsletter.transport import OutboxTransport, SmtpTransport
from ..values.links import is_email_address
from . import Outcome, config_name, nothing_new
from .build import load_site
from .digest import finish_issue, open_ledger, out_folder, publish_issue, require_sane_date, require_sender
from .suppressions import check_suppressions, suppression_notes

__all__ = ["SendOptions", "StopFlag", "check_mail", "send_current"]


@dataclass(frozen=True)
class SendOptions:
    dry_run: bool = False
    outbox: Path | None = None
    to: str | None = None
    ignore_deadline: bool = False
    retry_failed: bool = False
    password: str | None = field(default=None, repr=False)
    unsubscribe_secret: str | None = field(default=None, repr=False)


def send_current(
    config: Config,
    now: datetime,
    options: SendOptions,
    clock_now: Callable[[], datetime],
    should_stop: Callable[[], bool] = lambda: False,
    sleep=None,
    monotonic=time.monotonic,
) -> Outcome:
    """Send the issue due at `now` (see the README for --dry-run, --to and deadlines). A real send
    holds the send lock: a second one at the same time stops with a message. `sleep` defaults to
    `should_stop.wait` when the flag has one (a wait a stop request interrupts)."""
    real = not (options.dry_run or options.to)
    require_sender(config)
    require_sane_date(now)
    if real and slot_for(config, now) > clock_now():
        raise UserError(
            Problem(
                "--date",
                f"the issue due {slot_for(config, now):%Y-%m-%d %H:%M} UTC is not due yet; nothing sent",
                hint="a real send only mails issues whose send time has passed; use --dry-run to look at a future one",
            )
        )
    unsubscribe, problems = _unsubscribe(config, options, real)
    recipients, more = _recipients(config, options)
    bookmarks, content_problems = load_site(config, now, finish=False)
    problems += more + content_problems
    wait = sleep or getattr(should_stop, "wait", None) or time.sleep
    pacing = Pacing(
        None if options.dry_run or not config.smtp.rate_per_second else config.smtp.rate_per_second,
        config.smtp.max_retries,
        config.smtp.retry_base_seconds,
        monotonic,
        wait,
        clock_now,
        should_stop,
    )
    try:
        lock = holding(config.build.state_dir / "send.lock", wait=False) if real else nullcontext()
        with lock, open_ledger(config, create=real) as ledger:
            return _send_issue(
                config, now, options, bookmarks, ledger, recipients, unsubscribe, problems, pacing
            )
    except Busy:
        raise UserError(
            Problem(
                shown_path(config.build.state_dir, config.root),
                "another linkletter is sending right now (send.lock is held)",
                hint="let it finish; running send again afterwards is safe",
            )
        ) from None


def _send_issue(
    config, now, options, bookmarks, ledger, recipients, unsubscribe, problems, pacing
) -> Outcome:
    real = ledger is not None and not (options.dry_run or options.to)
    slot = slot_for(config, now)
    records = ledger.issues() if ledger else []
    started = any(r.slug == slug_for(config, slot) for r in records)
    if real and not started and not options.ignore_deadline and past_deadline(config, slot, pacing.now()):
        return Outcome(
            f"the issue due {slot:%Y-%m-%d %H:%M} UTC is past its deadline "
            f"(digest.deadline_hours: {config.digest.deadline_hours:g}); nothing sent",
            problems,
        )
    issue = plan_issue(config, bookmarks, records, slot, now)
    if not issue.bookmarks:
        return Outcome(nothing_new(issue), problems)
    bookmarks, issue, finished = finish_issue(bookmarks, issue, records)
    problems = problems + finished
    if real and options.retry_failed:
        retried = ledger.forget_failures(issue.slug)
        problems.append(
            Problem(
                "--retry-failed",
                f"{retried} recorded failure(s) of {issue.slug} are tried again",
                severity=NOTE,
            )
        )
    edition, more = publish_issue(config, ledger, issue, bookmarks, now, record=real and started)
    problems = problems + more + list(edition.problems)
    lanes = _lanes(config, options, issue.slug, real)
    on_stop = getattr(pacing.should_stop, "on_stop", None)
    unregister = on_stop(lanes.abort) if on_stop else None
    publish = _publisher(config, ledger, issue, now) if real and not started else None
    try:
        report = send_digest(
            config,
            edition,
            recipients,
            unsubscribe,
            lanes,
            ledger if real else None,
            pacing,
            test=bool(options.to),
            on_first_accept=publish,
        )
    finally:
        lanes.close()
        if unregister:
            unregister()
    if real and not started and report.sent:
        problems += publish_issue(config, ledger, issue, bookmarks, now, record=True)[1]
    if real and ledger is not None:
        problems += suppression_notes(ledger, report)
    return Outcome(
        _report_text(issue.number, report, options, lanes.transports[0]),
        problems + _report_problems(report),
        report,
    )


def _publisher(config: Config, ledger, issue: Issue, now: datetime) -> Callable[[], None]:
    """Record the issue as published; called once, when its first message was accepted."""

    def publish() -> None:
        record_published(ledger, issue, now)

    return publish


def _report_problems(report: SendReport) -> list[Problem]:
    failed = [Problem(address, f"not delivered: {detail}") for address, detail in report.failed]
    deferred = [
        Problem(address, f"deferred, run send again later: {detail}", severity=WARNING)
        for address, detail in report.deferred
    ]
    refused = [
        Problem(
            address,
            f"the server refused the message (not recorded; run send again once it is fixed): {detail}",
            severity=WARNING,
        )
        for address, detail in report.refused
    ]
    stop = (
        [
            Problem(
                "smtp",
                f"sending stopped: {report.stop_reason}",
                hint="nobody was marked failed for it; change the message or ask the provider, then run send again",
            )
        ]
        if report.stop_reason
        else []
    )
    return failed + deferred + refused + stop


def _unsubscribe(config: Config, options: SendOptions, real: bool) -> tuple[Unsubscribe, list[Problem]]:
    spec = config.digest
    if not spec.unsubscribe_url:
        raise UserError(
            Problem(
                config_name(config),
                "missing; needed to send",
                field="digest.unsubscribe_url",
                hint="Gmail and Yahoo require a one-click https unsubscribe URL",
            )
        )
    problems = [p for p in check_mail(config, options.unsubscribe_secret) if p.field]
    if real and any(p.field == "digest.unsubscribe_secret_env" for p in problems):
        raise UserError([replace(p, severity="error") for p in problems])
    return Unsubscribe(spec.unsubscribe_url, spec.unsubscribe_mailto, options.unsubscribe_secret), problems


def check_mail(config: Config, unsubscribe_secret: str | None) -> list[Problem]:
    """What `check` says about sending: an unset unsubscribe secret (every link would carry an
    empty token) and the suppressed addresses still listed in the recipients file."""
    spec, problems = config.digest, check_suppressions(config)
    if "{token}" in spec.unsubscribe_url and not unsubscribe_secret:
        problems.append(
            Problem(
                config_name(config),
                f"the environment variable {spec.unsubscribe_secret_env} is not set; every unsubscribe link would carry an empty token",
                field="digest.unsubscribe_secret_env",
                hint="it signs the {token} in unsubscribe links; export it before sending; a real send refuses without it",
                severity=WARNING,
            )
        )
    return problems


def _recipients(config: Config, options: SendOptions) -> tuple[list[Recipient], list[Problem]]:
    if options.to:
        return [_test_recipient(options.to)], []
    path = config.digest.recipients
    if path is None:
        raise UserError(
            Problem(
                config_name(config),
                "missing",
                field="digest.recipients",
                hint="name the file that lists the recipients",
            )
        )
    return load_recipients(path, shown_path(path, config.root))


def _test_recipient(address: str) -> Recipient:
    """The one recipient of `send --to ADDRESS`."""
    if not is_email_address(address):
        raise UserError(Problem("--to", f"{address!r} is not an email address"))
    return Recipient(address)


def _lanes(config: Config, options: SendOptions, slug: str, real: bool) -> Lanes:
    """The connections to send on: `smtp.connections` for a real send, one for a test copy, and
    the outbox folder for --dry-run."""
    if options.dry_run:
        folder = out_folder(options.outbox, config.build.state_dir / "outbox" / slug, "--outbox")
        return Lanes([OutboxTransport(folder)])
    if config.smtp.user and not options.password:
        raise UserError(
            Problem(
                config_name(config),
                f"the environment variable {config.smtp.password_env} is not set",
                field="smtp.password_env",
                hint="export it with the SMTP password before sending",
            )
        )
    count = config.smtp.connections if real else 1
    return Lanes([SmtpTransport(config.smtp, options.password) for _ in range(count)])


def _report_text(number: int, report: SendReport, options: SendOptions, transport) -> str:
    if options.dry_run:
        return f"dry run, issue {number} ({report.issue}): wrote {len(report.sent)} message(s) to {transport.folder}"
    text = (
        f"issue {number} ({report.issue}): sent {len(report.sent)}, {report.already} already had it, "
        f"{len(report.failed)} failed, {len(report.deferred)} deferred"
    )
    if report.refused:
        text += f", {len(report.refused)} refused as a message (still pending)"
    if report.suppressed:
        text += f", {len(report.suppressed)} suppressed (skipped)"
    if report.newly_suppressed:
        text += f", {len(report.newly_suppressed)} newly suppressed"
    if report.failed_before:
        text += f", {report.failed_before} refused earlier (not retried; see send --retry-failed)"
    if report.pending:
        text += f", {report.pending} not tried yet"
    return text + ("; stopped early, run send again to continue" if report.stopped else "")
