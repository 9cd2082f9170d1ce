"""The feed pipeline end to end on the fixture site: golden files, real parsing, ids, order."""

from __future__ import annotations

import os
import re
from pathlib import Path

import feedparser
import pytest

from conftest import FIXED_NOW, FIXED_NOW_ARG
from linkletter.commands.build import build_site, check_site
from linkletter.settings.load import load_config
from support.feedcheck import check_feed

GOLDEN_FEEDS = [
    "feeds/python.rss.xml",
    "feeds/python.atom.xml",
    "feeds/everything.rss.xml",
    "feeds/everything.atom.xml",
    "categories/ties.atom.xml",
    "categories/arabic.rss.xml",
]


def build(project: Path, now=FIXED_NOW):
    return build_site(load_config(project), now)


def bookmarks(project: Path, now=FIXED_NOW):
    """Every bookmark as a build reads it (a writing build keeps only those it shows)."""
    return check_site(load_config(project), now).bookmarks


def parse(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def all_feeds(project: Path) -> list[Path]:
    return sorted((project / "dist").rglob("*.xml"))


@pytest.mark.parametrize("relpath", GOLDEN_FEEDS)
def test_feed_matches_golden(project, run, golden, relpath):
    code, _, _ = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0
    golden(relpath.replace("/", "__"), (project / "dist" / relpath).read_text(encoding="utf-8"))


def test_layout_is_one_rss_one_atom_and_one_json_feed_per_feed(project, run):
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    feeds = [*all_feeds(project), *(project / "dist").rglob("*.json")]
    names = sorted(p.relative_to(project / "dist").as_posix() for p in feeds)
    assert names == sorted(
        f"{folder}/{slug}.{kind}"
        for folder, slug in [
            ("feeds", "python"),
            ("feeds", "everything"),
            ("categories", "python"),
            ("categories", "packaging"),
            ("categories", "rust"),
            ("categories", "ties"),
            ("categories", "arabic"),
            ("categories", "healthcare-it"),
            ("categories", "machine-learning"),
        ]
        for kind in ("rss.xml", "atom.xml", "json")
    )
    # + index.html, feeds.opml and feeds-head.html
    assert "12 bookmarks, 9 feeds: 30 file(s) written, 0 unchanged" in out


def test_every_feed_parses_with_feedparser_and_keeps_ids_in_order(project):
    result = build(project)
    expected = {plan.path: [b.id for b in plan.bookmarks] for plan in result.feeds}
    for path in all_feeds(project):
        parsed = parse(path)
        key = path.relative_to(project / "dist").as_posix().rsplit(".", 2)[0]
        assert [e.id for e in parsed.entries] == expected[key], path
        assert parsed.version in ("rss20", "atom10")


def test_newest_first_with_deterministic_ties(project):
    build(project)
    titles = [e.title for e in parse(project / "dist/categories/ties.atom.xml").entries]
    assert titles == ["Same second 1", "Same second 2", "Same second 3"]  # ordered by link
    updated = [e.updated for e in parse(project / "dist/categories/ties.atom.xml").entries]
    assert len(set(updated)) == 3, "entries sharing a second still get distinct atom:updated"
    published = {e.published for e in parse(project / "dist/categories/ties.atom.xml").entries}
    assert published == {"2024-05-05T07:00:00+00:00"}


def test_limit_and_max_age_are_respected(project):
    (project / "feeds/python.yaml").write_text("title: Python\ncategories: [python]\nlimit: 2\n")
    build(project)
    assert [e.title for e in parse(project / "dist/feeds/python.rss.xml").entries] == [
        "moved.example.org/book",
        "notitle.example.com/a/b",
    ]  # same second: ordered by link
    everything = [e.title for e in parse(project / "dist/feeds/everything.atom.xml").entries]
    assert "An old one" not in everything  # 2023, older than max_age_days: 30
    assert "Saved again with a better title" in everything


def test_exclude_removes_a_category(project):
    build(project)
    titles = [e.title for e in parse(project / "dist/feeds/python.atom.xml").entries]
    assert "notitle.example.com/a/b" not in titles  # tagged packaging, which python.yaml excludes
    assert "notitle.example.com/a/b" in [
        e.title for e in parse(project / "dist/categories/python.atom.xml").entries
    ]


def test_self_links_and_absolute_urls(project):
    build(project)
    for path in all_feeds(project):
        rel = path.relative_to(project / "dist").as_posix()
        parsed = parse(path)
        self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
        assert self_links == [f"https://links.example.org/sub/{rel}"]
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r'(?:href|src|url)="([^"]*)"', text):
            assert url.startswith("https://"), (path, url)


