"""`linkletter import`: the four export formats, the written files read back by linkletter's own
reader, idempotence, and the file naming and writing rules."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import FIXED_NOW, FIXTURES
from linkletter.content.load import load_bookmark, load_bookmarks
from linkletter.errors import UserError
from linkletter.importers import (
    PARSERS,
    ImportedBookmark,
    detect_format,
    file_name,
    import_bookmarks,
    render_bookmark_file,
)
from linkletter.model import Author, Site
from linkletter.values.links import link_key, parse_web_url

IMPORTS = FIXTURES / "imports"
SITE = Site(title="Links", base_url="https://example.org/links/", author=Author("Ann"))
EXPORTS = {
    "netscape": "firefox.html",
    "pinboard": "pinboard.json",
    "dropmark": "dropmark.json",
    "raindrop": "raindrop.csv",
}


def parse(fmt: str, name: str):
    return PARSERS[fmt]((IMPORTS / name).read_bytes(), name, FIXED_NOW)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def read_back(path: Path, root: Path):
    """The bookmark as linkletter's reader sees it, or None for a draft."""
    bookmark, categories, problems = load_bookmark(path, path.relative_to(root).as_posix(), SITE, FIXED_NOW)
    assert not [p for p in problems if p.is_error], problems
    if bookmark is None:
        return None
    return bookmark, categories, problems


# -- parsing ----------------------------------------------------------------------------------


def test_netscape_firefox_export():
    records, problems = parse("netscape", "firefox.html")
    assert [(r.line, r.link, r.title, r.date, r.categories, r.private) for r in records] == [
        (
            14,
            "https://support.mozilla.org/products/firefox",
            "Get Help",
            utc(2019, 1, 1),
            ("Mozilla Firefox",),
            False,
        ),
        (
            19,
            "https://www.python.org/dev/peps/pep-0008/",
            "PEP 8 – Style Guide for Python Code",
            utc(2019, 5, 9, 19, 27, 43),
            ("python", "style"),
            False,
        ),
        # ADD_DATE in milliseconds (Chrome) and in microseconds (Firefox's PRTime)
        (
            26,
            "https://doc.rust-lang.org/book/",
            "The Rust Programming Language",
            utc(2020, 9, 13, 12, 26, 40),
            ("Dev", "Rust & Go", "rust"),
            False,
        ),
        (
            27,
            "https://go.dev/doc/effective_go?utm_source=newsletter",
            "Effective Go - The Go Programming Language",
            utc(2020, 9, 13, 12, 28, 20),
            ("Dev", "Rust & Go", "go", "style"),
            False,
        ),
        (
            32,
            "https://news.ycombinator.com/item?id=42",
            "Ask HN: What are you working on?",
            utc(2023, 11, 14, 22, 13, 20),
            ("Dev", "hn"),
            True,
        ),
        (
            37,
            "https://example.org/colon",
            'title: with "quotes" #hash',
            utc(2023, 11, 14, 22, 21, 40),
            (),
            False,
        ),
        (38, "https://example.org/no", "no", utc(2023, 11, 14, 22, 22, 30), (), False),
        (
            39,
            "https://www.example.com/2024/",
            "2024",
            utc(2023, 11, 14, 22, 23, 20),
            ("2024", "no", "- dash"),
            False,
        ),
        (
            40,
            "https://www.python.org/dev/peps/pep-0008",
            "PEP 8 (saved again)",
            utc(2017, 7, 14, 2, 40),
            ("reference",),
            False,
        ),
        (
            41,
            "https://tools.ietf.org/html/rfc3986",
            "RFC 3986 - Uniform Resource Identifier (URI): Generic Syntax",
            FIXED_NOW,
            (),
            False,
        ),
        (
            45,
            "https://blog.example.com/caf%C3%A9-cr%C3%A8me",
            "Café crème — notes",
            utc(2024, 3, 9, 16),
            (),
            False,
        ),
    ]
    # a multi-paragraph <DD>: its first paragraph is the description, all of it the body
    go = records[3]
    assert go.description == "A document that gives tips for writing clear, idiomatic Go code."
    assert go.body == (
        "A document that gives tips for writing clear, idiomatic Go code.\n\n"
        "It augments the language specification & the Tour of Go."
    )
    assert records[1].description == "Coding conventions for the Python code comprising the standard library."
    assert records[1].body == ""
    assert [str(p) for p in problems] == [
        "firefox.html:16: HREF: only http and https links are allowed, got 'place:' in "
        "'place:parent=menu________&excludeItems=1' (write the full address, starting with https://)",
        "firefox.html:33: HREF: only http and https links are allowed, got 'javascript:' in "
        "'javascript:alert(document.cookie)' (write the full address, starting with https://)",
        "firefox.html:41: warning: ADD_DATE: no date; the bookmark is dated at the time of the import",
        "firefox.html:42: ADD_DATE: cannot read 'next tuesday' as a date "
        "(expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds)",
    ]


