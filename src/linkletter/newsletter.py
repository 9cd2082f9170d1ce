"""The weekly digest, wired together: which issue is due, its pages in dist/, and sending it.

An issue belongs to a weekly send moment (a "slot", see `slots`). Its bookmarks are those dated
since the previous issue's slot (the first issue: `digest.first_issue_days` before its slot) that
no earlier issue held. An issue is recorded in the ledger when it is published (`send`, or
`digest --publish`); from then on its bookmarks are fixed, so a resumed send mails the same issue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import quote

from .digest import Links, render_digest
from .errors import Problem, SendError
from .feeds import FeedPlan, IssueEntry, build_issue_feed
from .ledger import FAILED, SENT, IssueRecord, Ledger
from .mail import (
    ConnectionFailure,
    DeliveryError,
    FatalSendError,
    Unsubscribe,
    build_message,
    message_bytes,
    message_size,
)
from .model import Bookmark, Config, Digest, Issue, Recipient
from .pages import Templates, render_archive
from .select import select_issue
from .slots import latest_slot


def digest_zone(config: Config):
    return config.digest.timezone or config.site.timezone


def slot_for(config: Config, moment: datetime) -> datetime:
    spec = config.digest
    return latest_slot(moment, spec.weekday, spec.time, digest_zone(config))


def slug_for(config: Config, slot: datetime) -> str:
    return slot.astimezone(digest_zone(config)).date().isoformat()


def plan_issue(
    config: Config, bookmarks: list[Bookmark], records: list[IssueRecord], slot: datetime, now: datetime
) -> Issue:
    """The issue for `slot`: as recorded, or what it would hold if published now."""
    slug = slug_for(config, slot)
    by_id = {b.id: b for b in bookmarks}
    for record in records:
        if record.slug == slug:
            return issue_from_record(record, by_id)
    earlier = [r.end for r in records if r.end <= slot]
    start = max(earlier) if earlier else slot - timedelta(days=config.digest.first_issue_days)
    sent = {bid for r in records for bid in r.bookmark_ids}
    chosen = select_issue(bookmarks, start, slot, now, sent)
    number = max((r.number for r in records), default=0) + 1
    return Issue(number, slug, start, slot, tuple(chosen))


def issue_from_record(record: IssueRecord, by_id: dict[str, Bookmark]) -> Issue:
    kept = tuple(by_id[i] for i in record.bookmark_ids if i in by_id)
    return Issue(record.number, record.slug, record.start, record.end, kept)


def publish(ledger: Ledger, issue: Issue, now: datetime) -> Issue:
    record = ledger.record_issue(issue.slug, issue.start, issue.end, now, [b.id for b in issue.bookmarks])
    return Issue(record.number, issue.slug, issue.start, issue.end, issue.bookmarks)


def links_for(config: Config, slug: str) -> Links:
    base = config.site.base_url + config.digest.path + "/"
    return Links(web_url=f"{base}{quote(slug)}.html", archive_url=base, feed_url=f"{base}atom.xml")


def render_issue(config: Config, templates: Templates, issue: Issue) -> Digest:
    """The issue's digest, its email capped so the whole message as sent fits Gmail's limit."""
    return render_digest(
        templates,
        config.site,
        config.digest,
        issue,
        links_for(config, issue.slug),
        measure=lambda html, text: message_size(config.digest, html, text),
    )


def digest_pages(
    config: Config, templates: Templates, bookmarks: list[Bookmark], records: list[IssueRecord]
) -> dict[str, bytes]:
    """{path in dist/: bytes}: every published issue's web page, the archive index, the issues feed."""
    if not records:
        return {}
    by_id = {b.id: b for b in bookmarks}
    folder = config.digest.path
    pages, rows, entries = {}, [], []
    for record in sorted(records, key=lambda r: r.number, reverse=True):
        issue = issue_from_record(record, by_id)
        digest = render_issue(config, templates, issue)
        pages[f"{folder}/{issue.slug}.html"] = digest.web_html.encode()
        rows.append(
            {
                "number": issue.number,
                "url": digest.web_url,
                "subject": digest.subject,
                "end_text": issue.end.astimezone(digest_zone(config)).date().isoformat(),
            }
        )
        entries.append(
            IssueEntry(
                config.site.make_id(f"issue:{issue.slug}"),
                digest.subject,
                digest.web_url,
                issue.end,
                issue.bookmarks,
            )
        )
    links = links_for(config, "")
    pages[f"{folder}/index.html"] = render_archive(
        templates, config.site, config.digest, rows, links.feed_url
    ).encode()
    plan = FeedPlan(
        path=f"{folder}/atom.xml",
        id=config.site.make_id(f"feed:{folder}"),
        title=config.digest.title,
        description=f"Every issue of {config.digest.title}",
        bookmarks=(),
        updated=max(e.date for e in entries),
        alternate=links.archive_url,
    )
    pages[f"{folder}/atom.xml"] = build_issue_feed(config.site, plan, entries)
    return pages


# --- sending ---------------------------------------------------------------------------------


@dataclass
class SendReport:
    issue: str
    sent: list[str] = field(default_factory=list)
    already: int = 0
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
            report.already += 1
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
            raise SendError(_stopped(report, str(exc), "fix the SMTP settings")) from None
        if attempt < pacing.max_retries:
            pacing.sleep(pacing.retry_base_seconds * 2**attempt)
    if fatal:
        raise SendError(_stopped(report, last, "check smtp.host and smtp.port, then run send again"))
    return "deferred", last


def _stopped(report: SendReport, reason: str, hint: str) -> list[Problem]:
    done = f"{len(report.sent)} sent in this run" + (f", {report.already} earlier" if report.already else "")
    return [
        Problem(
            "smtp",
            None,
            None,
            f"sending stopped: {reason} ({done}; the rest are not sent yet)",
            f"{hint}; nobody is mailed twice",
        )
    ]
