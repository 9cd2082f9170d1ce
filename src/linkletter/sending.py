"""The `digest` and `send` commands as library calls: preview or publish an issue, send it.
Returns outcomes; never prints. The clock, sleep and stop flag are parameters."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from .build import build_site, ledger_path, load_site
from .delivery import Pacing, SendReport, send_digest
from .errors import ConfigError, Problem, SendError, shown_path
from .ledger import Ledger
from .locks import Busy, holding
from .mail import OutboxTransport, SmtpTransport, Unsubscribe, build_message, message_bytes
from .model import Config, Digest, Recipient
from .newsletter import past_deadline, plan_issue, record_published, render_issue, slot_for, slug_for
from .pages import Templates
from .recipients import load_recipients
from .urls import is_email_address

PREVIEW_RECIPIENT = Recipient("subscriber@example.org", "A Subscriber")


@dataclass
class Outcome:
    message: str
    problems: list[Problem] = field(default_factory=list)
    report: SendReport | None = None


@dataclass(frozen=True)
class SendOptions:
    dry_run: bool = False
    outbox: Path | None = None
    to: str | None = None
    ignore_deadline: bool = False
    password: str | None = field(default=None, repr=False)
    unsubscribe_secret: str | None = None


def preview_digest(config: Config, now: datetime, publish: bool = False, out: Path | None = None) -> Outcome:
    """Render the issue due at `now` into a preview folder; with `publish`, also record it and
    write its pages into dist/."""
    _require_sender(config)
    bookmarks, problems = load_site(config, now)
    with _ledger(config, create=publish) as ledger:
        issue = plan_issue(config, bookmarks, ledger.issues() if ledger else [], slot_for(config, now), now)
        if issue.bookmarks and publish:
            issue = record_published(ledger, issue, now)
    if not issue.bookmarks:
        return Outcome(_nothing_new(issue), problems)
    if publish:
        problems = problems + build_site(config, now, loaded=bookmarks).problems
    digest = render_issue(config, Templates(config.build.templates_dir, config.root), issue)
    folder = out or config.build.state_dir / "preview" / issue.slug
    message = write_preview(config, digest, folder, now)
    text = (
        f"issue {issue.number} ({issue.slug}): {plural(len(issue.bookmarks), 'link')}; "
        f"subject: {digest.subject}; message {len(message) / 1024:.1f} KB as sent (Gmail clips at 102 KB); "
        f"preview in {folder}"
    )
    if publish:
        text += f"; published {digest.web_url}"
    return Outcome(text, problems)


def write_preview(config: Config, digest: Digest, folder: Path, now: datetime) -> bytes:
    """email.html, email.txt, message.eml (for a sample recipient) and web.html in `folder`."""
    spec = config.digest
    unsubscribe = Unsubscribe(
        spec.unsubscribe_url or "https://example.org/unsubscribe", spec.unsubscribe_mailto, "preview"
    )
    message = build_message(digest, spec, PREVIEW_RECIPIENT, unsubscribe, now)
    data = message_bytes(message)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "email.html").write_text(message.get_body(("html",)).get_content(), encoding="utf-8")
    (folder / "email.txt").write_text(message.get_body(("plain",)).get_content(), encoding="utf-8")
    (folder / "web.html").write_text(digest.web_html, encoding="utf-8")
    (folder / "message.eml").write_bytes(data)
    return data


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
    _require_sender(config)
    unsubscribe, problems = _unsubscribe(config, options, real)
    recipients, more = _recipients(config, options)
    bookmarks, content_problems = load_site(config, now)
    problems += more + content_problems
    try:
        lock = holding(config.build.state_dir / "send.lock", wait=False) if real else nullcontext()
        with lock, _ledger(config, create=real) as ledger:
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
        raise SendError(
            Problem(
                shown_path(config.build.state_dir, config.root),
                None,
                None,
                "another linkletter is sending right now (send.lock is held)",
                "let it finish; running send again afterwards is safe",
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
        return Outcome(_nothing_new(issue), problems)
    if real:
        issue = record_published(ledger, issue, now)
        problems = problems + build_site(config, now, loaded=bookmarks).problems
    digest = render_issue(config, Templates(config.build.templates_dir, config.root), issue)
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


def _require_sender(config: Config) -> None:
    if not config.digest.sender:
        raise ConfigError(
            Problem(
                _config_name(config),
                None,
                "digest.from",
                "missing; needed to send",
                "write e.g. from: Your Name <links@example.org>",
            )
        )


def _report_problems(report: SendReport) -> list[Problem]:
    failed = [Problem(address, None, None, f"not delivered: {detail}") for address, detail in report.failed]
    deferred = [
        Problem(address, None, None, f"deferred, run send again later: {detail}", severity="warning")
        for address, detail in report.deferred
    ]
    return failed + deferred


def _ledger(config: Config, create: bool):
    path = ledger_path(config)
    return Ledger(path) if create or path.exists() else nullcontext(None)


def _unsubscribe(config: Config, options: SendOptions, real: bool) -> tuple[Unsubscribe, list[Problem]]:
    spec = config.digest
    where = _config_name(config)
    if not spec.unsubscribe_url:
        raise ConfigError(
            Problem(
                where,
                None,
                "digest.unsubscribe_url",
                "missing; needed to send",
                "Gmail and Yahoo require a one-click https unsubscribe URL",
            )
        )
    secret, problems = options.unsubscribe_secret, []
    if "{token}" in spec.unsubscribe_url and not secret:
        problem = Problem(
            where,
            None,
            "digest.unsubscribe_secret_env",
            f"the environment variable {spec.unsubscribe_secret_env} is not set",
            "it signs the {token} in unsubscribe links; export it before sending",
        )
        if real:
            raise ConfigError(problem)
        problems.append(replace(problem, severity="warning"))
    return Unsubscribe(spec.unsubscribe_url, spec.unsubscribe_mailto, secret), problems


def _recipients(config: Config, options: SendOptions) -> tuple[list[Recipient], list[Problem]]:
    if options.to:
        return [_test_recipient(options.to)], []
    path = config.digest.recipients
    if path is None:
        raise ConfigError(
            Problem(
                _config_name(config),
                None,
                "digest.recipients",
                "missing",
                "name the file that lists the recipients",
            )
        )
    return load_recipients(path, shown_path(path, config.root))


def _test_recipient(address: str) -> Recipient:
    """The one recipient of `send --to ADDRESS`."""
    if not is_email_address(address):
        raise SendError(Problem("--to", None, None, f"{address!r} is not an email address"))
    return Recipient(address)


def _transport(config: Config, options: SendOptions, slug: str, real: bool):
    if options.dry_run:
        return OutboxTransport(options.outbox or config.build.state_dir / "outbox" / slug)
    if config.smtp.user and not options.password:
        raise ConfigError(
            Problem(
                _config_name(config),
                None,
                "smtp.password_env",
                f"the environment variable {config.smtp.password_env} is not set",
                "export it with the SMTP password before sending",
            )
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


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _nothing_new(issue) -> str:
    return f"nothing new since {issue.start:%Y-%m-%d %H:%M} UTC; no issue for {issue.slug}"


def _config_name(config: Config) -> str:
    return shown_path(config.path, config.root) if config.path else "linkletter.yaml"
