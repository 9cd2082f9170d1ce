"""`build` and `check`: content -> selection -> feeds and pages -> dist/. Returns results; never
prints. Building never renders an email: the archive's issue pages come from the state folder,
where publishing an issue stored them."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..content.cache import ParseCache, cache_folder, save_cache
from ..content.finish import finish_all, finish_key
from ..content.load import Scan, load_bookmarks, scan_bookmark_files
from ..content.merge import Merged
from ..errors import NOTE, WARNING, Problem, UserError, shown_path
from ..locks import holding
from ..model import Bookmark, Config, Issue, Progress
from ..newsletter.issues import links_for
from ..newsletter.recipients import load_recipients
from ..publish.feeds import FeedPlan, Listed, feed_paths, listed_feeds
from ..publish.manifest import Manifest, load_manifest, remove_stale
from ..publish.plan import plan_feeds
from ..publish.spliced import build_many_feed_files
from ..select import newest_first, select_published
from ..settings.placeholders import placeholder_problems
from ..values.pools import Forked
from .delta import plan_delta
from .guard import shrink_problems
from .incremental import (
    feeds_to_render,
    finish_shown,
    intact,
    issue_ids,
    memo_keys,
    open_cache,
    pages_mark,
    record_feeds,
    unchanged_pages,
)
from .lights import Planned, plan_lights
from .namespace import apply_recorded_namespace, record_namespace
from .shortcut import (
    FAR_FUTURE,
    forget_state,
    inputs_key,
    listing_digest,
    usable_state,
    watched_files,
)
from .snapshot import Pickling, load_snapshot, save_snapshot, snapshot_key
from .writing import keep_manifest, keep_state, manifest_path, write_locked


@dataclass
class BuildResult:
    bookmarks: list[Bookmark]
    problems: list[Problem]
    feeds: list[FeedPlan] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    counts: tuple[int, int] | None = None  # (bookmarks, feeds) when `bookmarks` does not hold them all
    planned_by: str = ""  # a writing build: "shortcut" (nothing changed), "delta" or "full"

    @property
    def bookmark_count(self) -> int:
        return self.counts[0] if self.counts else len(self.bookmarks)

    @property
    def feed_count(self) -> int:
        return self.counts[1] if self.counts else len(self.feeds)

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)


def load_site(config: Config, now: datetime, finish: bool = True) -> tuple[list[Bookmark], list[Problem]]:
    """Every bookmark (bodies rendered unless `finish` is False), reading unchanged files from
    the parse cache without updating it."""
    cache, _ = open_cache(config, True)
    return load_bookmarks(config.build.content_dir, config.root, config.site, now, cache, finish)


def build_site(
    config: Config,
    now: datetime,
    write: bool = True,
    allow_shrink: bool = False,
    use_cache: bool = True,
    progress: Progress | None = None,
) -> BuildResult:
    """Read content, plan every feed, and (unless write is False) write feeds and pages into dist/.
    A writing build reads the content while it holds the build lock, so a build that waited for
    another one never writes what it read before the wait. Without `use_cache` every file is
    parsed (the cache is written anew). `progress` hears how parsing and writing go."""
    config, notes = apply_recorded_namespace(config)
    if not write:
        cache, more = open_cache(config, use_cache)
        result = plan_site(config, now, cache, finish=True)
        result.problems += notes + more
        return result
    with build_lock(config), collecting_later():
        started = time.time_ns()
        first = not use_cache or not (cache_folder(config.build.state_dir) / "header.pickle").exists()
        scan = scan_bookmark_files(config.build.content_dir, config.root, identities=not first)
        listed = listing_digest(scan.files) if not first else b""  # a first build's: once read
        watched = watched_files(config)
        state = None
        if not first:
            state = usable_state(
                config, inputs_key(config, allow_shrink, listed, scan.problems, watched), now, scan.files
            )
        if state is not None:
            problems = state.problems + notes
            return BuildResult(
                [], problems, unchanged=sorted(state.outputs), counts=state.counts, planned_by="shortcut"
            )
        forget_state(config)
        with closing(Pages(config)) as pages:  # forked now: it gets ready while the build plans
            cache, more = open_cache(config, use_cache)
            cache.seen, cache.started_ns = {shown for _, shown, _ in scan.files}, started
            ids = issue_ids(ledger_path(config))
            manifest = load_manifest(manifest_path(config), _shown(config, manifest_path(config)))
            settled = intact(config, manifest)
            planned = plan(config, now, cache, scan, ids, use_cache and not more, settled, progress)
            if first:  # each file's identity as it was read (`lights.read_lights`)
                listed = listing_digest(scan.files)
            pickling = Pickling(planned.snapshot, started) if planned.snapshot is not None else None
            feeds = planned.shown.feeds
            result = BuildResult(
                [], planned.problems, feeds, counts=(planned.count, len(feeds)), planned_by=planned.by
            )
            result.problems += unmatched_feeds(config, planned.keys) + held_back(config, planned.later, now)
            once = notes + record_namespace(config)  # the namespace's messages, not repeated by the state
            result.problems += once
            guard = shrink_problems(config, result, manifest, allow_shrink)
            result.problems += guard
            cache_kept = False
            if not any(p.is_error for p in guard):
                cache_kept = write_site(config, result, planned, ids, manifest, cache, pages, progress)
                kept = [p for p in result.problems if p not in once]
                inputs = (allow_shrink, listed, scan.problems, watched)
                if cache_kept:  # else the next build tries again (and says so again)
                    keep_state(config, result, manifest, planned, now, kept, inputs)
            if pickling is not None and cache_kept:  # the next build takes both, or neither
                save_snapshot(config, pickling, dict(manifest.fingerprints))
            elif pickling is not None:
                pickling.result()
            result.problems += more
    return result


def plan(
    config: Config,
    now: datetime,
    cache: ParseCache,
    scan: Scan,
    ids: set[str],
    use_cache: bool,
    settled: Callable[[str, str], bool],
    progress: Progress | None,
) -> Planned:
    """Re-planned from the last snapshot when it can be, else planned in full (and a snapshot
    made for the next build). The snapshot is trusted only with the parse cache it was made
    with: not with `--no-cache`, nor when the cache was missing or could not be read.
    `settled(feed path, fingerprint)`: whether the feed was last written with it, so a feed
    the changes do not touch is left as it is, its bookmarks not even read."""
    key = snapshot_key(config, ids)
    snapshot = load_snapshot(config, key) if use_cache and cache.saved_ns else None
    planned = plan_delta(config, now, cache, scan, ids, snapshot, settled, progress) if snapshot else None
    return planned or plan_lights(config, now, cache, scan, ids, progress, key)


def write_site(
    config: Config,
    result: BuildResult,
    planned: Planned,
    ids: set[str],
    manifest: Manifest,
    cache: ParseCache,
    pages: Pages,
    progress: Progress | None = None,
) -> bool:
    """Finish the shown bookmarks, write the feeds that changed and the pages, remove what is no
    longer generated, and keep the manifest and the parse cache (whether it could be kept)."""
    plans = result.feeds
    mark = pages_mark(config, plans, planned.shown.issued)  # their bodies as shown: in Markdown or not
    kept = unchanged_pages(config, manifest, mark)
    # given now, to work while this process does, unless it would render bodies finish_shown renders
    early = all(b.unrendered is None or finish_key(b) in cache.memo for b in planned.shown.issued)
    if kept is not None:
        pages.keep(kept)
    elif early:
        pages.make(result, plans, planned.shown.issued, cache.memo)
    fresh = feeds_to_render(config, result.feeds, manifest, planned.shown.prints)
    issued, result.feeds, finished = finish_shown(planned.shown.issued, plans, ids, cache.memo)
    if kept is None and not early:
        pages.make(result, plans, issued)
    result.problems += finished
    names = [p for plan in result.feeds for p in feed_paths(plan).values()]
    result.unchanged += [
        p for plan in result.feeds if plan.path not in fresh for p in feed_paths(plan).values()
    ]
    reported = len(result.problems)
    result.unchanged += kept or []
    changed = [plan for plan in result.feeds if plan.path in fresh]
    listed = names + (kept or [])  # and the pages made, once they are
    write_locked(config, result, manifest, listed, _files(config, changed, pages, listed), progress)
    page_names = pages.names()
    result.removed, problems = remove_stale(config.build.output_dir, manifest, set(names) | set(page_names))
    result.problems += problems
    record_feeds(config, result, manifest, fresh)
    done = set(result.written) | set(result.unchanged)
    whole = len(result.problems) == reported and all(p in done for p in page_names)
    manifest.pages = {p: mark for p in page_names} if whole else {}
    manifest.feeds = {p: plan.size for plan in result.feeds for p in feed_paths(plan).values()}
    manifest.content = planned.folders
    result.problems += keep_manifest(config, manifest)
    keys = memo_keys(plans, planned.shown.issued, ids)
    partly = any(plan.settled for plan in plans)  # their bodies are not known here: keep what was kept
    if partly:
        keys |= set(cache.memo)
    unsaved = save_cache(cache, keys, planned.shown.entries, keep_hot=partly)
    result.problems += unsaved
    return not unsaved


def plan_site(
    config: Config, now: datetime, cache: ParseCache | None = None, finish: bool = False
) -> BuildResult:
    """Every bookmark (bodies rendered if `finish`) and every feed's plan, written nowhere."""
    content = config.build.content_dir
    bookmarks, problems = load_bookmarks(content, config.root, config.site, now, cache, finish)
    result = BuildResult(bookmarks, problems)
    result.feeds = plan_feeds(config, bookmarks, now)
    result.problems += unmatched_feeds(config, {c.key for b in bookmarks for c in b.categories})
    result.problems += held_back(config, bookmarks, now)
    return result


