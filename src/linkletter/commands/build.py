"""`build` and `check`: content -> selection -> feeds and pages -> dist/. Returns results; never
prints. Building never renders an email: the archive's issue pages come from the state folder,
where publishing an issue stored them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..content.load import load_bookmarks
from ..errors import NOTE, Problem, UserError, shown_path
from ..locks import holding
from ..model import Bookmark, Config, Issue
from ..newsletter.issues import links_for
from ..newsletter.recipients import load_recipients
from ..newsletter.render import render_issue
from ..publish.feeds import FeedPlan, build_feed_files
from ..publish.output import UNCHANGED, remove_stale_temporaries, write_if_changed
from ..publish.pages import build_feed_lists, index_feeds, render_archive, render_index
from ..publish.plan import plan_feeds
from ..publish.templates import Templates
from ..select import newest_first, select_published
from ..settings.placeholders import placeholder_problems
from .archive import archive_files


@dataclass
class BuildResult:
    bookmarks: list[Bookmark]
    problems: list[Problem]
    feeds: list[FeedPlan] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)


def load_site(config: Config, now: datetime) -> tuple[list[Bookmark], list[Problem]]:
    return load_bookmarks(config.build.content_dir, config.root, config.site, now)


def build_site(config: Config, now: datetime, write: bool = True) -> BuildResult:
    """Read content, plan every feed, and (unless write is False) write feeds and pages into dist/."""
    bookmarks, problems = load_site(config, now)
    result = BuildResult(bookmarks, problems)
    result.feeds = plan_feeds(config, bookmarks, now)
    held_back = len(bookmarks) - len(select_published(bookmarks, now))
    if held_back:
        result.problems.append(
            Problem(
                config.build.content_dir.name,
                f"{held_back} bookmark(s) dated after now are left out until their date",
                severity=NOTE,
            )
        )
    if write:
        files = {
            p: d
            for plan in result.feeds
            for p, d in build_feed_files(config.site, plan, config.build.xsl).items()
        }
        files.update(pages(config, result, bookmarks))
        write_files(config, result, files)
    return result


def pages(config: Config, result: BuildResult, bookmarks: list[Bookmark]) -> dict[str, bytes]:
    """The digest archive and the index page. A broken template is reported and its pages left
    as they are; the feeds are written all the same."""
    files: dict[str, bytes] = {}
    try:
        files.update(archive_files(config, bookmarks))
    except UserError as exc:
        result.problems += exc.problems
    with_digest = ledger_path(config).exists()
    try:
        files["index.html"] = index_page(config, result.feeds, with_digest).encode()
        files.update(build_feed_lists(config, result.feeds, digest_links(config, with_digest)))
    except UserError as exc:
        result.problems += exc.problems
    return files


def check_site(config: Config, now: datetime) -> BuildResult:
    """Everything `build` would do, without writing; plus the templates and the recipients file."""
    result = build_site(config, now, write=False)
    result.problems += placeholder_problems(config) + check_templates(config, result, now)
    recipients = config.digest.recipients
    if recipients is not None:
        result.problems += load_recipients(recipients, shown_path(recipients, config.root))[1]
    return result


def check_templates(config: Config, result: BuildResult, now: datetime) -> list[Problem]:
    """Every template compiles and renders with real data: a sample issue of the newest
    bookmarks, the archive and the index page."""
    templates = Templates(config.build.templates_dir, config.root)
    problems = templates.check()
    sample = tuple(newest_first(select_published(result.bookmarks, now))[:6])
    try:
        render_issue(config, templates, Issue(1, "sample", now, now, sample))
        index_page(config, result.feeds, True)
        render_archive(templates, config.site, config.digest, [], "https://example.org/feed")
    except UserError as exc:
        problems += [p for p in exc.problems if p not in problems]
    return problems


def ledger_path(config: Config) -> Path:
    return config.build.state_dir / "ledger.sqlite"


def write_files(config: Config, result: BuildResult, files: dict[str, bytes]) -> None:
    """Write every changed file; stop at the first that cannot be written (a full disk or a
    read-only folder fails them all alike). Files already replaced stay complete."""
    with holding(config.build.state_dir / "build.lock", wait=True):
        remove_stale_temporaries(config.build.output_dir)
        pending = sorted(files.items())
        for index, (relpath, data) in enumerate(pending):
            try:
                status = write_if_changed(config.build.output_dir, relpath, data)
            except UserError as exc:
                result.problems += exc.problems + [_not_written(config, len(pending) - index)]
                return
            (result.unchanged if status == UNCHANGED else result.written).append(relpath)


def _not_written(config: Config, count: int) -> Problem:
    return Problem(
        config.build.output_dir.name,
        f"{count} file(s) were not written; the ones already in place are complete",
        hint="fix the cause and build again",
    )


def index_page(config: Config, plans: list[FeedPlan], with_digest: bool) -> str:
    feeds = index_feeds(config.site, plans)
    templates = Templates(config.build.templates_dir, config.root)
    return render_index(templates, config.site, feeds, digest_links(config, with_digest))


def digest_links(config: Config, with_digest: bool) -> dict | None:
    """The newsletter's archive and issue feed, once an issue was published."""
    if not with_digest:
        return None
    links = links_for(config, "")
    return {"title": config.digest.title, "archive_url": links.archive_url, "feed_url": links.feed_url}
