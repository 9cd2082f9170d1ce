"""Hostile and broken exports: nothing is expanded, fetched or written outside content/, every
parser stays linear, and every refusal names file, line and field."""

from __future__ import annotations

import pytest

from conftest import FIXED_NOW, FIXTURES
from linkletter.content.load import load_bookmarks
from linkletter.errors import UserError
from linkletter.importers import PARSERS, detect_format, import_bookmarks
from linkletter.importers import writer as writer_module
from linkletter.model import Author, Site

IMPORTS = FIXTURES / "imports"
SITE = Site(title="Links", base_url="https://example.org/links/", author=Author("Ann"))


def parse(fmt, name, data=None):
    return PARSERS[fmt](data if data is not None else (IMPORTS / name).read_bytes(), name, FIXED_NOW)


def test_billion_laughs_doctype_expands_nothing(tmp_path):
    records, problems = parse("netscape", "billion-laughs.html")
    assert problems == []
    assert [(r.line, r.link, r.title, r.description) for r in records] == [
        # what would read as an entity reference is defused, as in every title (see values.text)
        (11, "https://example.com/laughs", "& lol9; &xxe;", "& lol9;& lol9;& lol9;")
    ]
    report = import_bookmarks(
        tmp_path / "content", "auto", IMPORTS / "billion-laughs.html", False, set(), FIXED_NOW
    )
    assert len(report.added) == 1
    text = report.added[0].read_text()
    assert "lollol" not in text and "root:" not in text
    bookmarks, load_problems = load_bookmarks(tmp_path / "content", tmp_path, SITE, FIXED_NOW)
    assert load_problems == [] and bookmarks[0].title == "& lol9; &xxe;"


def test_entities_are_decoded_once_and_bad_links_refused():
    records, problems = parse("netscape", "entities.html")
    assert [(r.link, r.title, r.categories) for r in records] == [
        ("https://example.com/a?x=1&y=2", "Tom & Jerry bold", ("c++",)),
    ]
    assert "<" not in records[0].description and "script" not in records[0].description
    assert [str(p) for p in problems] == [
        "entities.html:5: HREF: only http and https links are allowed, got 'javascript:' in "
        "'javascript:alert(1)' (write the full address, starting with https://)",
        "entities.html:6: HREF: only http and https links are allowed, got 'javascript:' in "
        "'JAVASCRIPT:alert(2)' (write the full address, starting with https://)",
        "entities.html:7: HREF: only http and https links are allowed, got 'data:' in "
        "'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==' (write the full address, starting with https://)",
        "entities.html:8: HREF: contains a user name or password: 'https://user:pass@example.com/'",
        "entities.html:9: HREF: missing: the <A> has no address",
        "entities.html:10: ADD_DATE: cannot read '-5' as a date "
        "(expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds)",
    ]


def test_invalid_utf8_is_refused_whole(tmp_path):
    report = import_bookmarks(tmp_path / "content", "auto", IMPORTS / "latin1.html", False, set(), FIXED_NOW)
    assert report.added == []
    assert [str(p) for p in report.refused] == [
        "latin1.html:3: is not UTF-8 text (byte 0xe9 at offset 114); nothing was imported "
        "(export the file again, or convert it to UTF-8)"
    ]
    assert (
        report.summary() == "latin1.html (netscape): 0 added, 0 already present, 0 private skipped, 1 refused"
    )


def test_truncated_json_is_refused_whole(tmp_path):
    assert detect_format((IMPORTS / "truncated.json").read_bytes(), "truncated.json") == "pinboard"
    report = import_bookmarks(
        tmp_path / "content", "auto", IMPORTS / "truncated.json", False, set(), FIXED_NOW
    )
    assert report.added == []
    assert [str(p) for p in report.refused] == [
        "truncated.json:3: ends in the middle of the JSON document (a truncated file?); nothing was imported"
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000, "pinboard.json:1: is nested too deeply to be an export; nothing was imported"),
        (b'[{"href": NaN}]', "pinboard.json:1: is not valid JSON: NaN is not JSON; nothing was imported"),
        (
            b'[{"href": "https://a.example/"}] trailing',
            "pinboard.json:1: has more text after the end of the JSON document",
        ),
        (
            b'[{"href": "https://a.example/"} {"href": 1}]',
            "pinboard.json:1: is not valid JSON: expected ',' or ']', found '{\"href\": 1'; nothing was imported",
        ),
        (b'"just a string"', "pinboard.json:1: is not a JSON export (it does not start with '[' or '{')"),
        (
            b'{"posts": 3}',
            "pinboard.json:1: holds no list of bookmarks (neither a top-level list nor 'posts' or 'bookmarks')",
        ),
        (b'[1, "two", null]', None),
    ],
)
def test_broken_json(data, message):
    records, problems = parse("pinboard", "pinboard.json", data)
    assert records == []
    if message is None:
        assert [str(p) for p in problems] == [
            "pinboard.json:1: item 1 is not an object; skipped",
            "pinboard.json:1: item 2 is not an object; skipped",
            "pinboard.json:1: item 3 is not an object; skipped",
        ]
    else:
        assert [str(p) for p in problems] == [message]


