"""Pure selection: which bookmarks, in which order. The clock is always a parameter."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from .model import Bookmark, Category, FeedSpec, Section


class Dated(Protocol):
    """What selection reads of a bookmark: a `Bookmark`, or a lighter value with these fields."""

    @property
    def id(self) -> str: ...
    @property
    def link(self) -> str: ...
    @property
    def date(self) -> datetime: ...
    @property
    def categories(self) -> tuple[Category, ...]: ...


T = TypeVar("T", bound=Dated)


def newest_first(bookmarks: Iterable[T]) -> list[T]:
    """Newest first; equal dates (common in real exports) ordered by link, then id."""
    return sorted(bookmarks, key=lambda b: (-b.date.timestamp(), b.link, b.id))


def select_published(bookmarks: Iterable[T], now: datetime) -> list[T]:
    """Leave out bookmarks dated after `now`."""
    return [b for b in bookmarks if b.date <= now]


def select_for_feed(bookmarks: Iterable[T], spec: FeedSpec, now: datetime) -> list[T]:
    """The feed's bookmarks: its categories minus exclusions, within max age, newest first,
    at most `limit`."""
    return take_for_feed(newest_first(select_published(bookmarks, now)), spec, now)


def take_for_feed(candidates: Iterable[T], spec: FeedSpec, now: datetime) -> list[T]:
    """`select_for_feed` of candidates already newest first: it stops at the limit (or at the
    first bookmark older than max age), so a feed costs its length, not its candidates."""
    wanted = set(spec.categories) if spec.categories is not None else None
    excluded = set(spec.exclude)
    oldest = now - timedelta(days=spec.max_age_days) if spec.max_age_days is not None else None
    chosen: list[T] = []
    for b in candidates:
        if len(chosen) >= spec.limit or (oldest is not None and b.date < oldest):
            break
        if b.date <= now and _matches(b, wanted, excluded):
            chosen.append(b)
    return chosen


def index_by_category(bookmarks: Iterable[T]) -> dict[str, list[T]]:
    """Category key -> its bookmarks (in the given order), so a feed of a few categories looks
    at their bookmarks only, not at every bookmark."""
    index: dict[str, list[T]] = {}
    for bookmark in bookmarks:
        categories = bookmark.categories
        keys = (categories[0].key,) if len(categories) == 1 else {c.key for c in categories}
        for key in keys:
            index.setdefault(key, []).append(bookmark)
    return index


def candidates_for_feed(bookmarks: Sequence[T], index: dict[str, list[T]], spec: FeedSpec) -> Sequence[T]:
    """The bookmarks `select_for_feed` can choose from for `spec`, each once, newest first when
    `bookmarks` and the index are: every one, or those of its categories."""
    if spec.categories is None:
        return bookmarks
    if len(spec.categories) == 1:
        return index.get(spec.categories[0], [])
    seen = {id(b): b for key in spec.categories for b in index.get(key, [])}
    return newest_first(seen.values())


def _matches(bookmark: Dated, wanted: set[str] | None, excluded: set[str]) -> bool:
    keys = {c.key for c in bookmark.categories}
    if keys & excluded:
        return False
    return wanted is None or bool(keys & wanted)


def select_between(bookmarks: Iterable[Bookmark], start: datetime, end: datetime) -> list[Bookmark]:
    """Bookmarks dated in [start, end), newest first."""
    return newest_first(b for b in bookmarks if start <= b.date < end)


def select_issue(
    bookmarks: Iterable[Bookmark], start: datetime, end: datetime, now: datetime, sent: set[str]
) -> list[Bookmark]:
    """An issue's bookmarks: dated in [start, end), published by `now`, never in an earlier issue."""
    return [b for b in select_between(select_published(bookmarks, now), start, end) if b.id not in sent]


def group_sections(
    bookmarks: list[Bookmark], order: tuple[str, ...], per_section: int | None, total: int | None
) -> list[Section]:
    """Bookmarks (newest first) into one section per category, each bookmark in one section only:
    the earliest of its categories in `order`, else its first category; bookmarks without a
    category go last. Sections follow `order`, then name. At most `per_section` per section and
    `total` overall are kept; `more` counts what was left out."""
    rank = {key: index for index, key in enumerate(order)}
    groups: dict[Category | None, list[Bookmark]] = {}
    for bookmark in bookmarks:
        groups.setdefault(_primary(bookmark, rank), []).append(bookmark)
    keys = sorted(
        groups,
        key=lambda c: (c is None, rank.get(c.key, len(rank)) if c else 0, c.name.casefold() if c else ""),
    )
    sections, room = [], total if total is not None else len(bookmarks)
    for category in keys:
        items = groups[category]
        kept = items[: max(0, min(per_section or len(items), room))]
        room -= len(kept)
        sections.append(Section(category, tuple(kept), len(items) - len(kept)))
    return sections


def _primary(bookmark: Bookmark, rank: dict[str, int]) -> Category | None:
    if not bookmark.categories:
        return None
    ranked = [c for c in bookmark.categories if c.key in rank]
    return min(ranked, key=lambda c: rank[c.key]) if ranked else bookmark.categories[0]
