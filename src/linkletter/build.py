"""Orchestration: content -> selection -> feeds -> dist/. Returns results; never prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from .content import load_bookmarks
from .errors import OutputError, Problem, UserError, shown_path
from .feeds import FeedPlan, build_feed_files, feed_paths, public_url
from .ledger import Ledger
from .locks import holding
from .model import Bookmark, Category, Config, FeedSpec, Issue
from .newsletter import digest_pages, links_for, render_issue
from .output import UNCHANGED, remove_stale_temporaries, write_if_changed
from .pages import Templates, render_archive, render_index
from .recipients import load_recipients
from .select import newest_first, select_categories, select_for_feed, select_published

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


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


def build_site(
    config: Config, now: datetime, write: bool = True, loaded: list[Bookmark] | None = None
) -> BuildResult:
    """Read content (unless `loaded` gives the bookmarks, whose problems the caller reported),
    plan every feed, and (unless write is False) write them into dist/."""
    bookmarks, problems = (loaded, []) if loaded is not None else load_site(config, now)
    result = BuildResult(bookmarks, problems)
    result.feeds = plan_feeds(config, bookmarks, now)
    held_back = len(bookmarks) - len(select_published(bookmarks, now))
    if held_back:
        result.problems.append(
            Problem(
                config.build.content_dir.name,
                None,
                None,
                f"{held_back} bookmark(s) dated after now are left out until their date",
                severity="note",
            )
        )
    if write:
        files = {p: d for plan in result.feeds for p, d in build_feed_files(config.site, plan).items()}
        files.update(pages(config, result, bookmarks))
        write_files(config, result, files)
    return result


def pages(config: Config, result: BuildResult, bookmarks: list[Bookmark]) -> dict[str, bytes]:
    """The digest archive and the index page. A broken template is reported and its pages left
    as they are; the feeds are written all the same."""
    files: dict[str, bytes] = {}
    try:
        files.update(archive_pages(config, bookmarks))
    except UserError as exc:
        result.problems += exc.problems
    try:
        files["index.html"] = index_page(config, result.feeds, ledger_path(config).exists()).encode()
    except UserError as exc:
        result.problems += exc.problems
    return files


def check_site(config: Config, now: datetime) -> BuildResult:
    """Everything `build` would do, without writing; plus the templates and the recipients file."""
    result = build_site(config, now, write=False)
    result.problems += check_templates(config, result, now)
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


def archive_pages(config: Config, bookmarks: list[Bookmark]) -> dict[str, bytes]:
    """The digest's published issues, index and feed, when any issue was published."""
    if not ledger_path(config).exists():
        return {}
    with Ledger(ledger_path(config)) as ledger:
        records = ledger.issues()
    return digest_pages(config, Templates(config.build.templates_dir, config.root), bookmarks, records)


def write_files(config: Config, result: BuildResult, files: dict[str, bytes]) -> None:
    """Write every changed file; stop at the first that cannot be written (a full disk or a
    read-only folder fails them all alike). Files already replaced stay complete."""
    with holding(config.build.state_dir / "build.lock", wait=True):
        _write_all(config, result, sorted(files.items()))


def _write_all(config: Config, result: BuildResult, pending: list[tuple[str, bytes]]) -> None:
    remove_stale_temporaries(config.build.output_dir)
    for index, (relpath, data) in enumerate(pending):
        try:
            status = write_if_changed(config.build.output_dir, relpath, data)
        except OutputError as exc:
            result.problems.extend(exc.problems)
            left = len(pending) - index
            result.problems.append(
                Problem(
                    config.build.output_dir.name,
                    None,
                    None,
                    f"{left} file(s) were not written; the ones already in place are complete",
                    "fix the cause and build again",
                )
            )
            return
        (result.unchanged if status == UNCHANGED else result.written).append(relpath)


def index_page(config: Config, plans: list[FeedPlan], with_digest: bool) -> str:
    feeds = [
        {
            "title": plan.title,
            "count": len(plan.bookmarks),
            **{f"{kind}_url": public_url(config.site, path) for kind, path in feed_paths(plan).items()},
        }
        for plan in plans
    ]
    digest = None
    if with_digest:
        links = links_for(config, "")
        digest = {"archive_url": links.archive_url, "feed_url": links.feed_url}
    return render_index(Templates(config.build.templates_dir, config.root), config.site, feeds, digest)


def feed_specs(config: Config, bookmarks: list[Bookmark]) -> list[FeedSpec]:
    """The configured feeds (or one 'all' feed), plus one per category if enabled."""
    specs = list(config.feeds) or [default_feed_spec(config)]
    if config.build.category_feeds:
        specs += [category_feed_spec(config, c) for c in select_categories(bookmarks)]
    return specs


def default_feed_spec(config: Config) -> FeedSpec:
    site = config.site
    return FeedSpec(
        slug="all",
        folder="feeds",
        title=site.title,
        description=site.description or f"Everything saved on {site.title}",
        categories=None,
        limit=config.build.feed_limit,
    )


def category_feed_spec(config: Config, category: Category) -> FeedSpec:
    return FeedSpec(
        slug=category.slug,
        folder="categories",
        title=f"{config.site.title}: {category.name}",
        description=f"Bookmarks in {category.name} from {config.site.title}",
        categories=(category.key,),
        limit=config.build.feed_limit,
    )


def plan_feeds(config: Config, bookmarks: list[Bookmark], now: datetime) -> list[FeedPlan]:
    published = select_published(bookmarks, now)
    fallback = max((b.date for b in published), default=EMPTY_FEED_DATE)
    plans = []
    for spec in feed_specs(config, published):
        chosen = select_for_feed(published, spec, now)
        plans.append(
            FeedPlan(
                path=f"{spec.folder}/{spec.slug}",
                id=config.site.make_id(f"feed:{spec.folder}/{spec.slug}"),
                title=spec.title,
                description=spec.description,
                bookmarks=tuple(chosen),
                updated=max((b.date for b in chosen), default=fallback),
                alternate=config.site.home_url or config.site.base_url,
            )
        )
    return plans
