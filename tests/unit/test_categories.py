"""Category names fold into one key, show their most common spelling, and get unique path-safe slugs."""

from __future__ import annotations

import re

from linkletter.content.categories import build_categories
from linkletter.values.text import category_key


def test_case_spaces_dashes_and_underscores_fold_into_one_key():
    assert {category_key(n) for n in ["Machine Learning", " machine-learning ", "MACHINE_learning"]} == {
        "machine learning"
    }


def test_the_most_common_spelling_wins_and_ties_go_alphabetically():
    catalog = build_categories(["ai", "AI", "AI", "Go", "go"])
    assert catalog["ai"].name == "AI"
    assert catalog["go"].name == "Go"


def test_symbols_become_words_and_reserved_or_empty_names_get_a_hash():
    catalog = build_categories(["C++", "C#", "CON", "日本語", "!!!x"])
    assert catalog["c++"].slug == "c-plus-plus"
    assert catalog["c#"].slug == "c-sharp"
    assert re.fullmatch(r"con-[0-9a-f]{8}", catalog["con"].slug)
    for category in catalog.values():
        assert re.fullmatch(r"[a-z0-9\w-]+", category.slug) and "/" not in category.slug


def test_two_keys_sharing_a_slug_get_distinct_slugs():
    catalog = build_categories(["c plus plus", "c++"])
    assert catalog["c plus plus"].slug != catalog["c++"].slug
    assert {catalog["c plus plus"].slug, catalog["c++"].slug} >= {"c-plus-plus"}


def test_the_catalog_does_not_depend_on_the_order_names_arrive_in():
    names = ["Rust", "rust", "Web", "C++", "c plus plus", "Python"]
    assert build_categories(names) == build_categories(list(reversed(names)))