def held_back(config: Config, bookmarks: Sequence[Bookmark | Merged], now: datetime) -> list[Problem]:
    """Bookmarks dated after now wait for their date (a note); one dated further ahead than
    FAR_FUTURE is most likely a typo in the year, and its file is named (a warning)."""
    later = [b for b in bookmarks if b.date > now]
    far = sorted((b for b in later if b.date > now + FAR_FUTURE), key=lambda b: b.source)
    problems = [
        Problem(
            b.source,
            f"dated {b.date:%Y-%m-%d}, more than {FAR_FUTURE.days} days from now; left out until then",
            field="date",
            hint="a typo in the year?",
            severity=WARNING,
        )
        for b in far
    ]
    if len(later) > len(far):
        problems.append(
            Problem(
                config.build.content_dir.name,
                f"{len(later) - len(far)} bookmark(s) dated after now are left out until their date",
                severity=NOTE,
            )
        )
    return problems


def _files(
    config: Config, plans: list[FeedPlan], pages: Pages, listed: list[str]
) -> Iterator[tuple[str, bytes]]:
    """Each feed's bytes made just before they are written, one feed at a time, so memory holds
    one feed, not all of them; then the pages (their names join `listed`)."""
    for files in build_many_feed_files(config.site, plans, config.build.xsl):
        yield from files.items()
    made = pages.files()
    listed += sorted(made)
    yield from sorted(made.items())


