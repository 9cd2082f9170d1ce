"""Which feeds a site publishes, and what each holds: the configured feeds (or one of
everything), plus one per category. Pure; the clock is a parameter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from ..model import Bookmark, BuildSpec, Category, Config, FeedSpec
from ..select import (
    Dated,
    candidates_for_feed,
    index_by_category,
    newest_first,
    select_published,
    take_for_feed,
)
from .feeds import FeedPlan

T = TypeVar("T", bound=Dated)

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def feed_specs(config: Config, index: dict[str, list[T]]) -> list[FeedSpec]:
    """The configured feeds (or one 'all' feed), plus one per category if enabled (`index`: the
    published bookmarks by category key)."""
    found = {
        key: (next(c for c in items[0].categories if c.key == key), len(items))
        for key, items in index.items()
    }
    return specs_for(config, found)


def specs_for(config: Config, categories: dict[str, tuple[Category, int]]) -> list[FeedSpec]:
    """`feed_specs` from each category key's category and count of published bookmarks."""
    specs = list(config.feeds) or [default_feed_spec(config)]
    if config.build.category_feeds:
        specs += [category_feed_spec(config, c) for c in categories_with_feeds(config.build, categories)]
    return specs


def categories_with_feeds(build: BuildSpec, categories: dict[str, tuple[Category, int]]) -> list[Category]:
    """The categories in `build.category_feeds.only` (or all) with at least `min_items` bookmarks."""
    ordered = sorted(categories.values(), key=lambda item: (item[0].slug, item[0].name, item[0].key))
    return [
        category
        for category, count in ordered  # Category's own order, compared as plain tuples (4,560 tags)
        if count >= build.category_min_items
        and (build.category_only is None or category.key in build.category_only)
    ]


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
    choices, fallback = choose_feeds(config, bookmarks, now)
    return [feed_plan(config, spec, chosen, fallback) for spec, chosen in choices]


def choose_feeds(
    config: Config, bookmarks: Sequence[T], now: datetime, ordered: bool = False
) -> tuple[list[tuple[FeedSpec, list[T]]], datetime]:
    """Each feed's spec and bookmarks, newest first; and the date of a feed left empty (the
    newest bookmark's). Works on `Bookmark`s or on lighter values with the same fields.
    `ordered`: `bookmarks` are newest first already."""
    published = select_published(bookmarks, now)
    fallback = max((b.date for b in published), default=EMPTY_FEED_DATE)
    ranked = published if ordered else newest_first(published)
    index = index_by_category(ranked)
    choices = [
        (spec, take_for_feed(candidates_for_feed(ranked, index, spec), spec, now))
        for spec in feed_specs(config, index)
    ]
    return choices, fallback


def feed_plan(config: Config, spec: FeedSpec, chosen: Sequence[Bookmark], fallback: datetime) -> FeedPlan:
    return FeedPlan(
        path=f"{spec.folder}/{spec.slug}",
        id=config.site.make_id(f"feed:{spec.folder}/{spec.slug}"),
        title=spec.title,
        description=spec.description,
        bookmarks=tuple(chosen),
        updated=max((b.date for b in chosen), default=fallback),
        alternate=config.site.home_url or config.site.base_url,
    )