def test_netscape_pocket_style_list():
    data = (
        b"<!DOCTYPE html>\n<html><head><title>Pocket Export</title></head><body>\n<h1>Unread</h1>\n<ul>\n"
        b'<li><a href="https://example.com/one" time_added="1700000000" tags="reading,later">One</a></li>\n'
        b"</ul>\n<h1>Read Archive</h1>\n<ul>\n"
        b'<li><a href="https://example.com/two" time_added="1690000000" tags="">Two</a></li>\n</ul></body></html>\n'
    )
    assert detect_format(data, "ril_export.html") == "netscape"
    records, problems = PARSERS["netscape"](data, "ril_export.html", FIXED_NOW)
    assert problems == []
    assert [(r.line, r.link, r.title, r.date, r.categories) for r in records] == [
        (5, "https://example.com/one", "One", utc(2023, 11, 14, 22, 13, 20), ("reading", "later")),
        (9, "https://example.com/two", "Two", utc(2023, 7, 22, 4, 26, 40), ()),
    ]


def test_pinboard_export():
    records, problems = parse("pinboard", "pinboard.json")
    assert [(r.line, r.link, r.title, r.date, r.categories, r.private, r.to_read) for r in records] == [
        # ".secret" is a Pinboard private tag: not imported
        (
            1,
            "https://danluu.com/cocktail-ideas/",
            "Cocktail party ideas",
            utc(2021, 3, 14, 15, 9, 26),
            ("essays", "engineering"),
            False,
            False,
        ),
        (
            2,
            "https://lwn.net/Articles/944502/",
            "A look at the 6.5 kernel",
            utc(2023, 9, 1, 8),
            ("linux", "kernel"),
            True,
            False,
        ),
        (
            3,
            "https://www.usenix.org/conference/osdi23/presentation/zhang",
            "OSDI '23: ...",
            utc(2023, 7, 10, 12, 30),
            ("papers",),
            False,
            True,
        ),
        (
            6,
            "https://jvns.ca/blog/2023/08/03/behind--hello-world/",
            'Behind "Hello World" on Linux',
            utc(2023, 8, 3, 17),
            ("linux",),
            False,
            False,
        ),
    ]
    assert records[0].description == "Why people with ideas rarely tell you: a cocktail-party explainer."
    assert [str(p) for p in problems] == [
        "pinboard.json:4: href: only http and https links are allowed, got 'ftp:' in "
        "'ftp://ftp.example.org/pub/file.txt' (write the full address, starting with https://)",
        "pinboard.json:5: time: cannot read 'yesterday' as a date "
        "(expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds)",
    ]


