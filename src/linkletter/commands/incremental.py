"""What lets a rebuild skip work: the parse cache's tag, finishing only the bookmarks a feed or an
issue shows, and a fingerprint per feed, so a feed whose items and settings did not change is
neither rendered nor written (its files are checked by identity to be the ones written)."""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import replace
from functools import cache
from pathlib import Path

import yaml

from ..content.cache import SHARDS, ParseCache, cache_folder, load_cache
from ..content.finish import finish_bookmarks, finish_key
from ..errors import Problem
from ..model import Bookmark, Config
from ..newsletter.ledger import Ledger
from ..publish.feeds import FEED_SUFFIXES, FeedPlan, feed_paths
from ..publish.manifest import Manifest
from ..values.files import identity_of

PACKAGE = Path(__file__).resolve().parent.parent


@cache
def code_tag() -> str:
    """The bytes of linkletter's code (its version among them) and packaged templates, the
    Python version and the versions of the installed packages (the names of the `dist-info`
    folders beside PyYAML's): a build by other code never trusts what this one stored."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(p for p in PACKAGE.rglob("*") if p.suffix in (".py", ".j2", ".css", ".xsl")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    packages = Path(yaml.__file__).resolve().parent.parent
    digest.update("\0".join(sorted(n for n in os.listdir(packages) if n.endswith(".dist-info"))).encode())
    return digest.hexdigest()


def parse_tag(config: Config) -> str:
    """Everything a file's parse depends on besides its bytes: the code, the time zone and the
    namespace of ids."""
    site = effective(config).site
    return f"{code_tag()} {site.timezone.key} {site.id_namespace}"


def effective(config: Config) -> Config:
    """The config with the namespace of ids spelt out (`id_namespace` defaults to `base_url`), so
    the build that first records it and the next one compare equal."""
    return replace(
        config, site=replace(config.site, id_namespace=config.site.id_namespace or config.site.base_url)
    )


def open_cache(config: Config, use: bool) -> tuple[ParseCache, list[Problem]]:
    if not use:
        return ParseCache(
            cache_folder(config.build.state_dir), parse_tag(config), dirty=set(range(SHARDS))
        ), []
    return load_cache(cache_folder(config.build.state_dir), parse_tag(config))


def finish_shown(
    bookmarks: list[Bookmark], plans: list[FeedPlan], issue_ids: set[str], memo: MutableMapping | None
) -> tuple[list[Bookmark], list[FeedPlan], list[Problem]]:
    """The bookmarks of `plans` and of published issues with their bodies rendered, in the
    bookmark list and in the plans."""
    shown = [b for plan in plans for b in plan.bookmarks] + [b for b in bookmarks if b.id in issue_ids]
    done, problems = finish_bookmarks(shown, memo)
    if not done:
        return bookmarks, plans, problems
    plans = [
        replace(p, bookmarks=tuple(done.get(b.id, b) for b in p.bookmarks)) if p.bookmarks else p
        for p in plans
    ]
    return [done.get(b.id, b) for b in bookmarks], plans, problems


def issue_ids(ledger_path: Path) -> set[str]:
    """The bookmarks of every published issue (the archive shows them)."""
    if not ledger_path.exists():
        return set()
    with Ledger(ledger_path) as ledger:
        return {i for record in ledger.issues() for i in record.bookmark_ids}


def memo_keys(plans: Iterable[FeedPlan], bookmarks: list[Bookmark], ids: set[str]) -> set[str]:
    """The finished bodies worth keeping: those of bookmarks shown now (in Markdown form)."""
    shown = {b.id: b for p in plans for b in p.bookmarks} | {b.id: b for b in bookmarks if b.id in ids}
    return {finish_key(b) for b in shown.values() if b.unrendered is not None}  # each bookmark once


class Fingerprints:
    """A feed's fingerprint: the code, the site, the build settings and its plan with every
    bookmark's values (bodies in Markdown: rendering them is a function of these)."""

    def __init__(self, config: Config, prints: dict[str, str] | None = None):
        self.base = f"{code_tag()}\0{effective(config).site!r}\0{config.build.xsl}"
        self.bookmarks: dict[int, str] = {}
        self.prints = prints or {}  # by bookmark id: `lights.bookmark_print`, else its repr's digest

    def of(self, plan: FeedPlan) -> str:
        digest = hashlib.sha256(self.base.encode())
        header = (plan.path, plan.id, plan.title, plan.description, plan.updated.isoformat(), plan.alternate)
        digest.update("\0".join(header).encode("utf-8", "surrogatepass"))
        for bookmark in plan.bookmarks:
            digest.update(self._bookmark(bookmark).encode())
        return digest.hexdigest()

    def _bookmark(self, bookmark: Bookmark) -> str:
        key = id(bookmark)
        if key not in self.bookmarks and bookmark.id in self.prints:
            self.bookmarks[key] = "p" + self.prints[bookmark.id]
        elif key not in self.bookmarks:
            text = repr(bookmark).encode("utf-8", "surrogatepass")
            self.bookmarks[key] = hashlib.sha256(text).hexdigest()
        return self.bookmarks[key]


