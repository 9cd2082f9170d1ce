"""What a published site offers beside RSS and Atom: JSON Feed, OPML, the head snippet, the XSL
view, enclosures and thumbnails, the icon, entry authors, content:encoded, category feed limits."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import feedparser
import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conftest import FIXED_NOW, TESTS
from linkletter.commands.build import build_site
from linkletter.errors import UserError
from linkletter.model import Author, Site
from linkletter.publish.directory import IndexFeed, build_opml
from linkletter.settings.load import load_config
from support.feedcheck import check_feed

SCHEMA = json.loads((TESTS / "support/jsonfeed-1.1.schema.json").read_text(encoding="utf-8"))
BASE = "https://links.example.org/sub/"


def build(project: Path):
    result = build_site(load_config(project), FIXED_NOW)
    assert not result.failed, result.problems
    return result


def set_settings(project: Path, section: str, text: str) -> None:
    settings = project / "linkletter.yaml"
    settings.write_text(settings.read_text().replace(f"{section}:\n", f"{section}:\n{text}", 1))


def xml_feeds(project: Path) -> list[Path]:
    return sorted((project / "dist").rglob("*.xml"))


def test_every_json_feed_is_valid_json_feed_1_1_with_the_same_items(project):
    result = build(project)
    for plan in result.feeds:
        data = json.loads((project / "dist" / f"{plan.path}.json").read_bytes())
        jsonschema.validate(data, SCHEMA)
        assert data["feed_url"] == f"{BASE}{plan.path}.json"
        assert [item["id"] for item in data["items"]] == [b.id for b in plan.bookmarks]
        for item in data["items"]:
            datetime.fromisoformat(item["date_published"])
            assert item["authors"] == [{"name": "Ada Example", "url": "mailto:ada@example.org"}]


def test_json_feed_keeps_special_characters_and_sanitised_html(project):
    build(project)
    data = json.loads((project / "dist/feeds/python.json").read_bytes())
    tom = next(i for i in data["items"] if i["url"] == "https://example.com/tom?x=1&y=2")
    assert tom["title"] == 'Tom & Jerry say "hi" & 👋'
    assert tom["image"] == "https://images.example.com/cat.png"
    assert (
        "<strong>bold</strong>" in tom["content_html"]
        and "javascript:" not in tom["content_html"].split("[bad")[0]
    )
    assert "<script" not in json.dumps(data)


def test_a_broken_json_feed_fails_the_schema(project):
    """The schema is strict enough to catch what matters."""
    build(project)
    data = json.loads((project / "dist/feeds/python.json").read_bytes())
    for broken in (
        {**data, "version": "https://jsonfeed.org/version/1"},
        {**data, "items": [{k: v for k, v in data["items"][0].items() if k != "content_html"}]},
        {**data, "items": [{**data["items"][0], "date_published": "10 May 2024"}]},
        {**data, "author": {"name": "x"}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, SCHEMA)


def test_opml_lists_every_feed_and_escapes_titles(project):
    (project / "feeds/python.yaml").write_text('title: Python <&> "links"\ncategories: [python]\n')
    result = build(project)
    opml = ET.fromstring((project / "dist/feeds.opml").read_bytes())
    assert opml.get("version") == "2.0"
    outlines = opml.findall("./body/outline")
    assert [o.get("xmlUrl") for o in outlines] == [f"{BASE}{plan.path}.rss.xml" for plan in result.feeds]
    assert {o.get("type") for o in outlines} == {"rss"}
    assert 'Python <&> "links"' in [o.get("text") for o in outlines]
    assert b"Python &lt;&amp;&gt; &quot;links&quot;" in (project / "dist/feeds.opml").read_bytes()


_xml_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff").filter(
        lambda c: c in "\t\n\r" or c >= " "
    )
)


def xml_lines(text: str) -> str:
    """A text node as a parser reads it: its line ends made LF (attributes keep theirs, escaped)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