def test_dropmark_collection_export():
    records, problems = parse("dropmark", "dropmark.json")
    assert [(r.line, r.link, r.title, r.date, r.categories, r.image) for r in records] == [
        (
            8,
            "https://medicalfuturist.com/danish-digital-health-strategy",
            "Where Is Digital Health Heading In Denmark? - The Medical Futurist",
            utc(2019, 2, 8, 11, 39, 55),
            ("healthcare it",),
            None,  # signed thumbnail, expired
        ),
        (
            24,
            "https://www.hl7.org/fhir/overview.html",
            "FHIR Overview",
            utc(2019, 2, 9, 8),
            ("standards", "healthcare it"),
            "https://cdn2.dropmarkusercontent.com/353804/aa/thumbnail/fhir.png",
        ),
    ]
    assert records[0].description.startswith("After reading the Danish digital health strategy, one of")
    assert records[0].description.endswith("…")
    assert records[0].body.endswith("for the better in the Scandinavian country.")
    assert [str(p) for p in problems] == [
        "dropmark.json:8: warning: thumbnail: the signed image URL expired on 2019-05-09; the image is left out",
        "dropmark.json:36: type: is a Dropmark 'image' item, not a link; skipped",
        "dropmark.json:45: link: missing (write the full address, starting with https://)",
    ]


def test_dropmark_list_of_items():
    data = b'[{"name": "X", "link": "https://example.com/x", "created_at": "2020-01-02 03:04:05 UTC", "tags": []}]'
    assert detect_format(data, "items.json") == "dropmark"
    records, problems = PARSERS["dropmark"](data, "items.json", FIXED_NOW)
    assert problems == []
    assert [(r.link, r.title, r.date) for r in records] == [
        ("https://example.com/x", "X", utc(2020, 1, 2, 3, 4, 5))
    ]


def test_raindrop_csv_export():
    records, problems = parse("raindrop", "raindrop.csv")
    assert [(r.line, r.link, r.title, r.date, r.categories, r.image) for r in records] == [
        (
            2,
            "https://doc.rust-lang.org/rust-by-example/",
            "Rust by Example",
            utc(2024, 3, 15, 9, 30),
            ("Dev", "Rust", "learning"),  # folder levels, then tags ("rust" is "Rust")
            "https://rdl.ink/render/https%3A%2F%2Fdoc.rust-lang.org",
        ),
        (
            3,
            "https://news.ycombinator.com/",
            "Hacker News",
            utc(2024, 4, 1, 12),
            (),
            None,
        ),  # "Unsorted" is no category
        (
            4,
            "https://example.com/quoted?utm_source=raindrop&keep=1",
            'Quoted "Title", with comma',
            utc(2024, 4, 2, 10),
            ("Reading", "essays"),
            None,
        ),
        (
            8,
            "https://doc.rust-lang.org/rust-by-example",
            "Rust by Example (again)",
            utc(2024, 1, 1),
            ("Dev",),
            None,
        ),
    ]
    quoted = records[2]
    assert quoted.description == "An excerpt, with commas"
    assert quoted.body == (
        "An excerpt, with commas\n\nFirst note line\nSecond note line\n\n> A highlight\n\n> Another highlight"
    )
    assert [str(p) for p in problems] == [
        "raindrop.csv:7: url: only http and https links are allowed, got 'data:' in "
        "'data:text/html,<script>alert(1)</script>' (write the full address, starting with https://)",
    ]


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
def test_auto_recognises_each_format(fmt):
    assert detect_format((IMPORTS / EXPORTS[fmt]).read_bytes(), EXPORTS[fmt]) == fmt


@pytest.mark.parametrize(
    "data", [b"", b"hello world\n", b"name,email\nAnn,ann@example.org\n", b'{"a": 1}', b"%PDF-1.4"]
)
def test_auto_refuses_an_unknown_file(data):
    with pytest.raises(UserError) as info:
        detect_format(data, "mystery.txt")
    assert str(info.value) == (
        "mystery.txt: is not an export linkletter recognises (name the format: netscape (bookmark HTML "
        "from browsers, Pocket, Raindrop, linkding, Shaarli, Delicious), pinboard (Pinboard JSON), "
        "dropmark (Dropmark collection JSON) or raindrop (Raindrop.io CSV))"
    )