def test_special_characters_round_trip(project):
    build(project)
    entries = {e.link: e for e in parse(project / "dist/feeds/python.atom.xml").entries}
    tom = entries["https://example.com/tom?x=1&y=2"]
    assert tom.title == 'Tom & Jerry say "hi" & 👋'
    assert tom.summary == "Less-than < and ampersand & survive; so do 'quotes' and emoji 🐍."
    rtl = parse(project / "dist/categories/arabic.atom.xml").entries[0]
    assert rtl.title == "مرحبا بالعالم — שלום עולם"
    assert rtl.link == "https://ar.example.org/%D9%85%D9%82%D8%A7%D9%84%D8%A9"


def test_body_is_sanitised_and_links_made_absolute(project):
    build(project)
    for path in all_feeds(project):
        text = parse(path)
        for entry in text.entries:
            html = entry.get("content", [{}])[0].get("value", "") + entry.get("summary", "")
            assert "<script" not in html and "javascript:" not in html.replace("javascript:alert(3)", "")
            assert "onerror" not in html
    tom = next(e for e in parse(project / "dist/feeds/python.atom.xml").entries if "tom" in e.link)
    content = tom.content[0].value
    assert '<a href="https://example.com/docs/page"' in content
    assert "<img>" not in content  # the javascript: image is dropped entirely


def test_images_kept_unless_expired_or_not_http(project):
    build(project)
    for kind in ("rss", "atom"):
        feed = parse(project / f"dist/feeds/python.{kind}.xml")
        tom = next(e for e in feed.entries if "tom" in e.link)
        assert tom.media_content == [
            {"url": "https://images.example.com/cat.png", "type": "image/png", "medium": "image"}
        ]
    seed = parse(project / "dist/categories/healthcare-it.atom.xml").entries[0]
    assert "media_content" not in seed  # its Expires=1557430063 lies in 2019
    assert "cdn.example.net" not in (project / "dist/categories/healthcare-it.rss.xml").read_text()


def test_variants_follow_the_documented_rules(project):
    build(project)
    by_link = {b.link: b for b in bookmarks(project)}
    assert "https://draft.example.org/" not in by_link  # draft: true
    assert not any("future" in e.link for e in parse(project / "dist/feeds/python.rss.xml").entries)
    crlf = by_link["https://crlf.example.org/"]
    assert crlf.title == "CRLF and BOM"
    assert [c.slug for c in crlf.categories] == ["machine-learning"]
    assert crlf.date.isoformat() == "2024-05-09T06:30:00+00:00"  # no zone: Europe/Copenhagen
    assert (
        by_link["https://ar.example.org/%D9%85%D9%82%D8%A7%D9%84%D8%A9"].date.isoformat()
        == "2024-05-07T22:00:00+00:00"
    )  # date only: midnight in the site's zone
    notitle = by_link["https://www.notitle.example.com/a/b/"]
    assert notitle.title == "notitle.example.com/a/b"
    assert notitle.description == "The first paragraph becomes the description when there is none."
    assert by_link["https://moved.example.org/book"].title == "moved.example.org/book"
    tom = by_link["https://example.com/tom?x=1&y=2"]
    assert [(c.slug, c.name) for c in tom.categories] == [("python", "python")]


def test_the_same_link_saved_twice_is_one_item(project):
    build(project)
    twice = [b for b in bookmarks(project) if "twice.example.org" in b.link]
    assert len(twice) == 1
    item = twice[0]
    assert item.title == "Saved again with a better title"  # newest save's text
    assert item.date.isoformat() == "2024-05-01T12:00:00+00:00"  # earliest save's date
    assert [c.slug for c in item.categories] == ["rust", "python"]
    assert item.also_in == ("content/2024/twice-b.md",)


def test_ids_survive_edits_to_title_description_date_and_file_name(project):
    before = {b.link: b.id for b in bookmarks(project)}
    path = project / "content/2024/old.md"
    text = path.read_text().replace("An old one", "A renamed one").replace("2023-01-01", "2023-02-02")
    path.unlink()
    (project / "content/moved-elsewhere.md").write_text(text + "A new body.\n")
    after = {b.link: b.id for b in bookmarks(project)}
    assert after == before
    assert len(set(after.values())) == len(after)


def test_building_twice_gives_identical_bytes_and_rewrites_nothing(project):
    build(project)
    first = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in all_feeds(project)}
    result = build(project)
    assert result.written == []
    second = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in all_feeds(project)}
    assert first == second


def test_feed_dates_come_from_items_not_the_clock(project):
    build(project, now=FIXED_NOW)
    first = {p: p.read_bytes() for p in all_feeds(project)}
    build(project, now=FIXED_NOW.replace(hour=23))
    assert {p: p.read_bytes() for p in all_feeds(project)} == first
    atom = parse(project / "dist/feeds/python.atom.xml")
    assert atom.feed.updated == "2024-05-10T09:00:00+00:00"  # the newest item


