"""Pure selection: which bookmarks, in which order. The clock is always a parameter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from .model import Bookmark, Category, FeedSpec


def newest_first(bookmarks: Iterable[Bookmark]) -> list[Bookmark]:
    """Newest first; equal dates (common in real exports) ordered by link, then id."""
    return sorted(bookmarks, key=lambda b: (-b.date.timestamp(), b.link, b.id))


def select_published(bookmarks: Iterable[Bookmark], now: datetime) -> list[Bookmark]:
    """Leave out bookmarks dated after `now`."""
    return [b for b in bookmarks if b.date <= now]


def select_for_feed(bookmarks: Iterable[Bookmark], spec: FeedSpec, now: datetime) -> list[Bookmark]:
    """The feed's bookmarks: its categories minus exclusions, within max age, newest first,
    at most `limit`."""
    wanted = set(spec.categories) if spec.categories is not None else None
    excluded = set(spec.exclude)
    oldest = now - timedelta(days=spec.max_age_days) if spec.max_age_days is not None else None
    chosen = [
        b
        for b in select_published(bookmarks, now)
        if _matches(b, wanted, excluded) and (oldest is None or b.date >= oldest)
    ]
    return newest_first(chosen)[: spec.limit]


def _matches(bookmark: Bookmark, wanted: set[str] | None, excluded: set[str]) -> bool:
    keys = {c.key for c in bookmark.categories}
    if keys & excluded:
        return False
    return wanted is None or bool(keys & wanted)


def select_categories(bookmarks: Iterable[Bookmark]) -> list[Category]:
    """Every category used by a bookmark, by slug."""
    return sorted({c for b in bookmarks for c in b.categories})


def select_between(bookmarks: Iterable[Bookmark], start: datetime, end: datetime) -> list[Bookmark]:
    """Bookmarks dated in [start, end), newest first."""
    return newest_first(b for b in bookmarks if start <= b.date < end)
