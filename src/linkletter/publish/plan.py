"""Which feeds a site publishes, and what each holds: the configured feeds (or one of
everything), plus one per category. Pure; the clock is a parameter."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from ..model import Bookmark, BuildSpec, Category, Config, FeedSpec
from ..select import (
    candidates_for_feed,
    index_by_category,
    newest_first,
    select_categories,
    select_for_feed,
    select_published,
)
from .feeds import FeedPlan

EMPTY_FEED_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def feed_specs(config: Config, bookmarks: list[Bookmark]) -> list[FeedSpec]:
    """The configured feeds (or one 'all' feed), plus one per category if enabled."""
    specs = list(config.feeds) or [default_feed_spec(config)]
    if config.build.category_feeds:
        specs += [category_feed_spec(config, c) for c in categories_with_feeds(config.build, bookmarks)]
    return specs


def categories_with_feeds(build: BuildSpec, bookmarks: list[Bookmark]) -> list[Category]:
    """The categories in `build.category_feeds.only` (or all) with at least `min_items` bookmarks."""
    counts = Counter(c.key for b in bookmarks for c in set(b.categories))
    return [
        category
        for category in select_categories(bookmarks)
        if counts[category.key] >= build.category_min_items
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
    published = select_published(bookmarks, now)
    fallback = max((b.date for b in published), default=EMPTY_FEED_DATE)
    index = index_by_category(newest_first(published))
    plans = []
    for spec in feed_specs(config, published):
        chosen = select_for_feed(candidates_for_feed(published, index, spec), spec, now)
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
