"""The digest's public archive in dist/: each published issue's web page, the archive index and the
issue feed. An issue's web page is rendered once, when the issue is published, and kept in the
state folder; builds copy it (and render it only if it is missing, e.g. in an older state folder),
so a build never renders an email and never re-runs premailer."""

from __future__ import annotations

from pathlib import Path

from ..model import Bookmark, Config, Digest, Issue
from ..newsletter.issues import IssueSummary, issue_from_record, links_for, summarize_issues
from ..newsletter.ledger import IssueRecord, Ledger
from ..publish.feeds import FeedPlan, IssueEntry, build_issue_feed
from ..publish.output import write_atomic
from ..publish.pages import render_archive
from ..publish.templates import Templates, project_templates


def archive_files(config: Config, bookmarks: list[Bookmark]) -> dict[str, bytes]:
    """{path in dist/: bytes} for the digest archive; empty when no issue was published."""
    path = config.build.state_dir / "ledger.sqlite"
    if not path.exists():
        return {}
    with Ledger(path) as ledger:
        records = ledger.issues()
    if not records:
        return {}
    templates = project_templates(config)
    folder = config.digest.path
    files = {
        f"{folder}/{record.slug}.html": issue_page(config, templates, record, bookmarks) for record in records
    }
    summaries = summarize_issues(config, records, bookmarks)
    links = links_for(config, "")
    files[f"{folder}/index.html"] = render_archive(
        templates, config.site, config.digest, [_row(s) for s in summaries], links.feed_url
    ).encode()
    files[f"{folder}/atom.xml"] = issue_feed(config, summaries)
    return files


def has_issues(config: Config) -> bool:
    """Whether an issue was published: the pages link to the archive only then (a `digest
    --publish` with nothing new creates the ledger and publishes nothing)."""
    path = config.build.state_dir / "ledger.sqlite"
    if not path.exists():
        return False
    with Ledger(path) as ledger:
        return bool(ledger.issues())


def stored_page(config: Config, slug: str) -> Path:
    return config.build.state_dir / "issues" / f"{slug}.html"


def store_issue_page(config: Config, digest: Digest) -> None:
    """Keep a published issue's web page for every later build."""
    target = stored_page(config, digest.issue.slug)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, digest.web_html.encode())


def issue_page(config: Config, templates: Templates, record: IssueRecord, bookmarks: list[Bookmark]) -> bytes:
    stored = stored_page(config, record.slug)
    try:
        return stored.read_bytes()
    except FileNotFoundError:
        pass
    from ..newsletter.render import render_web_page  # premailer: only for a page not stored yet

    issue: Issue = issue_from_record(record, {b.id: b for b in bookmarks})
    page = render_web_page(
        templates, config.site, config.digest, issue, links_for(config, issue.slug)
    ).encode()
    stored.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(stored, page)
    return page


def issue_feed(config: Config, summaries: list[IssueSummary]) -> bytes:
    folder = config.digest.path
    plan = FeedPlan(
        path=f"{folder}/atom.xml",
        id=config.site.make_id(f"feed:{folder}"),
        title=config.digest.title,
        description=f"Every issue of {config.digest.title}",
        bookmarks=(),
        updated=max(s.end for s in summaries),
        alternate=links_for(config, "").archive_url,
    )
    entries = [IssueEntry(s.id, s.subject, s.url, s.end, s.bookmarks) for s in summaries]
    return build_issue_feed(config.site, plan, entries)


def _row(summary: IssueSummary) -> dict[str, object]:
    return {
        "number": summary.number,
        "url": summary.url,
        "subject": summary.subject,
        "end_text": summary.end_text,
    }
