"""A build must not silently empty the feeds people subscribe to. When bookmark files could not be
read, or a content folder that held bookmarks is gone, and a published feed would lose more than
half of its items (or vanish), the build stops and writes nothing; `build --allow-shrink` says
"yes, I mean it"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..content.merge import Merged
from ..errors import WARNING, Problem, shown_path
from ..model import Bookmark, Config
from ..publish.feeds import feed_paths
from ..publish.manifest import Manifest

if TYPE_CHECKING:
    from .build import BuildResult

HINT = "fix the cause and build again, or build with --allow-shrink if you mean it"


def shrink_problems(
    config: Config, result: BuildResult, manifest: Manifest, allow_shrink: bool
) -> list[Problem]:
    """[] when the build may write; otherwise the problem that stops it (or, with allow_shrink,
    a warning that it went ahead)."""
    causes = shrink_causes(config, result, manifest)
    if not causes:
        return []
    shrunk = shrinking_feeds(result, manifest)
    if not shrunk:
        return []
    path, before, after = shrunk[0]
    what = f"{len(shrunk)} published feed file(s) would lose more than half of their items (e.g. {path}: {before} -> {after})"
    content = shown_path(config.build.content_dir, config.root)
    if allow_shrink:
        return [
            Problem(
                content,
                f"{what} because {'; '.join(causes)}; written anyway (--allow-shrink)",
                severity=WARNING,
            )
        ]
    return [Problem(content, f"{what} because {'; '.join(causes)}; nothing was written", hint=HINT)]


def shrink_causes(config: Config, result: BuildResult, manifest: Manifest) -> list[str]:
    causes = []
    errors = sum(p.is_error for p in result.problems)
    if errors:
        causes.append(f"{errors} error(s) in the content (see above)")
    for folder, count in sorted(manifest.content.items()):
        path = config.build.content_dir / folder
        if count and not path.is_dir():
            causes.append(f"{shown_path(path, config.root)}, which held {count} bookmark(s), is gone")
    return causes


def shrinking_feeds(result: BuildResult, manifest: Manifest) -> list[tuple[str, int, int]]:
    """(feed file, items before, items now) for each published feed losing more than half. A feed
    definition's feed that is no longer planned was removed on purpose (its file in feeds/ is
    gone) and does not count; a category feed that vanished does."""
    now = {path: plan.size for plan in result.feeds for path in feed_paths(plan).values()}
    return [
        (path, before, now.get(path, 0))
        for path, before in sorted(manifest.feeds.items())
        if before and now.get(path, 0) * 2 < before and (path in now or not path.startswith("feeds/"))
    ]


def content_folders(config: Config, bookmarks: Sequence[Bookmark | Merged]) -> dict[str, int]:
    """How many bookmark files each top-level folder of the content folder holds."""
    counts: Counter = Counter()
    content = Path(shown_path(config.build.content_dir, config.root)).parts
    tops: dict[str, str | None] = {}  # a file's folder -> the top-level folder it is in
    for bookmark in bookmarks:
        for source in (bookmark.source, *bookmark.also_in):
            head, slash, _ = source.rpartition("/")
            folder = head or slash  # "/x.md": the folder is "/"
            if folder not in tops:
                parts = Path(folder).parts
                inside = len(parts) > len(content) and parts[: len(content)] == content
                tops[folder] = parts[len(content)] if inside else None
            top = tops[folder]
            if top is not None:
                counts[top] += 1
    return dict(counts)