def identity(path: str) -> list[int] | None:
    """A written file's identity as the manifest keeps it (JSON: a list): `file_identity`'s,
    without a `Path` (a site of 4,561 feeds checks 13,683 files)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return list(identity_of(info))


def feeds_to_render(
    config: Config, plans: list[FeedPlan], manifest: Manifest, prints: dict[str, str] | None = None
) -> dict[str, str]:
    """{feed path: fingerprint} of the feeds to render: those made from something else than last
    time, or whose files are not the ones written then. The others are left as they are.
    `prints`: the shown bookmarks' own fingerprints, by id (`Fingerprints`)."""
    printer = Fingerprints(config, prints)
    written = intact(config, manifest)
    fresh = {}
    for plan in plans:
        if plan.settled:  # checked by `intact` when it was planned
            continue
        mark = printer.of(plan)
        if not written(plan.path, mark):
            fresh[plan.path] = mark
    return fresh


def intact(config: Config, manifest: Manifest) -> Callable[[str, str], bool]:
    """Whether a feed (by path) was last written whole with this fingerprint, its files still
    in dist/ as the manifest says they were written (asked of each of 4,561 feeds by a
    rebuild: one closure, no generator per feed)."""
    root, marks, written, identities = (
        f"{config.build.output_dir}/",
        manifest.fingerprints,
        manifest.files,
        manifest.identities,
    )

    def check(path: str, mark: str) -> bool:
        if marks.get(path) != mark:
            return False
        for suffix in FEED_SUFFIXES:
            f = path + suffix
            known = identities.get(f)
            if known is None or f not in written:
                return False
            try:
                info = os.stat(root + f)
            except OSError:
                return False
            if known != list(identity_of(info)):
                return False
        return True

    return check


def record_feeds(config: Config, result, manifest: Manifest, fresh: dict[str, str]) -> None:
    """Note each feed's fingerprint once all its files are in place, and each file's identity
    (a feed left as it was had its files' identities checked by `feeds_to_render`)."""
    root = str(config.build.output_dir)
    done = set(result.written) | set(result.unchanged)
    checked = {p for plan in result.feeds if plan.path not in fresh for p in feed_paths(plan).values()}
    for relpath in sorted(done - checked):
        found = identity(f"{root}/{relpath}")
        if found is not None:
            manifest.identities[relpath] = found
    for plan in result.feeds:
        if plan.path in fresh:
            complete = all(p in done for p in feed_paths(plan).values())
            if complete:
                manifest.fingerprints[plan.path] = fresh[plan.path]
            else:
                manifest.fingerprints.pop(plan.path, None)
    current = {plan.path for plan in result.feeds}
    manifest.fingerprints = {k: v for k, v in manifest.fingerprints.items() if k in current}


def pages_mark(config: Config, plans: list[FeedPlan], issued: list[Bookmark]) -> str:
    """What the pages (index, feed lists, digest archive) are made from: the code, the settings,
    the templates, the ledger and the stored issue pages, each feed's path, title and length,
    and the published issues' bookmarks."""
    state = config.build.state_dir
    digest = hashlib.sha256(f"{code_tag()}\0{effective(config)!r}".encode("utf-8", "surrogatepass"))
    found = [state / "ledger.sqlite", state / "ledger.sqlite-wal"] + sorted((state / "issues").glob("*"))
    found += sorted(Path(d) / n for d, _, names in os.walk(config.build.templates_dir) for n in names)
    for path in found:
        digest.update(f"{path}\0{identity(str(path))}\n".encode("utf-8", "surrogatepass"))
    for plan in plans:
        digest.update(f"{plan.path}\0{plan.title}\0{plan.size}\n".encode("utf-8", "surrogatepass"))
    for bookmark in issued:
        digest.update(repr(bookmark).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def unchanged_pages(config: Config, manifest: Manifest, mark: str) -> list[str] | None:
    """The page files, when the last pages were made from `mark` and are still in place."""
    root = str(config.build.output_dir)
    files = sorted(manifest.pages)
    same = all(
        manifest.pages[f] == mark
        and f in manifest.files
        and f in manifest.identities  # (a file without one, and gone, is not the same)
        and manifest.identities[f] == identity(f"{root}/{f}")
        for f in files
    )
    return files if files and same else None
