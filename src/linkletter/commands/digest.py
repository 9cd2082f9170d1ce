"""`digest`: preview the due issue, or publish it (record it, store its web page and write the
digest's archive into dist/). Publishing never rewrites the bookmark feeds."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from ..content.finish import finish_bookmarks
from ..errors import Problem, UserError
from ..model import Bookmark, Config, Issue, Recipient
from ..newsletter.issues import plan_issue, record_published, slot_for
from ..newsletter.ledger import IssueRecord, Ledger
from ..newsletter.message import Unsubscribe, build_message, message_bytes
from ..newsletter.render import Edition, render_issue
from ..newsletter.transport import write_atomic
from ..publish.templates import project_templates
from . import Outcome, config_name, nothing_new, plural
from .archive import archive_files, store_issue_page
from .build import BuildResult, ledger_path, load_site, write_files

PREVIEW_RECIPIENT = Recipient("subscriber@example.org", "A Subscriber")
EARLIEST_YEAR = 1990  # bookmarks before 1990 are refused; no issue can be older


def preview_digest(config: Config, now: datetime, publish: bool = False, out: Path | None = None) -> Outcome:
    """Render the issue due at `now` into a preview folder; with `publish`, also record it and
    write the digest's pages into dist/ (never the bookmark feeds)."""
    require_sender(config)
    require_sane_date(now)
    bookmarks, problems = load_site(config, now, finish=False)
    with open_ledger(config, create=publish) as ledger:
        records = ledger.issues() if ledger else []
        issue = plan_issue(config, bookmarks, records, slot_for(config, now), now)
        if not issue.bookmarks:
            return Outcome(nothing_new(issue), problems)
        bookmarks, issue, finished = finish_issue(bookmarks, issue, records)
        problems += finished
        edition, more = publish_issue(config, ledger, issue, bookmarks, now, record=publish)
    problems = problems + more + list(edition.problems)
    digest = edition.digest
    issue = digest.issue
    folder = out_folder(out, config.build.state_dir / "preview" / issue.slug, "--out")
    message = write_preview(config, edition, folder, now)
    text = (
        f"issue {issue.number} ({issue.slug}): {plural(len(issue.bookmarks), 'link')}; "
        f"subject: {digest.subject}; message {len(message) / 1024:.1f} KB as sent (Gmail clips at 102 KB); "
        f"preview in {folder}"
    )
    if publish:
        text += f"; published {digest.web_url}"
    return Outcome(text, problems)


def out_folder(chosen: Path | None, default: Path, option: str) -> Path:
    """The folder for previews or the outbox, created; a clear error when it cannot be one."""
    folder = chosen or default
    if folder.exists() and not folder.is_dir():
        raise UserError(
            Problem(
                option if chosen else str(folder),
                f"{folder} is a file, not a folder",
                hint="name a folder (it is created if missing)",
            )
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            Problem(option if chosen else str(folder), f"cannot create {folder}: {exc.strerror}")
        ) from None
    return folder


def write_preview(config: Config, edition: Edition, folder: Path, now: datetime) -> bytes:
    """email.html, email.txt, message.eml (for a sample recipient) and web.html in `folder`,
    each written whole or not at all."""
    spec = config.digest
    unsubscribe = Unsubscribe(
        spec.unsubscribe_url or "https://example.org/unsubscribe", spec.unsubscribe_mailto, "preview"
    )
    message = build_message(edition, spec, PREVIEW_RECIPIENT, unsubscribe, now)
    data = message_bytes(message)
    html_part, text_part = message.get_body(("html",)), message.get_body(("plain",))
    assert html_part is not None and text_part is not None, "build_message writes both parts"
    files = {
        "email.html": html_part.get_content().encode(),
        "email.txt": text_part.get_content().encode(),
        "web.html": edition.digest.web_html.encode(),
        "message.eml": data,
    }
    try:
        for name, content in files.items():
            write_atomic(folder / name, content)
    except OSError as exc:
        raise UserError(
            Problem(
                str(folder),
                f"cannot write the preview: {exc.strerror or exc}",
                hint="free some space or choose another folder with --out",
            )
        ) from None
    return data


def finish_issue(
    bookmarks: list[Bookmark], issue: Issue, records: list[IssueRecord]
) -> tuple[list[Bookmark], Issue, list[Problem]]:
    """The bodies an issue needs rendered: its own bookmarks' and those of the published issues
    (the archive's pages and feed), not every bookmark's (10,000 bodies took 3 s for a preview).
    Returns the bookmarks and the issue with those finished, and the problems of those bodies."""
    wanted = {b.id for b in issue.bookmarks} | {i for record in records for i in record.bookmark_ids}
    done, problems = finish_bookmarks([b for b in bookmarks if b.id in wanted])
    finished = replace(issue, bookmarks=tuple(done.get(b.id, b) for b in issue.bookmarks))
    return [done.get(b.id, b) for b in bookmarks], finished, problems


def publish_issue(
    config: Config,
    ledger: Ledger | None,
    issue: Issue,
    bookmarks: list[Bookmark],
    now: datetime,
    record: bool,
) -> tuple[Edition, list[Problem]]:
    """The issue's edition; with `record`, the issue is also recorded as published, its web page
    stored, and the digest's archive written into dist/ (problems from that writing returned)."""
    templates = project_templates(config)
    if not record or ledger is None:
        return render_issue(config, templates, issue), []
    issue = record_published(ledger, issue, now)
    edition = render_issue(config, templates, issue)
    result = BuildResult(bookmarks, [])
    try:
        store_issue_page(config, edition.digest)
        write_files(config, result, archive_files(config, bookmarks))
    except UserError as exc:
        result.problems += exc.problems
    except OSError as exc:
        result.problems.append(
            Problem(str(config.build.state_dir), f"cannot store the issue's web page: {exc.strerror or exc}")
        )
    return edition, result.problems


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


def require_sane_date(now: datetime) -> None:
    """No issue can predate the bookmarks (years before 1990 are refused there too)."""
    if now.year < EARLIEST_YEAR:
        raise UserError(
            Problem(
                "--date",
                f"{now:%Y-%m-%d} is before {EARLIEST_YEAR}; no issue can be that old",
                hint="write e.g. --date 2024-05-13",
            )
        )


def open_ledger(config: Config, create: bool) -> AbstractContextManager[Ledger | None]:
    path = ledger_path(config)
    return Ledger(path) if create or path.exists() else nullcontext(None)