@settings(max_examples=300, deadline=None)
@given(titles=st.lists(_xml_text, max_size=5), owner=_xml_text, digest=st.booleans())
def test_opml_keeps_every_title_and_address_exactly(titles, owner, digest):
    """The OPML is written without an XML library: a parser reads back every value as given
    (markup, quotes, tabs and line ends in a title), and the file is indented XML."""
    site = Site(title="Links <&>", base_url="https://x.example/", author=Author(owner))
    urls = [
        f'https://x.example/{i}.{kind}?a=1&b="2"'
        for i in range(len(titles))
        for kind in ("rss.xml", "atom.xml")
    ]
    feeds = [IndexFeed(t, 1, False, urls[2 * i], urls[2 * i + 1], "") for i, t in enumerate(titles)]
    issues = {
        "title": "Weekly\r\n",
        "feed_url": "https://x.example/d.xml",
        "archive_url": "https://x.example/d/",
    }
    data = build_opml(site, feeds, issues if digest else None)
    opml = ET.fromstring(data)
    assert opml.findtext("head/title") == "Links <&>: feeds" and opml.findtext("head/ownerName") == xml_lines(
        owner
    )
    expected = [(t, f.rss_url, site.base_url) for t, f in zip(titles, feeds, strict=True)]
    expected += [(issues["title"], issues["feed_url"], issues["archive_url"])] if digest else []
    found = [(o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in opml.findall("body/outline")]
    assert found == expected and all(o.get("title") == o.get("text") for o in opml.findall("body/outline"))
    assert (
        data.startswith(b"<?xml version='1.0' encoding='utf-8'?>\n<opml")
        and b"\n    <outline" * bool(expected) in data
    )


def test_the_head_snippet_discovers_the_main_feeds_only(project):
    build(project)
    snippet = (project / "dist/feeds-head.html").read_text()
    lines = snippet.splitlines()
    assert len(lines) == 6  # two feed definitions, three formats each
    assert "categories/" not in snippet
    assert (
        '<link rel="alternate" type="application/feed+json" title="Python links (JSON Feed)" '
        f'href="{BASE}feeds/python.json">' in lines
    )


def test_xsl_is_opt_in(project):
    build(project)
    assert not (project / "dist/feed.xsl").exists()
    assert b"xml-stylesheet" not in (project / "dist/feeds/python.rss.xml").read_bytes()


def test_the_xsl_stylesheet_shows_a_feed_as_a_page_and_the_feed_stays_valid(project):
    set_settings(project, "build", "  xsl: true\n")
    build(project)
    xsl = etree.XSLT(etree.parse(str(project / "dist/feed.xsl")))
    for path in xml_feeds(project):
        rel = path.relative_to(project / "dist").as_posix()
        data = path.read_bytes()
        assert data.splitlines()[1] == b'<?xml-stylesheet type="text/xsl" href="../feed.xsl"?>', rel
        assert check_feed(data, BASE + rel, FIXED_NOW) == [], rel
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0 and parsed.entries, rel
        page = str(xsl(etree.fromstring(data)))
        assert f"<h1>{parsed.feed.title}</h1>".replace("&", "&amp;") in page, rel
        for entry in parsed.entries:
            assert f'href="{entry.link}"'.replace("&", "&amp;") in page, rel


def test_images_are_enclosures_and_thumbnails(project):
    build(project)
    rss = feedparser.parse((project / "dist/feeds/python.rss.xml").read_bytes())
    atom = feedparser.parse((project / "dist/feeds/python.atom.xml").read_bytes())
    tom = next(e for e in rss.entries if "tom" in e.link)
    assert tom.enclosures == [
        {"href": "https://images.example.com/cat.png", "length": "0", "type": "image/png"}
    ]
    for feed in (rss, atom):
        entry = next(e for e in feed.entries if "tom" in e.link)
        assert entry.media_thumbnail == [{"url": "https://images.example.com/cat.png"}]
        assert entry.media_content[0]["url"] == "https://images.example.com/cat.png"
    assert all(not e.get("enclosures") for e in atom.entries)  # Atom keeps one link per entry
    assert all(not e.get("enclosures") for e in rss.entries if "tom" not in e.link)


def test_an_image_of_unknown_type_gets_no_enclosure(project):
    (project / "content/noext.md").write_text(
        "---\ntitle: No extension\nlink: https://noext.example.org/\ndate: 2024-05-10T10:00:00Z\n"
        "categories: [python]\nfeaturedImage: https://img.example.org/picture\n---\n"
    )
    build(project)
    rss = feedparser.parse((project / "dist/feeds/python.rss.xml").read_bytes())
    entry = next(e for e in rss.entries if "noext" in e.link)
    assert (
        not entry.get("enclosures") and entry.media_thumbnail[0]["url"] == "https://img.example.org/picture"
    )


def test_site_icon_is_the_rss_image_and_the_atom_icon_and_logo(project):
    set_settings(project, "site", "  icon: https://links.example.org/icon.png\n")
    build(project)
    rss = feedparser.parse((project / "dist/feeds/python.rss.xml").read_bytes())
    assert rss.feed.image.href == "https://links.example.org/icon.png"
    assert rss.feed.image.title == "Python links" and rss.feed.image.link == BASE
    atom = feedparser.parse((project / "dist/feeds/python.atom.xml").read_bytes())
    assert atom.feed.icon == atom.feed.logo == "https://links.example.org/icon.png"
    data = json.loads((project / "dist/feeds/python.json").read_bytes())
    assert data["icon"] == "https://links.example.org/icon.png"
    for path in xml_feeds(project):
        rel = path.relative_to(project / "dist").as_posix()
        assert check_feed(path.read_bytes(), BASE + rel, FIXED_NOW) == [], rel


def test_site_icon_must_be_https(project):
    set_settings(project, "site", "  icon: http://links.example.org/icon.png\n")
    with pytest.raises(UserError) as caught:
        load_config(project)
    assert "site.icon: must be an https:// URL" in str(caught.value.problems[0])


def test_every_entry_names_the_author(project):
    build(project)
    for path in xml_feeds(project):
        for entry in feedparser.parse(path.read_bytes()).entries:
            assert entry.author_detail.name == "Ada Example", path
            assert entry.author_detail.email == "ada@example.org", path


def test_without_an_email_rss_entries_name_the_author_in_dc_creator(project):
    settings = project / "linkletter.yaml"
    settings.write_text(settings.read_text().replace("    email: ada@example.org\n", ""))
    build(project)
    data = (project / "dist/feeds/python.rss.xml").read_bytes()
    assert b"<dc:creator>Ada Example</dc:creator>" in data and b"<author>" not in data
    assert feedparser.parse(data).entries[0].author == "Ada Example"
    assert check_feed(data, BASE + "feeds/python.rss.xml", FIXED_NOW) == []


def test_rss_carries_the_full_html_in_content_encoded(project):
    build(project)
    rss = feedparser.parse((project / "dist/feeds/python.rss.xml").read_bytes())
    tom = next(e for e in rss.entries if "tom" in e.link)
    assert (
        tom.summary
        == "<p>Less-than &lt; and ampersand &amp; survive; so do &#x27;quotes&#x27; and emoji 🐍.</p>"
    )
    full = tom.content[0].value
    assert "<strong>bold</strong>" in full and 'src="https://images.example.com/cat.png"' in full


@pytest.mark.parametrize(
    "setting, expected",
    [
        (
            "  category_feeds: true\n",
            {"python", "packaging", "rust", "ties", "arabic", "healthcare-it", "machine-learning"},
        ),
        ("  category_feeds:\n    min_items: 2\n", {"python", "ties"}),
        (
            "  category_feeds:\n    only: [Python, Machine Learning, nowhere]\n",
            {"python", "machine-learning"},
        ),
        ("  category_feeds:\n    min_items: 2\n    only: [python, rust]\n", {"python"}),
        ("  category_feeds: false\n", set()),
    ],
)
def test_category_feeds_min_items_and_allow_list(project, setting, expected):
    set_settings(project, "build", setting)
    result = build(project)
    written = (
        {p.name.split(".")[0] for p in (project / "dist/categories").glob("*.json")} if expected else set()
    )
    assert written == expected
    assert {plan.path for plan in result.feeds if plan.path.startswith("categories/")} == {
        f"categories/{slug}" for slug in expected
    }


def test_a_misspelt_category_feeds_key_is_named(project):
    set_settings(project, "build", "  category_feeds:\n    min_item: 2\n")
    with pytest.raises(UserError) as caught:
        load_config(project)
    assert (
        "build.category_feeds.min_item: unknown key (did you mean 'build.category_feeds.min_items'?)"
        in str(caught.value.problems[0])
    )


def test_the_corpus_json_feeds_are_valid_and_min_items_trims_category_feeds(corpus_project, run):
    code, out, err = run("build", "-C", corpus_project, "--now", "2026-06-01T00:00:00Z")
    assert code == 0, err
    feeds = sorted((corpus_project / "dist").rglob("*.json"))
    assert len(feeds) == 98
    for path in feeds:
        jsonschema.validate(json.loads(path.read_bytes()), SCHEMA)
    set_settings(corpus_project, "build", "  category_feeds:\n    min_items: 10\n")
    shutil.rmtree(corpus_project / "dist")  # dist/ keeps files of feeds no longer built
    code, out, err = run("build", "-C", corpus_project, "--now", "2026-06-01T00:00:00Z")
    assert code == 0, err
    kept = sorted((corpus_project / "dist/categories").glob("*.json"))
    assert 0 < len(kept) < 97
    for path in kept:
        assert len(json.loads(path.read_bytes())["items"]) >= 10, path.name
