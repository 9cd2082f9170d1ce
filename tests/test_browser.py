"""What a person sees, in a real chromium: the index page, the digest archive, an issue's web page
and its email HTML load without console errors or failed requests, their links work, they fit
375 and 600 px wide screens without sideways scrolling, and their images have alt text.

The fixture site is built and one issue published once per module; `dist/` is served over HTTP at
the base_url's path, and the browser gets https://links.example.org/sub/... from that server, so
pages are opened at their public addresses. Screenshots go to TMPDIR/linkletter-screenshots.
Skipped without chromium or the playwright package (see support/browser.py)."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXED_NOW, FIXED_NOW_ARG, FIXTURES, REPO
from linkletter.cli import main as cli_main
from support import browser as harness
from support.browser import (
    SiteUnderTest,
    check_links,
    horizontal_overflow,
    images_without,
    links,
    screenshot,
    serve_directory,
)

pytestmark = pytest.mark.process

browser = harness.browser  # the fixtures: a session-wide chromium, and open_page(site, url, ...)
open_page = harness.open_page

PUBLIC_BASE = "https://links.example.org/sub/"  # site.base_url of tests/fixtures/site
ISSUE = "2024-05-13"
WIDTHS = (375, 600)
WEB_PAGES = {
    "index": "",
    "digest-archive": "digest/",
    "digest-issue": f"digest/{ISSUE}.html",
}
PAGES = (*WEB_PAGES, "email")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture project (as conftest's `project`), built and with issue 2024-05-13 published."""
    project = tmp_path_factory.mktemp("browser") / "site"
    shutil.copytree(FIXTURES / "site", project)
    shutil.copytree(REPO / "templates", project / "templates")
    assert cli_main(["build", "-C", str(project), "--now", FIXED_NOW_ARG]) == 0
    assert cli_main(["digest", "-C", str(project), "--now", FIXED_NOW_ARG, "--date", ISSUE, "--publish"]) == 0
    assert (project / "dist" / "digest" / f"{ISSUE}.html").is_file()
    return project


@pytest.fixture(scope="module")
def site(built):
    with serve_directory(built / "dist", prefix="/sub/") as server:
        yield SiteUnderTest(served_at=server.url, public_base=PUBLIC_BASE)


def address(site: SiteUnderTest, built, name: str) -> str:
    if name == "email":
        return (built / ".linkletter" / "preview" / ISSUE / "email.html").as_uri()
    return site.url(WEB_PAGES[name])


@pytest.mark.parametrize("name", PAGES)
def test_loads_without_errors(open_page, site, built, name):
    visit = open_page(site, address(site, built, name))
    assert visit.page.title(), "the page has no <title>"
    assert visit.problems() == []


@pytest.mark.parametrize("name", PAGES)
def test_links_work(open_page, site, built, name):
    visit = open_page(site, address(site, built, name))
    found = links(visit.page)
    assert found, "no links at all"
    assert check_links(site, found) == []


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGES)
def test_fits_the_screen(open_page, site, built, name, width):
    visit = open_page(site, address(site, built, name), width=width)
    overflow = horizontal_overflow(visit.page, width)
    screenshot(visit.page, f"{name}-{width}")
    assert overflow is None


@pytest.mark.parametrize("name", PAGES)
def test_images_have_alt(open_page, site, built, name):
    visit = open_page(site, address(site, built, name))
    assert images_without(visit.page, "alt") == []
    if name == "email":  # Outlook sizes an image by its width attribute, not by CSS
        assert images_without(visit.page, "width") == []


def test_the_issue_shows_its_image(open_page, site, built):
    """The one featured image of the fixture week is on the web page, stubbed, and fits 375 px."""
    visit = open_page(site, address(site, built, "digest-issue"), width=375)
    assert visit.external_requests == ["image https://images.example.com/cat.png"]
    box = visit.page.locator("img.item-image").bounding_box()
    assert box and 0 < box["width"] <= 375


# ---------------------------------------------------------------------------------------------
# The harness sees what it is meant to see


def test_harness_reports_a_missing_page_and_a_console_error(open_page, site):
    visit = open_page(site, site.url("digest/1999-01-01.html"))
    assert visit.failed_requests == [f"{PUBLIC_BASE}digest/1999-01-01.html: HTTP 404"]
    visit.page.evaluate("console.error('deliberate')")
    assert any("deliberate" in text for text in visit.console_errors)


