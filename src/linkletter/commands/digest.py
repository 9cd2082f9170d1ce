"""`digest`: preview the due issue, or publish it (record it, store its web page and write the
digest's archive into dist/). Publishing never rewrites the bookmark feeds."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path

from ..errors import Problem, UserError
from ..model import Bookmark, Config, Digest, Issue, Recipient
from ..newsletter.issues import plan_issue, record_published, slot_for
from ..newsletter.ledger import Ledger
from ..newsletter.message import Unsubscribe, build_message, message_bytes
from ..newsletter.render import render_issue
from ..publish.templates import Templates
from . import Outcome, config_name, nothing_new, plural
from .archive import archive_files, store_issue_page
from .build import BuildResult, ledger_path, load_site, write_files

PREVIEW_RECIPIENT = Recipient("subscriber@example.org", "A Subscriber")


def preview_digest(config: Config, now: datetime, publish: bool = False, out: Path | None = None) -> Outcome:
    """Render the issue due at `now` into a preview folder; with `publish`, also record it and
    write the digest's pages into dist/ (never the bookmark feeds)."""
    require_sender(config)
    bookmarks, problems = load_site(config, now)
    with open_ledger(config, create=publish) as ledger:
        issue = plan_issue(config, bookmarks, ledger.issues() if ledger else [], slot_for(config, now), now)
        if not issue.bookmarks:
            return Outcome(nothing_new(issue), problems)
        digest, more = publish_issue(config, ledger, issue, bookmarks, now, record=publish)
    problems = problems + more
    issue = digest.issue
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


def publish_issue(
    config: Config, ledger: Ledger | None, issue: Issue, bookmarks: list[Bookmark], now: datetime, record: bool
) -> tuple[Digest, list[Problem]]:
    """The issue's digest; with `record`, the issue is also recorded as published, its web page
    stored, and the digest's archive written into dist/ (problems from that writing returned)."""
    if not record or ledger is None:
        return render_issue(config, Templates(config.build.templates_dir, config.root), issue), []
    issue = record_published(ledger, issue, now)
    digest = render_issue(config, Templates(config.build.templates_dir, config.root), issue)
    store_issue_page(config, digest)
    result = BuildResult(bookmarks, [])
    try:
        write_files(config, result, archive_files(config, bookmarks))
    except UserError as exc:
        result.problems += exc.problems
    return digest, result.problems


def require_sender(config: Config) -> None:
    if not config.digest.sender:
        raise UserError(
            Problem(
                config_name(config),
                "missing; needed to send",
                field="digest.from",
                hint="write e.g. from: Your Name <links@example.org>",
            )
        )


def open_ledger(config: Config, create: bool) -> AbstractContextManager[Ledger | None]:
    path = ledger_path(config)
    return Ledger(path) if create or path.exists() else nullcontext(None)
