"""Which issue is due, what it holds, and the names and addresses that go with it.

An issue belongs to a weekly send moment (a "slot", see `slots`). Its bookmarks are those dated
since the previous issue's slot (the first issue: `digest.first_issue_days` before its slot) that
no earlier issue held. An issue is recorded in the ledger when it is published (`send`, or
`digest --publish`); from then on its bookmarks are fixed, so a resumed send mails the same issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from ..model import Bookmark, Config, Issue
from ..select import select_issue
from ..values.text import shorten
from .ledger import IssueRecord, Ledger
from .slots import latest_slot

MONTHS = "January February March April May June July August September October November December".split()


@dataclass(frozen=True)
class Links:
    web_url: str
    archive_url: str
    feed_url: str


@dataclass(frozen=True)
class IssueSummary:
    """A published issue as the archive page and the issue feed show it."""

    id: str
    number: int
    slug: str
    subject: str
    url: str
    end: datetime
    end_text: str
    bookmarks: tuple[Bookmark, ...]


def digest_zone(config: Config) -> ZoneInfo:
    return config.digest.timezone or config.site.timezone


def slot_for(config: Config, moment: datetime) -> datetime:
    spec = config.digest
    return latest_slot(moment, spec.weekday, spec.time, digest_zone(config))


def slug_for(config: Config, slot: datetime) -> str:
    return slot.astimezone(digest_zone(config)).date().isoformat()


def past_deadline(config: Config, slot: datetime, now: datetime) -> bool:
    """Whether an issue due at `slot` is too late to start at `now` (digest.deadline_hours)."""
    return now > slot + timedelta(hours=config.digest.deadline_hours)


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


def record_published(ledger: Ledger, issue: Issue, now: datetime) -> Issue:
    """Record `issue` as published (unless it already is) and return it as the ledger has it."""
    record = ledger.record_issue(issue.slug, issue.start, issue.end, now, [b.id for b in issue.bookmarks])
    return issue_from_record(record, {b.id: b for b in issue.bookmarks})


def links_for(config: Config, slug: str) -> Links:
    base = config.site.base_url + config.digest.path + "/"
    return Links(web_url=f"{base}{quote(slug)}.html", archive_url=base, feed_url=f"{base}atom.xml")


def summarize_issues(
    config: Config, records: list[IssueRecord], bookmarks: list[Bookmark]
) -> list[IssueSummary]:
    """Every published issue, newest first."""
    by_id = {b.id: b for b in bookmarks}
    summaries = []
    for record in sorted(records, key=lambda r: r.number, reverse=True):
        issue = issue_from_record(record, by_id)
        summaries.append(
            IssueSummary(
                id=config.site.make_id(f"issue:{issue.slug}"),
                number=issue.number,
                slug=issue.slug,
                subject=subject(config.digest.title, issue.number, list(issue.bookmarks)),
                url=links_for(config, issue.slug).web_url,
                end=issue.end,
                end_text=issue.end.astimezone(digest_zone(config)).date().isoformat(),
                bookmarks=issue.bookmarks,
            )
        )
    return summaries


def subject(title: str, number: int, ordered: list[Bookmark]) -> str:
    if not ordered:
        return f"{title} #{number}"
    rest = f" and {len(ordered) - 1} more" if len(ordered) > 1 else ""
    return f"{title} #{number}: {shorten(ordered[0].title, 80)}{rest}"


def day_text(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"