def test_changed_content_rewrites_only_the_affected_files(project):
    build(project)
    mtimes = {p: p.stat().st_mtime_ns for p in all_feeds(project)}
    path = project / "content/2024/rtl.md"
    path.write_text(path.read_text().replace("نص عربي.", "نص جديد."), encoding="utf-8")
    result = build(project)
    changed = [
        "categories/arabic.atom.xml",
        "categories/arabic.json",
        "categories/arabic.rss.xml",
        "feeds/everything.atom.xml",
        "feeds/everything.json",
        "feeds/everything.rss.xml",
    ]
    assert sorted(result.written) == changed
    for p, mtime in mtimes.items():
        if p.relative_to(project / "dist").as_posix() not in changed:
            assert p.stat().st_mtime_ns == mtime


def test_default_feed_when_no_definitions(project):
    for path in (project / "feeds").iterdir():
        path.unlink()
    build(project)
    feed = parse(project / "dist/feeds/all.atom.xml")
    assert feed.feed.title == "Fixture Links"
    assert len(feed.entries) == 11  # 12 bookmarks minus the future one


def test_category_feeds_can_be_turned_off(project):
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace("  feed_limit: 20", "  feed_limit: 20\n  category_feeds: false")
    )
    build(project)
    assert not (project / "dist/categories").exists()


def test_no_temporary_files_are_left_behind(project):
    build(project)
    leftovers = [p for p in (project / "dist").rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in all_feeds(project))
    assert os.access(project / "dist/feeds/python.rss.xml", os.R_OK)


def test_every_feed_follows_the_w3c_validator_rules(project):
    build(project)
    for path in all_feeds(project):
        rel = path.relative_to(project / "dist").as_posix()
        assert check_feed(path.read_bytes(), f"https://links.example.org/sub/{rel}", FIXED_NOW) == [], rel


def test_index_page_lists_every_feed_for_readers_and_people(project):
    result = build(project)
    import html5lib

    tree = html5lib.parse(
        (project / "dist/index.html").read_text(encoding="utf-8"),
        treebuilder="lxml",
        namespaceHTMLElements=False,
    )
    # Autodiscovery: the two feed definitions in three formats each, never a category feed.
    alternates = tree.xpath("//link[@rel='alternate']/@href")
    assert sorted(alternates) == sorted(
        f"https://links.example.org/sub/feeds/{slug}.{kind}"
        for slug in ("python", "everything")
        for kind in ("rss.xml", "atom.xml", "json")
    )
    assert len(result.feeds) == 9
    for label, suffix in [("RSS", "rss.xml"), ("Atom", "atom.xml"), ("JSON Feed", "json")]:
        assert sorted(tree.xpath(f"//li/a[text()='{label}']/@href")) == sorted(
            f"https://links.example.org/sub/{plan.path}.{suffix}" for plan in result.feeds
        )
    assert tree.xpath("//a[contains(text(), 'OPML')]/@href") == ["https://links.example.org/sub/feeds.opml"]


@pytest.mark.parametrize(
    "title, shown",
    [
        ("101 Ways to Learn Rust", "101 Ways to Learn Rust"),
        ("500 Miles", "500 Miles"),
        ("404 Not Found", "news.example.org/item?id=42"),
        ("503 Service Unavailable", "news.example.org/item?id=42"),
        ("Just a moment...", "news.example.org/item?id=42"),
    ],
)
def test_only_real_placeholder_titles_are_replaced(project, title, shown):
    (project / "content/hn.md").write_text(
        f"---\ntitle: {title}\nlink: https://news.example.org/item?id=42\ndate: 2024-05-10T10:00:00Z\n---\n"
    )
    by_link = {b.link: b for b in bookmarks(project)}
    assert by_link["https://news.example.org/item?id=42"].title == shown


def test_a_category_with_only_future_bookmarks_gets_no_feed_yet(project):
    build(project)
    assert not any("future" in p.name for p in (project / "dist/categories").iterdir())
    (project / "content/2024/future.md").write_text(
        (project / "content/2024/future.md").read_text().replace("[python]", "[someday]")
    )
    build(project)
    assert not (project / "dist/categories/someday.atom.xml").exists()
    build(project, now=FIXED_NOW.replace(year=2031))
    assert (project / "dist/categories/someday.atom.xml").exists()


def test_image_types_come_from_a_fixed_table(project):
    (project / "content/webp.md").write_text(
        "---\ntitle: WebP\nlink: https://webp.example.org/\ndate: 2024-05-10T10:00:00Z\ncategories: [python]\n"
        "featuredImage: https://img.example.org/a.WEBP?x=1\n---\n"
    )
    build(project)
    entry = next(e for e in parse(project / "dist/categories/python.atom.xml").entries if "webp" in e.link)
    assert entry.media_content[0]["type"] == "image/webp"
