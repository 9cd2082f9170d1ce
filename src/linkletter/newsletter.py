"""The weekly digest, wired together: which issue is due, and its pages in dist/ (the send loop is
in `delivery`).

An issue belongs to a weekly send moment (a "slot", see `slots`). Its bookmarks are those dated
since the previous issue's slot (the first issue: `digest.first_issue_days` before its slot) that
no earlier issue held. An issue is recorded in the ledger when it is published (`send`, or
`digest --publish`); from then on its bookmarks are fixed, so a resumed send mails the same issue.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import quote

from .digest import Links, render_digest
from .feeds import FeedPlan, IssueEntry, build_issue_feed
from .ledger import IssueRecord, Ledger
from .mail import message_size
from .model import Bookmark, Config, Digest, Issue
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