# -- importing and reading back ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(EXPORTS))
def test_import_writes_files_the_reader_accepts(tmp_path, fmt):
    content = tmp_path / "content"
    content.mkdir()
    export = IMPORTS / EXPORTS[fmt]
    report = import_bookmarks(
        content, "auto", export, include_private=True, existing_keys=set(), now=FIXED_NOW
    )
    records, _ = parse(fmt, EXPORTS[fmt])
    by_key = {}
    for record in records:
        by_key.setdefault(record.key, record)
    assert len(report.added) == len(by_key) > 0
    for path in report.added:
        assert path.parent == content / "imported" / fmt
        assert path.name.endswith(".md") and len(path.name.encode()) <= 100
        result = read_back(path, tmp_path)
        record = next(r for r in by_key.values() if file_name(r) == path.name)
        if record.to_read:
            assert result is None  # written as a draft
            continue
        bookmark, categories, warnings = result
        assert warnings == []
        assert bookmark.link == record.link
        assert bookmark.title == (record.title or bookmark.title)
        assert bookmark.date == min(r.date for r in records if r.key == record.key)
        assert bookmark.description == record.description
        assert bookmark.image == record.image
        assert bookmark.brand == (record.brand or path.name.rsplit("-", 1)[0])
        merged = []
        for r in records:
            if r.key == record.key:
                merged += [c for c in r.categories if c.casefold() not in {m.casefold() for m in merged}]
        assert categories == tuple(merged)
    # and the whole folder loads without a single problem
    bookmarks, problems = load_bookmarks(content, tmp_path, SITE, FIXED_NOW)
    assert problems == []
    assert len(bookmarks) == len(report.added) - report.drafts


def test_import_report_and_idempotence(tmp_path):
    content = tmp_path / "content"
    export = IMPORTS / "firefox.html"
    first = import_bookmarks(content, "netscape", export, False, set(), FIXED_NOW)
    assert first.summary() == (
        "firefox.html (netscape): 9 added, 0 already present, 1 duplicate(s) in the file merged, "
        "1 private skipped (--include-private imports them), 3 refused"
    )
    assert [str(p) for p in first.refused] == [
        str(p) for p in parse("netscape", "firefox.html")[1] if p.is_error
    ]
    written = {p: p.read_bytes() for p in (content / "imported" / "netscape").iterdir()}
    assert sorted(written) == sorted(first.added)
    # the same link saved in two folders is one file with the earliest date and both sets of tags
    pep8 = read_back(
        content / "imported" / "netscape" / file_name(parse("netscape", "firefox.html")[0][1]), tmp_path
    )
    assert pep8[0].date == utc(2017, 7, 14, 2, 40)
    assert pep8[1] == ("python", "style", "reference")
    assert pep8[0].title == "PEP 8 – Style Guide for Python Code"

    again = import_bookmarks(content, "netscape", export, False, set(), datetime(2025, 1, 1, tzinfo=UTC))
    assert again.added == []
    assert again.already_present == 9
    assert again.summary() == (
        "firefox.html (netscape): 0 added, 9 already present, 1 duplicate(s) in the file merged, "
        "1 private skipped (--include-private imports them), 3 refused"
    )
    assert {p: p.read_bytes() for p in (content / "imported" / "netscape").iterdir()} == written

    private = import_bookmarks(content, "netscape", export, True, set(), FIXED_NOW)
    assert [p.name for p in private.added] == [file_name(parse("netscape", "firefox.html")[0][4])]
    assert private.private == 0 and private.already_present == 9


def test_links_already_in_content_are_not_duplicated(tmp_path):
    content = tmp_path / "content"
    # the lead passes link_key(bookmark.link) of every bookmark already in content/
    existing = {
        link_key("https://go.dev/doc/effective_go"),
        link_key("https://support.mozilla.org/products/firefox/"),
    }
    report = import_bookmarks(content, "netscape", IMPORTS / "firefox.html", False, existing, FIXED_NOW)
    assert len(report.added) == 7 and report.already_present == 2
    added = {read_back(p, tmp_path)[0].link for p in report.added}
    assert "https://go.dev/doc/effective_go?utm_source=newsletter" not in added