GIVEN_AT_MOST = 600  # published issues' bookmarks given to the pages' child (about ten issues)


class Pages:
    """A build's pages: the ones `kept` as they are, or the ones made (`render_pages`) in a
    child forked before the build plans. It imports what pages need meanwhile, and is given
    the feeds and the issues' bookmarks once they are known (`make`), to work while the feeds
    are written; its problems join the result's once."""

    def __init__(self, config: Config):
        self.config = config
        self.made = Forked(render_pages, config, waiting=True, ready=_pages_ready)
        self.kept: list[str] | None = None
        self.result: BuildResult | None = None
        self.found: dict[str, bytes] | None = None

    def keep(self, kept: list[str]) -> None:
        self.kept = kept
        self.made.close()

    def make(
        self,
        result: BuildResult,
        feeds: list[FeedPlan],
        bookmarks: list[Bookmark],
        memo: MutableMapping | None = None,
    ) -> None:
        """Made from these feeds and these published issues' bookmarks (their bodies finished,
        or in `memo`). Years of issues are more than is worth sending to the waiting child: a
        child forked now shares them instead (and imports for itself)."""
        self.result = result
        if len(bookmarks) <= GIVEN_AT_MOST:
            self.made.give(listed_feeds(feeds), finish_all(bookmarks, memo)[0])
        else:
            self.made.close()
            self.made = Forked(render_pages, self.config, listed_feeds(feeds), bookmarks, memo)

    def files(self) -> dict[str, bytes]:
        """The pages made ({} when kept)."""
        if self.found is None:
            if self.kept is not None:
                self.found = {}
            else:
                assert self.result is not None, "made before its files are asked for"
                self.found, problems = self.made.result()
                self.result.problems += problems
        return self.found

    def names(self) -> list[str]:
        return self.kept if self.kept is not None else sorted(self.files())

    def close(self) -> None:
        self.made.close()


def _pages_ready() -> None:
    """In the pages' child, while it waits: the modules pages need, imported."""
    import linkletter.commands.archive  # noqa: F401
    import linkletter.publish.pages  # noqa: F401


def render_pages(
    config: Config, feeds: list[Listed], bookmarks: list[Bookmark], memo: MutableMapping | None = None
) -> tuple[dict[str, bytes], list[Problem]]:
    """The digest archive and the index page, and their problems. A broken template is reported
    and its pages left as they are; the feeds are written all the same. `feeds`:
    `publish.feeds.listed_feeds`; `bookmarks`: those of published issues, finished here where
    they are not (their problems are the build's to report)."""
    from ..publish.pages import build_feed_lists, index_feeds
    from .archive import archive_files, has_issues

    bookmarks = finish_all(bookmarks, memo)[0]

    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    try:
        files.update(archive_files(config, bookmarks))
    except UserError as exc:
        problems += exc.problems
    with_digest = has_issues(config)
    try:
        listed = index_feeds(config.site, feeds)
        files["index.html"] = index_page(config, listed, with_digest).encode()
        files.update(build_feed_lists(config, listed, digest_links(config, with_digest)))
    except UserError as exc:
        problems += exc.problems
    return files, problems


