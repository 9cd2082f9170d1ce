"""`send`: mail the due issue to every recipient who has not had it. Returns an outcome; never
prints. The clock, sleep and stop flag are parameters."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from ..errors import WARNING, Problem, UserError, shown_path
from ..locks import Busy, holding
from ..model import Config, Recipient
from ..newsletter.delivery import Pacing, SendReport, send_digest
from ..newsletter.issues import past_deadline, plan_issue, slot_for, slug_for
from ..newsletter.message import Unsubscribe
from ..newsletter.recipients import load_recipients
from ..newsletter.transport import OutboxTransport, SmtpTransport
from ..values.links import is_email_address
from . import Outcome, config_name, nothing_new
from .build import load_site
from .digest import open_ledger, publish_issue, require_sender


@dataclass(frozen=True)
class SendOptions:
    dry_run: bool = False
    outbox: Path | None = None
    to: str | None = None
    ignore_deadline: bool = False
    password: str | None = field(default=None, repr=False)
    unsubscribe_secret: str | None = None


def send_current(
    config: Config,
    now: datetime,
    options: SendOptions,
    clock_now: Callable[[], datetime],
    should_stop: Callable[[], bool] = lambda: False,
    sleep=time.sleep,
    monotonic=time.monotonic,
) -> Outcome:
    """Send the issue due at `now` (see the README for --dry-run, --to and deadlines). A real send
    holds the send lock: a second one at the same time stops with a message."""
    real = not (options.dry_run or options.to)
    require_sender(config)
    unsubscribe, problems = _unsubscribe(config, options, real)
    recipients, more = _recipients(config, options)
    bookmarks, content_problems = load_site(config, now)
    problems += more + content_problems
    try:
        lock = holding(config.build.state_dir / "send.lock", wait=False) if real else nullcontext()
        with lock, open_ledger(config, create=real) as ledger:
            return _send_issue(
                config,
                now,
                options,
                bookmarks,
                ledger,
                recipients,
                unsubscribe,
                problems,
                Pacing(
                    config.smtp.rate_per_second,
                    config.smtp.max_retries,
                    config.smtp.retry_base_seconds,
                    monotonic,
                    sleep,
                    clock_now,
                    should_stop,
                ),
            )
    except Busy:
        raise UserError(
            Problem(shown_path(config.build.state_dir, config.root), "another linkletter is sending right now (send.lock is held)", hint="let it finish; running send again afterwards is safe")
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
    digest, more = publish_issue(config, ledger, issue, bookmarks, now, record=real)
    problems = problems + more
    transport = _transport(config, options, issue.slug, real)
    try:
        report = send_digest(
            config, digest, recipients, unsubscribe, transport, ledger if real else None, pacing
        )
    finally:
        transport.close()
    return Outcome(
        _report_text(issue.number, report, options, transport), problems + _report_problems(report), report
    )


def _report_problems(report: SendReport) -> list[Problem]:
    failed = [Problem(address, f"not delivered: {detail}") for address, detail in report.failed]
    deferred = [
        Problem(address, f"deferred, run send again later: {detail}", severity=WARNING)
        for address, detail in report.deferred
    ]
    return failed + deferred


def _unsubscribe(config: Config, options: SendOptions, real: bool) -> tuple[Unsubscribe, list[Problem]]:
    spec = config.digest
    where = config_name(config)
    if not spec.unsubscribe_url:
        raise UserError(
            Problem(where, "missing; needed to send", field="digest.unsubscribe_url", hint="Gmail and Yahoo require a one-click https unsubscribe URL")
        )
    secret, problems = options.unsubscribe_secret, []
    if "{token}" in spec.unsubscribe_url and not secret:
        problem = Problem(where, f"the environment variable {spec.unsubscribe_secret_env} is not set", field="digest.unsubscribe_secret_env", hint="it signs the {token} in unsubscribe links; export it before sending")
        if real:
            raise UserError(problem)
        problems.append(replace(problem, severity=WARNING))
    return Unsubscribe(spec.unsubscribe_url, spec.unsubscribe_mailto, secret), problems


def _recipients(config: Config, options: SendOptions) -> tuple[list[Recipient], list[Problem]]:
    if options.to:
        return [_test_recipient(options.to)], []
    path = config.digest.recipients
    if path is None:
        raise UserError(
            Problem(config_name(config), "missing", field="digest.recipients", hint="name the file that lists the recipients")
        )
    return load_recipients(path, shown_path(path, config.root))


def _test_recipient(address: str) -> Recipient:
    """The one recipient of `send --to ADDRESS`."""
    if not is_email_address(address):
        raise UserError(Problem("--to", f"{address!r} is not an email address"))
    return Recipient(address)


def _transport(config: Config, options: SendOptions, slug: str, real: bool):
    if options.dry_run:
        return OutboxTransport(options.outbox or config.build.state_dir / "outbox" / slug)
    if config.smtp.user and not options.password:
        raise UserError(
            Problem(config_name(config), f"the environment variable {config.smtp.password_env} is not set", field="smtp.password_env", hint="export it with the SMTP password before sending")
        )
    return SmtpTransport(config.smtp, options.password)


def _report_text(number: int, report: SendReport, options: SendOptions, transport) -> str:
    if options.dry_run:
        return f"dry run, issue {number} ({report.issue}): wrote {len(report.sent)} message(s) to {transport.folder}"
    text = (
        f"issue {number} ({report.issue}): sent {len(report.sent)}, {report.already} already had it, "
        f"{len(report.failed)} failed, {len(report.deferred)} deferred"
    )
    if report.failed_before:
        text += f", {report.failed_before} refused earlier (not retried)"
    return text + ("; stopped early, run send again to continue" if report.stopped else "")