def test_a_link_imported_from_another_format_is_already_present(tmp_path):
    content = tmp_path / "content"
    first = import_bookmarks(content, "raindrop", IMPORTS / "raindrop.csv", False, set(), FIXED_NOW)
    assert len(first.added) == 3  # rust-by-example twice (with and without the slash): one file
    netscape = tmp_path / "rust.html"
    netscape.write_text(
        '<DL><p><DT><A HREF="http://doc.rust-lang.org/rust-by-example" ADD_DATE="1700000000">Rust by Example</A></DL>'
    )
    second = import_bookmarks(content, "auto", netscape, False, set(), FIXED_NOW)
    assert (second.fmt, second.added, second.already_present) == ("netscape", [], 1)


def test_to_read_bookmarks_are_drafts(tmp_path):
    content = tmp_path / "content"
    report = import_bookmarks(content, "pinboard", IMPORTS / "pinboard.json", False, set(), FIXED_NOW)
    assert report.summary() == (
        "pinboard.json (pinboard): 3 added, 0 already present, 1 private skipped "
        "(--include-private imports them), 2 refused; 1 saved to read later, written as drafts"
    )
    usenix = content / "imported" / "pinboard" / file_name(parse("pinboard", "pinboard.json")[0][2])
    assert "\ndraft: true\n" in usenix.read_text()
    assert read_back(usenix, tmp_path) is None
    again = import_bookmarks(content, "pinboard", IMPORTS / "pinboard.json", False, set(), FIXED_NOW)
    assert again.added == [] and again.already_present == 3


def test_dry_run_writes_nothing(tmp_path):
    content = tmp_path / "content"
    report = import_bookmarks(
        content, "dropmark", IMPORTS / "dropmark.json", False, set(), FIXED_NOW, dry_run=True
    )
    assert len(report.added) == 2
    assert not content.exists()


# -- the written file ---------------------------------------------------------------------------

TRICKY = [
    "no",
    "yes",
    "2024",
    "1.10",
    "null",
    "~",
    "true",
    "- a list?",
    "title: with a colon",
    "# not a comment",
    "'single' and \"double\" quotes",
    "a #hash and a: colon",
    "[brackets] {braces}",
    "@at `backtick` | pipe > gt",
    "*star & ampersand",
    "%percent",
    "!tag",
    "? question",
    "trailing colon:",
    "ünïcödé ✓ 日本語",
    "x" * 290 + " end",
]


@pytest.mark.parametrize("title", TRICKY)
def test_titles_round_trip_as_text(tmp_path, title):
    names = (title, "no", "2024") if any(c.isalnum() for c in title) else ("no", "2024")
    record = ImportedBookmark(
        link="https://example.com/t",
        title=title,
        date=utc(2024, 1, 2, 3, 4, 5),
        categories=names,
        description=title,
        body="---\nA body with a fence-like line above.\n",
        source="t",
    )
    path = tmp_path / "content" / "t.md"
    path.parent.mkdir()
    path.write_text(render_bookmark_file(record, "pinboard"))
    bookmark, categories, warnings = read_back(path, tmp_path)
    assert (bookmark.title, bookmark.description, categories, warnings) == (title, title, names, [])
    assert bookmark.date == utc(2024, 1, 2, 3, 4, 5)
    assert "A body with a fence-like line above." in bookmark.body_html