def test_harness_reports_bad_links(site):
    found = [
        ("x", f"{PUBLIC_BASE}feeds/missing.atom.xml", "missing"),
        ("y", f"{PUBLIC_BASE}digest/{ISSUE}.html#no-such-section", "fragment"),
        ("/elsewhere", "https://other.example/elsewhere", "relative"),
        ("javascript:void(0)", "javascript:void(0)", "script"),
        ("https://ok.example/", "https://ok.example/", "fine"),
        ("z", f"{PUBLIC_BASE}digest/{ISSUE}.html#python", "fine too"),
    ]
    problems = check_links(site, found)
    assert len(problems) == 4, problems
    assert "HTTP 404" in problems[0] and "no id 'no-such-section'" in problems[1]


# ---------------------------------------------------------------------------------------------
# Real bookmarks: the MIT corpus (as conftest's `corpus_project`), week of 2022-07-11

CORPUS_ISSUE = "2022-07-11"


@pytest.fixture(scope="module")
def corpus_site(tmp_path_factory):
    project = tmp_path_factory.mktemp("browser-corpus") / "corpus-site"
    shutil.copytree(FIXTURES / "site", project, ignore=shutil.ignore_patterns("content", "feeds"))
    shutil.copytree(REPO / "content" / "niqdev-my-awesome", project / "content")
    shutil.copytree(REPO / "templates", project / "templates")
    assert cli_main(["build", "-C", str(project), "--now", FIXED_NOW_ARG]) == 0
    assert (
        cli_main(["digest", "-C", str(project), "--now", FIXED_NOW_ARG, "--date", CORPUS_ISSUE, "--publish"])
        == 0
    )
    with serve_directory(project / "dist", prefix="/sub/") as server:
        yield project, SiteUnderTest(served_at=server.url, public_base=PUBLIC_BASE)


@pytest.mark.parametrize(
    ("name", "width"),
    [
        ("index", 375),
        ("digest-issue", 600),
        ("digest-issue", 375),  # a title starting with a 347 px word: .item-title must wrap it
        ("email", 375),
        ("email", 600),
    ],
)
def test_corpus_pages(open_page, corpus_site, name, width):
    project, site = corpus_site
    if name == "email":
        url = (project / ".linkletter" / "preview" / CORPUS_ISSUE / "email.html").as_uri()
    else:
        url = site.url({"index": "", "digest-issue": f"digest/{CORPUS_ISSUE}.html"}[name])
    visit = open_page(site, url, width=width)
    screenshot(visit.page, f"corpus-{name}-{width}")
    assert visit.problems() == []
    assert check_links(site, links(visit.page)) == []
    assert images_without(visit.page, "alt") == []
    assert horizontal_overflow(visit.page, width) is None


# ---------------------------------------------------------------------------------------------
# `linkletter serve`, and a feed with the XSL stylesheet, as a person opens them


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`linkletter serve` on the fixture project with build.xsl on; yields (project, site)."""
    import queue
    import threading

    from linkletter.commands.serve import serve

    project = tmp_path_factory.mktemp("serve") / "site"
    shutil.copytree(FIXTURES / "site", project)
    settings = project / "linkletter.yaml"
    settings.write_text(settings.read_text().replace("build:\n", "build:\n  xsl: true\n"))
    rounds, urls, stop = queue.Queue(), queue.Queue(), threading.Event()
    thread = threading.Thread(
        target=serve, args=(project, None, 0, lambda: FIXED_NOW, rounds.put, stop, urls.put), daemon=True
    )
    thread.start()
    first = rounds.get(timeout=60)
    assert not [p for p in first.problems if p.is_error], first.problems
    yield project, SiteUnderTest(served_at=urls.get(timeout=30))
    stop.set()
    thread.join(timeout=10)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_served_index_works_as_a_page(open_page, served, width):
    _, site = served
    visit = open_page(site, site.url(""), width=width)
    assert visit.problems() == []
    found = links(visit.page)
    assert any(href.startswith(site.served_at + "feeds/") for _, href, _ in found), found
    assert check_links(site, found) == []
    assert horizontal_overflow(visit.page, width) is None
    screenshot(visit.page, f"serve-index-{width}")


@pytest.mark.parametrize("kind", ["rss.xml", "atom.xml"])
def test_a_feed_with_the_stylesheet_reads_as_a_page(open_page, served, kind):
    _, site = served
    visit = open_page(site, site.url(f"feeds/python.{kind}"), width=600)
    assert visit.problems() == []
    text = visit.page.inner_text("body")
    assert "Python links" in text and "feed reader" in text, text[:300]  # the stylesheet's page
    assert visit.page.locator("a[href='https://moved.example.org/book']").count() == 1  # an item's link
    assert horizontal_overflow(visit.page, 600) is None
    screenshot(visit.page, f"serve-feed-{kind}")