def check_site(config: Config, now: datetime, use_cache: bool = True) -> BuildResult:
    """Everything `build` would do, without writing, and every body rendered (a build renders
    only the bodies it shows, so only check reports a problem in a body no feed shows); plus the
    templates and the recipients file."""
    result = build_site(config, now, write=False, use_cache=use_cache)
    result.problems += placeholder_problems(config) + check_templates(config, result, now)
    recipients = config.digest.recipients
    if recipients is not None:
        result.problems += load_recipients(recipients, shown_path(recipients, config.root))[1]
    return result


def check_templates(config: Config, result: BuildResult, now: datetime) -> list[Problem]:
    """Every template compiles and renders with real data: a sample issue of the newest
    bookmarks, the archive and the index page."""
    from ..newsletter.render import render_issue  # premailer: only when the templates are checked
    from ..publish.pages import index_feeds, render_archive
    from ..publish.templates import project_templates

    templates = project_templates(config)
    problems = templates.check()
    sample = tuple(newest_first(select_published(result.bookmarks, now))[:6])
    try:
        render_issue(config, templates, Issue(1, "sample", now, now, sample))
        index_page(config, index_feeds(config.site, listed_feeds(result.feeds)), True)
        render_archive(templates, config.site, config.digest, [], "https://example.org/feed")
    except UserError as exc:
        problems += [p for p in exc.problems if p not in problems]
    return problems


def ledger_path(config: Config) -> Path:
    return config.build.state_dir / "ledger.sqlite"


def write_files(config: Config, result: BuildResult, files: dict[str, bytes]) -> None:
    """Write some files into dist/ (publishing an issue writes the digest's pages only) and add
    them to the manifest; nothing is removed."""
    with build_lock(config):
        manifest = load_manifest(manifest_path(config), _shown(config, manifest_path(config)))
        write_locked(config, result, manifest, sorted(files), iter(sorted(files.items())))
        result.problems += keep_manifest(config, manifest)


@contextmanager
def collecting_later() -> Iterator[None]:
    """Python's cycle collector paused for the build: loading a hundred thousand light values
    made it walk every object again and again (one edit at 100,000 bookmarks: 3.5 s of 8.6 s).
    A build makes next to no cyclic garbage; what it makes is collected after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def build_lock(config: Config) -> Iterator[None]:
    """The build lock in the state folder; a state folder that cannot hold it is a UserError."""
    try:
        lock = holding(config.build.state_dir / "build.lock", wait=True)
        lock.__enter__()
    except OSError as exc:
        raise UserError(state_problem(config, exc)) from None
    try:
        yield
    finally:
        lock.__exit__(None, None, None)


def state_problem(config: Config, exc: OSError) -> Problem:
    return Problem(
        _shown(config, config.build.state_dir),
        f"the state folder cannot be used: {exc.strerror or exc}",
        hint="build.state must name a folder linkletter can write to (default .linkletter)",
    )


def _shown(config: Config, path: Path) -> str:
    return shown_path(path, config.root)


def unmatched_feeds(config: Config, keys: set[str]) -> list[Problem]:
    """A feed definition whose categories match no bookmark (`keys`: theirs) is most likely a typo."""
    return [
        Problem(
            spec.source or f"feeds/{spec.slug}.yaml",
            f"no bookmark has any of these categories: {', '.join(spec.categories)}; the feed is empty",
            field="categories",
            hint="check the spelling against the categories in your bookmarks",
            severity=WARNING,
        )
        for spec in config.feeds
        if spec.categories is not None and not keys.intersection(spec.categories)
    ]


def index_page(config: Config, feeds: list, with_digest: bool) -> str:
    """dist/index.html (`feeds`: `publish.pages.index_feeds`)."""
    from ..publish.pages import render_index  # jinja2: only when pages are made
    from ..publish.templates import project_templates

    templates = project_templates(config)
    return render_index(templates, config.site, feeds, digest_links(config, with_digest))


def digest_links(config: Config, with_digest: bool) -> dict | None:
    """The newsletter's archive and issue feed, once an issue was published."""
    if not with_digest:
        return None
    links = links_for(config, "")
    return {"title": config.digest.title, "archive_url": links.archive_url, "feed_url": links.feed_url}
