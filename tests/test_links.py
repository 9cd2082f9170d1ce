"""Links as browsers read them, and the key that makes one page one bookmark (issue 8, item 5 and
the hostile review's Links, Cost and Low items on text)."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

import feedparser
import pytest

from conftest import FIXED_NOW_ARG
from linkletter.content.markup import render_markdown
from linkletter.values.convert import moment
from linkletter.values.links import link_key, parse_web_url
from linkletter.values.text import plain_text


def key(url: str) -> str:
    return link_key(parse_web_url(url, True))


def test_spaces_are_encoded_as_browsers_do_and_noted(project, run):
    (project / "content/spaces.md").write_text(
        "---\ntitle: Spaces\nlink: https://example.com/a page?utm_campaign=spring sale&q=1\n"
        "date: 2024-05-12T00:00:00Z\n---\n"
    )
    code, out, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1  # the fixture's recipients file has one bad row; the link is no error
    assert "content/spaces.md:3: note: link: contains spaces; encoded as %20, as browsers do" in err
    code, _, _ = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0
    feed = feedparser.parse((project / "dist/feeds/everything.atom.xml").read_bytes())
    assert "https://example.com/a%20page?utm_campaign=spring%20sale&q=1" in [e.link for e in feed.entries]


def test_settings_urls_still_refuse_spaces():
    with pytest.raises(ValueError, match="contains spaces"):
        parse_web_url("https://example.com/a b")


def test_hosts_are_uts46_non_transitional():
    assert parse_web_url("https://faß.de/") == "https://xn--fa-hia.de/"
    assert parse_web_url("https://FAß.de/x") == "https://xn--fa-hia.de/x"
    assert parse_web_url("https://bücher.example/") == "https://xn--bcher-kva.example/"


@pytest.mark.parametrize(
    "one, other",
    [
        ("https://x.org/%7Euser", "https://x.org/~user"),
        ("https://x.org/a%2fb", "https://x.org/a%2Fb"),
        ("https://x.org/a/./b/../c", "https://x.org/a/c"),
        ("https://x.org/p?q=caf%c3%a9", "https://x.org/p?q=caf%C3%A9"),
    ],
)
def test_one_page_has_one_key(one, other):
    assert key(one) == key(other)


def test_bytes_that_are_not_utf8_stay_distinct():
    assert key("https://x.org/?q=caf%E9") != key("https://x.org/?q=caf%E8")


def test_common_keys_did_not_change():
    """Ids derive from keys: a key that changed would show old items as new."""
    assert key("https://Example.com:443/a/?utm_source=x&b=1/2#top") == "https://example.com/a?b=1%2F2"


def test_minus_zero_zone_is_utc():
    assert moment("Mon, 13 May 2024 08:30:00 -0000", ZoneInfo("Europe/Copenhagen")).hour == 8


def test_titles_nested_many_entity_levels_are_stable():
    text = "<img src=x onerror=alert(1)>"
    for _ in range(7):
        text = html.escape(text)
    for variant in (text, text.replace("&lt;", "&lt"), "&ltimg src=x onerror=alert(1)&gt"):
        plain = plain_text(variant)
        assert plain_text(plain) == plain
        assert "<img" not in plain and "&lt" not in plain.replace("& lt", "")


def test_deeply_nested_html_is_not_sanitised_but_shown_as_text():
    body = "<div>" * 1000 + "deep" + "</div>" * 1000
    rendered, problem = render_markdown(body, "https://example.com/")
    assert problem == "nests HTML 1000 levels deep (at most 64)"
    assert rendered == "<p>deep</p>"
    assert render_markdown("<div><b>fine</b></div>", None)[1] is None


def test_a_huge_body_is_capped_in_every_feed(project, run):
    (project / "content/huge.md").write_text(
        "---\ntitle: Huge\nlink: https://example.com/huge\ndate: 2024-05-12T00:00:00Z\n"
        "categories: [python]\n---\n" + ("word " * 40 + "\n\n") * 800
    )
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert "content/huge.md: warning: body: is 161 KB as HTML; a feed item carries at most 64 KB" in err
    assert (project / "dist/feeds/everything.atom.xml").stat().st_size < 64 * 1024