def test_hostile_pinboard_values():
    data = (
        b'[{"href": "https://example.com/x", "description": {"a": 1}, "extended": ["x"], "time": 1e400, "tags": 5},\n'
        b' {"href": ["https://example.com/y"], "time": "2020-01-01T00:00:00Z"},\n'
        b' {"href": "https://example.com/z", "time": "1850-01-01T00:00:00Z"},\n'
        b' {"href": "https://example.com/w", "time": true}]'
    )
    records, problems = parse("pinboard", "p.json", data)
    assert records == []
    assert [str(p) for p in problems] == [
        "p.json:1: time: cannot read inf as a date (expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds)",
        "p.json:2: href: missing (write the full address, starting with https://)",
        "p.json:3: time: '1850-01-01T00:00:00Z' is not a plausible date for a bookmark (linkletter accepts years 1990 to 2999)",
        "p.json:4: time: cannot read True as a date (expected an ISO 8601 date such as 2024-05-06T07:30:00Z or Unix seconds)",
    ]


def test_huge_fields_are_bounded(tmp_path):
    title = "A" * 5_000_000
    note = ("word " * 400_000).strip()
    tags = ",".join(f"tag{i}" for i in range(500))
    data = (
        f'<DL><p><DT><A HREF="https://example.com/huge" ADD_DATE="1700000000" TAGS="{tags}">{title}</A>\n'
        f"<DD>{note}\n"
        f'<DT><A HREF="https://example.com/{"p" * 5000}" ADD_DATE="1700000000">long link</A>\n</DL>'
    ).encode()
    records, problems = parse("netscape", "huge.html", data)
    assert [str(p) for p in problems] == [
        "huge.html:1: warning: DD: the note has 1999999 characters; cut to 16000",
        "huge.html:1: warning: TITLE: the title has 5000000 characters; shortened to 300",
        "huge.html:1: warning: TAGS: 500 categories; the first 50 are kept",
        "huge.html:3: HREF: the link is 5020 characters long; at most 4000 are allowed",
    ]
    (record,) = records
    assert len(record.title) <= 300 and len(record.body) == 16_000 and len(record.categories) == 50
    report = import_bookmarks(
        tmp_path / "content", "netscape", _write(tmp_path / "huge.html", data), False, set(), FIXED_NOW
    )
    assert len(report.added) == 1 and report.added[0].stat().st_size < 1024 * 1024
    bookmarks, load_problems = load_bookmarks(tmp_path / "content", tmp_path, SITE, FIXED_NOW)
    assert load_problems == [] and len(bookmarks[0].categories) == 50


@pytest.mark.parametrize(
    "data",
    [
        b"<a" * 2_000_000,  # tags that never close
        b"<" * 1_000_000 + b">",  # one '>' at the very end
        b"<!--" * 1_000_000,  # comments that never close
        b'<A HREF="' * 500_000 + b">",
        b"&amp;" * 1_000_000,
        b"<DL>" * 200_000,  # folders nested 200,000 deep
    ],
)
def test_netscape_parser_gets_through_pathological_markup(data):
    """Megabytes of markup that never closes: a parser that backtracks would not come back from
    these (no timing threshold here: the run itself is the check)."""
    records, problems = parse("netscape", "bomb.html", data)
    assert records == []


def test_csv_with_a_giant_cell_stops_with_a_message():
    data = (
        b'id,title,url,created\n1,ok,https://example.com/1,2024-01-01T00:00:00Z\n2,"'
        + b"x" * 2_000_000
        + b'",https://example.com/2,2024-01-01\n'
    )
    records, problems = parse("raindrop", "r.csv", data)
    assert [r.link for r in records] == ["https://example.com/1"]
    assert [str(p) for p in problems] == [
        "r.csv:3: is not valid CSV: field larger than field limit (1048576); the rest of the file was not read"
    ]


def test_csv_without_url_column():
    records, problems = parse("raindrop", "r.csv", b"id,title,link\n1,x,https://example.com/\n")
    assert records == []
    assert [str(p) for p in problems] == [
        "r.csv:1: has no 'url' column (expected Raindrop's header: id,title,note,excerpt,url,folder,tags,created,...)"
    ]


def test_oversized_file_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "MAX_INPUT_BYTES", 1000)
    path = _write(tmp_path / "big.html", b"<DL>" + b" " * 2000)
    with pytest.raises(UserError) as info:
        import_bookmarks(tmp_path / "content", "auto", path, False, set(), FIXED_NOW)
    assert str(info.value) == (
        "big.html: is 2 KB; an export may be at most 1000 bytes (split the export into smaller files)"
    )
    assert not (tmp_path / "content").exists()


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


def test_a_file_that_is_not_a_bookmark_file_is_refused_as_netscape(tmp_path):
    records, problems = parse("netscape", "notes.txt", b"just some notes\nno links here\n")
    assert records == []
    assert [str(p) for p in problems] == [
        "notes.txt: is not a Netscape bookmark file: it holds no <A HREF=...> link (check the file and FORMAT)"
    ]