def test_rendered_file_has_the_seed_layout():
    record = ImportedBookmark(
        link="https://medicalfuturist.com/danish-digital-health-strategy",
        title="Where Is Digital Health Heading In Denmark? - The Medical Futurist",
        date=utc(2019, 2, 8, 11, 39, 55),
        categories=("healthcare it",),
        description="After reading the Danish digital health strategy.",
        image="https://cdn.example.com/thumbnail/Hospital-Scene.jpg",
        source="dropmark.json",
    )
    assert render_bookmark_file(record, "dropmark") == (
        "---\n"
        "title: Where Is Digital Health Heading In Denmark? - The Medical Futurist\n"
        "link: https://medicalfuturist.com/danish-digital-health-strategy\n"
        "date: 2019-02-08T11:39:55Z\n"
        "categories:\n"
        "- healthcare it\n"
        "description: After reading the Danish digital health strategy.\n"
        "featuredImage: https://cdn.example.com/thumbnail/Hospital-Scene.jpg\n"
        "slug: medicalfuturist.com-5f76f5ee7aea\n"
        "linkBrand: medicalfuturist.com\n"
        "source:\n"
        "  name: Dropmark import\n"
        "---\n"
    )


def test_file_names_are_stable_short_and_safe():
    def name(link):
        return file_name(ImportedBookmark(link=parse_web_url(link), title="", date=FIXED_NOW, source="x"))

    assert name("https://www.python.org/dev/peps/pep-0008/") == name(
        "http://WWW.python.org/dev/peps/pep-0008"
    )
    assert name("https://go.dev/doc?utm_source=x") == name("https://go.dev/doc")
    assert name("https://go.dev/doc?a=1") != name("https://go.dev/doc?a=2")
    long_host = "https://" + ".".join(["a" * 60] * 4) + "/"
    for link in (
        long_host,
        "https://_dmarc.example.com/",
        "https://xn--bcher-kva.example/",
        "https://1.2.3.4:8080/x",
    ):
        n = name(link)
        assert len(n.encode()) <= 100
        assert n[0].isalnum() and all(c.isalnum() or c in ".-" for c in n)
    assert name("https://www.python.org/x").startswith("python.org-")


def test_never_overwrites_an_existing_file(tmp_path):
    content = tmp_path / "content"
    records, _ = parse("dropmark", "dropmark.json")
    folder = content / "imported" / "dropmark"
    folder.mkdir(parents=True)
    mine = folder / file_name(records[1])
    mine.write_text("my own edits\n")
    report = import_bookmarks(content, "dropmark", IMPORTS / "dropmark.json", False, set(), FIXED_NOW)
    assert mine.read_text() == "my own edits\n"
    assert len(report.added) == 1 and report.already_present == 1
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [mine.name, report.added[0].name]
    )  # no temporary files


def test_never_writes_outside_the_content_folder(tmp_path):
    content = tmp_path / "content"
    content.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, content / "imported")
    with pytest.raises(UserError, match="leads outside the content folder"):
        import_bookmarks(content, "pinboard", IMPORTS / "pinboard.json", False, set(), FIXED_NOW)
    assert list(outside.rglob("*.md")) == []


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(UserError, match="unknown format 'delicious'"):
        import_bookmarks(tmp_path, "delicious", IMPORTS / "pinboard.json", False, set(), FIXED_NOW)
    with pytest.raises(UserError, match="nope.html: not found"):
        import_bookmarks(tmp_path, "auto", tmp_path / "nope.html", False, set(), FIXED_NOW)


def test_the_import_command_adds_once_and_reports(project, run):
    export = FIXTURES / "imports" / "pinboard.json"
    code, out, err = run("import", "-C", project, "--now", "2024-05-13T08:00:00Z", "auto", export)
    added = [line for line in out.splitlines() if line.startswith("added content/imported/pinboard/")]
    assert added and f"{len(added)} added, 0 already present" in out
    code, out, err = run("import", "-C", project, "--now", "2024-05-13T08:00:00Z", "pinboard", export)
    assert f"0 added, {len(added)} already present" in out and "added content" not in out
    code, out, err = run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert code == 0, err


def test_the_import_command_dry_run_writes_nothing(project, run):
    export = FIXTURES / "imports" / "raindrop.csv"
    code, out, _ = run("import", "-C", project, "--dry-run", "raindrop", export)
    assert "would add content/imported/raindrop/" in out
    assert not (project / "content" / "imported").exists()
