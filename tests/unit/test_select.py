"""Pure selection: which bookmarks a feed and an issue hold, in which order, and their sections."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from linkletter.model import Bookmark, Category, FeedSpec
from linkletter.select import group_sections, newest_first, select_for_feed, select_issue

NOW = datetime(2024, 5, 13, 8, 0, tzinfo=UTC)
PY, RUST, WEB = (
    Category("python", "Python", "python"),
    Category("rust", "Rust", "rust"),
    Category("web", "Web", "web"),
)


def bookmark(name: str, days_ago: float, *categories: Category) -> Bookmark:
    return Bookmark(
        id=f"urn:uuid:{name}",
        link=f"https://example.org/{name}",
        title=name,
        date=NOW - timedelta(days=days_ago),
        categories=categories,
        description="",
        description_in_body=False,
        body_html="",
        image=None,
        brand=None,
        source=f"content/{name}.md",
    )


def spec(**options) -> FeedSpec:
    return FeedSpec(
        **{"slug": "f", "folder": "feeds", "title": "F", "description": "", "categories": None, **options}
    )


def test_newest_first_breaks_ties_by_link():
    a, b, c = bookmark("b", 1), bookmark("a", 1), bookmark("c", 0)
    assert [x.title for x in newest_first([a, b, c])] == ["c", "a", "b"]


def test_a_feed_holds_its_categories_minus_exclusions_within_limit_and_age():
    items = [
        bookmark("p1", 1, PY),
        bookmark("r1", 2, RUST),
        bookmark("pw", 3, PY, WEB),
        bookmark("p4", 40, PY),
    ]
    python = spec(categories=("python",), exclude=("web",))
    assert [b.title for b in select_for_feed(items, python, NOW)] == ["p1", "p4"]
    assert [b.title for b in select_for_feed(items, spec(limit=2), NOW)] == ["p1", "r1"]
    assert [b.title for b in select_for_feed(items, spec(max_age_days=10), NOW)] == ["p1", "r1", "pw"]


def test_a_feed_leaves_out_bookmarks_dated_after_now():
    assert select_for_feed([bookmark("future", -1), bookmark("past", 1)], spec(), NOW)[0].title == "past"


def test_an_issue_holds_its_window_and_nothing_sent_before():
    items = [bookmark("in", 2), bookmark("sent", 3), bookmark("old", 9), bookmark("future", -1)]
    chosen = select_issue(items, NOW - timedelta(days=7), NOW, NOW, {"urn:uuid:sent"})
    assert [b.title for b in chosen] == ["in"]


def test_sections_follow_the_order_then_names_and_other_goes_last():
    items = [bookmark("w", 1, WEB), bookmark("n", 2), bookmark("r", 3, RUST, PY), bookmark("p", 4, PY)]
    sections = group_sections(newest_first(items), ("rust",), None, None)
    assert [(s.category.name if s.category else None, [b.title for b in s.bookmarks]) for s in sections] == [
        ("Rust", ["r"]),
        ("Python", ["p"]),
        ("Web", ["w"]),
        (None, ["n"]),
    ]


def test_sections_are_capped_per_section_and_overall_and_count_the_rest():
    items = [bookmark(f"p{i}", i, PY) for i in range(5)] + [
        bookmark(f"r{i}", i + 0.5, RUST) for i in range(3)
    ]
    sections = group_sections(newest_first(items), (), 2, 3)
    assert [(len(s.bookmarks), s.more) for s in sections] == [(2, 3), (1, 2)]
