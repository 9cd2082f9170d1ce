"""Property tests (hypothesis): hostile and random input never crashes linkletter with anything but
its own error types, and what comes out keeps the documented invariants.

1. front matter: `split_document` / `parse_mapping` on arbitrary text and on mangled YAML;
2. `load_bookmark` on arbitrary bytes and hostile front matter;
3. `select_for_feed` and `group_sections` on random bookmarks;
4. a whole build plus a digest preview of a small random site.

Each property runs twice: a modest number of examples in the normal run, and a long-run twin
marked `slow` (`python -m pytest tests/test_properties.py -m slow`). The environment variable
LINKLETTER_SLOW_EXAMPLES overrides the example count of every slow twin.
"""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
import tempfile
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

import feedparser
import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from conftest import DIGEST_HEADERS, FIXED_NOW, FIXTURES
from linkletter.commands.build import build_site, load_site
from linkletter.commands.digest import preview_digest
from linkletter.content.frontmatter import split_document
from linkletter.content.load import load_bookmark
from linkletter.content.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from linkletter.errors import Problem, UserError, ValueProblem
from linkletter.model import Author, Bookmark, Category, FeedSpec, Site
from linkletter.newsletter.issues import plan_issue, slot_for, subject
from linkletter.newsletter.message import header_text
from linkletter.publish.feeds import public_url
from linkletter.select import group_sections, newest_first, select_for_feed
from linkletter.settings.load import load_config
from linkletter.values.mapping import MAX_DEPTH, parse_mapping
from linkletter.values.text import clean_text, markup_to_text, plain_text
from support.feedcheck import check_feed
from support.yaml_reference import parse_mapping as reference_mapping

# --- running every property twice ---------------------------------------------------------------

_SUPPRESS = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large]


def twins(fast: int, slow: int, phases=tuple(Phase), **strategies):
    """Two tests from one body: `fast` examples in the normal run, `slow` in the slow run."""
    slow = int(os.environ.get("LINKLETTER_SLOW_EXAMPLES", slow))

    def decorate(body):
        def make(count: int):
            return settings(
                max_examples=count, deadline=None, suppress_health_check=_SUPPRESS, phases=phases
            )(given(**strategies)(body))

        return make(fast), pytest.mark.slow(make(slow))

    return decorate


# --- bugs found ----------------------------------------------------------------------------------
# Bugs these properties found, now fixed, and covered by them: IPv6 literal hosts (brackets were
# lost and the build crashed), markup left in plain text after one pass of tag stripping and entity
# decoding, and RFC 2047 encoded words in a title that injected headers into the email.


# --- shared strategies ---------------------------------------------------------------------------

NOW = FIXED_NOW  # 2024-05-13T08:00Z, a Monday; the digest's slot is 07:00Z (09:00 Copenhagen)
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ZONES = [UTC, COPENHAGEN, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
SITE = Site(
    title="Property Links",
    base_url="https://links.example.org/",
    author=Author("A", "a@example.org"),
    timezone=COPENHAGEN,
)

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "<img src=x onerror=alert(1)>",
    '<img src="javascript:alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="https://ok.example/" onclick="x()">ok</a>',
    '<a href="/relative?q=1">rel</a>',
    "<svg onload=alert(1)>",
    "<iframe src=https://evil.example/></iframe>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:x)">',
    "<math><mi xlink:href=javascript:x>",
    "<<b>b>",
    "&lt;script&gt;",
    "&lt;b&gt;",
    "&amp;",
    "&amp;lt;",
    "AT&T",
    "&#0;",
    "&#x1F600;",
    "&bogus;",
    "<!-- comment -->",
    "]]>",
    "<![CDATA[x]]>",
    "</description>",
    "\x00",
    "\x1b[31m",
    "\x7f",
    "\x85",
    "\u202e",
    "\u200f",
    "\u2028",
    "\ufeff",
    "\ufffe",
    "مرحبا بالعالم",
    "שלום",
    "😀",
    "👩\u200d💻",
    "=?utf-8?q?encoded?=",
    "'",
    '"',
    "{{ 7*7 }}",
    "{% raw %}",
    "*emphasis*",
    "`code`",
    "[x](javascript:alert(1))",
    "![i](javascript:x)",
    "[ok](https://ok.example/path)",
    "<https://auto.example/link>",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "~~gone~~",
    "data:text/html,<script>x</script>",
    "vbscript:x",
    "    indented code",
    "# heading",
    "> quote",
    "\n\n",
    "\r\n",
    "\t",
    "---",
    "...",
]

hostile_text = st.lists(st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE)), max_size=5).map("".join)

SCHEMES = ["http", "https", "HTTPS", "hTTp"]
HOSTS = [
    "example.org",
    "WWW.Example.COM",
    "sub.example.net.",
    "bücher.example",
    "xn--bcher-kva.example",
    "例え.テスト",
    "127.0.0.1",
    "example.org:8080",
    "example.org:443",
    "under_score.example",
] + ["[::1]", "[2001:db8::1]:8080"]
path_text = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")),
        st.sampled_from(list("/%?#&=<>\"'\\^`{|}[]@!$()*+,;:~.-_") + ["%20", "%2F", "%E2%82%AC"]),
    ),
    max_size=16,
).map("".join)
valid_urls = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}/{path}{query}{fragment}",
    st.sampled_from(SCHEMES),
    st.sampled_from(HOSTS),
    path_text,
    st.one_of(st.just(""), path_text.map(lambda q: "?" + q), st.just("?utm_source=x&a=1&fbclid=y")),
    st.one_of(st.just(""), path_text.map(lambda f: "#" + f), st.just("#!/route")),
)
invalid_urls = st.one_of(
    st.sampled_from(
        [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "example.org/no-scheme",
            "//example.org/protocol-relative",
            "https://",
            "https:///path",
            "https://exa mple.org/",
            "https://user:pass@example.org/",
            "https://example.org:99999/",
            "https://example.org:port/",
            "https://[::1/",
            "ftp://example.org/",
            "https://exa<mple.org/",
            "",
            " ",
        ]
    ),
    st.text(max_size=30),
)


def mostly(common, rare, one_in: int):
    """`rare` about once in `one_in` draws, `common` otherwise (one_of weighs its branches by
    shape, not evenly)."""
    return st.integers(0, one_in - 1).flatmap(lambda n: rare if n == 0 else common)


# Nested values of the wrong type for any field.
wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(hostile_text, max_size=3),
    st.dictionaries(st.text(max_size=6), hostile_text, max_size=2),
    st.lists(st.lists(st.text(max_size=4), max_size=2), max_size=2),
)


def _date_texts(moments):
    """A moment written in every spelling the README documents."""

    def spell(moment: datetime, form: int) -> str:
        local = moment.astimezone(COPENHAGEN)
        return [
            moment.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            local.isoformat(),
            local.replace(tzinfo=None).isoformat(),
            format_datetime(moment.astimezone(UTC), usegmt=True),
            str(int(moment.timestamp())),
            local.date().isoformat(),
            moment.astimezone(timezone(timedelta(hours=-5))).isoformat(timespec="seconds"),
        ][form]

    return st.builds(spell, moments, st.integers(0, 6))


def _moments(start: datetime, end: datetime):
    seconds = int((end - start).total_seconds())
    return st.integers(0, seconds).map(lambda s: start + timedelta(seconds=s))


bad_dates = st.sampled_from(
    [
        "next tuesday",
        "2024-02-30",
        "2024-13-01",
        "0001-01-01",
        "1989-12-31T23:00:00Z",
        "1990-01-01T00:00:00+14:00",
        "2999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59",
        "99999999999",
        "-1",
        "1e10",
        "Tue, 07 May 2024 25:00:00 GMT",
        "Mon, 32 May 2024 10:00:00 +0000",
        "2024-05-07 10:00:00 +99:00",
        "",
    ]
)


def plain_values(value) -> bool:
    """Only what parse_mapping promises: text, None, lists and dicts with text keys."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, list):
        return all(plain_values(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain_values(v) for k, v in value.items())
    return False


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


# --- 1. front matter -----------------------------------------------------------------------------

yaml_chars = st.lists(
    st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list(":-[]{}&*!|>'\"%@`#?,~\n \t\\") + ["---\n", "...\n"]),
    ),
    max_size=200,
).map("".join)
fenced = st.builds(lambda front, body: f"---\n{front}\n---\n{body}", yaml_chars, st.text(max_size=40))


def check_front_matter(text: str) -> None:
    """split_document and parse_mapping either succeed with plain values or raise ValueProblem."""
    for candidate, first_line in [(text, 1), *_front_of(text)]:
        try:
            data, lines = parse_mapping(candidate, first_line)
        except ValueProblem as exc:
            event("parse_mapping: ValueProblem")
            assert exc.message and (exc.line is None or exc.line >= 1)
            assert _reference(candidate, first_line) == (exc.message, exc.hint, exc.field, exc.line)
            continue
        assert _reference(candidate, first_line) == (data, lines), "the reference reader agrees"
        event("parse_mapping: " + ("empty" if not data else "a mapping"))
        assert isinstance(data, dict) and plain_values(data), data
        assert depth(data) <= MAX_DEPTH
        assert set(data) <= set(lines), "every top-level key has a line"
        assert all(isinstance(n, int) and n >= first_line for n in lines.values())


def _reference(front: str, first_line: int):
    """What the reference YAML reader makes of `front`: (data, lines), or the problem it raises."""
    try:
        return reference_mapping(front, first_line)
    except ValueProblem as exc:
        return exc.message, exc.hint, exc.field, exc.line


def _front_of(text: str) -> list[tuple[str, int]]:
    try:
        front, first_line, body, body_line = split_document(text)
    except ValueProblem as exc:
        assert exc.message and (exc.line is None or exc.line >= 1)
        return []
    assert isinstance(front, str) and isinstance(body, str)
    assert first_line == 2 and body_line >= 3 or text.startswith("{") and first_line == 1 and body_line >= 2
    return [(front, first_line)]


def _arbitrary_text(text):
    check_front_matter(text)


test_front_matter_arbitrary_text, test_front_matter_arbitrary_text_slow = twins(
    200, 20_000, text=st.one_of(st.text(), yaml_chars, fenced)
)(_arbitrary_text)

yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=20),
    st.sampled_from(HOSTILE),
    st.dates(),
    st.datetimes(),
)
yaml_keys = st.one_of(st.text(max_size=10), st.sampled_from(["title", "link", "date", "null", "~", "<<"]))
yaml_values = st.recursive(
    yaml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(yaml_keys, st.integers()), inner, max_size=4)
    ),
    max_leaves=20,
)
FRAGMENTS = [
    "&a ",
    "*a",
    "x: &anchor value",
    "y: *anchor",
    "base: &b {k: v}\nmerged:\n  <<: *b",
    "!!python/object:os.system",
    "!!python/object/apply:os.system ['echo pwned']",
    "x: !!python/name:os.system",
    "x: !!binary aGVsbG8=",
    "x: !!set {a, b}",
    "x: !!omap [a: 1]",
    "x: !custom tag",
    "? ",
    "? [a, b]\n: c",
    "? {a: b}\n: c",
    "[" * 40,
    "{" * 40,
    "[" * 12 + "]" * 12,
    "{a: " * 10 + "x" + "}" * 10,
    "- " * 12 + "x",
    "title: dup",
    "title: again",
    "%YAML 1.1",
    "%TAG ! tag:example.org,2024:",
    "---",
    "--- second",
    "...",
    "'unterminated",
    '"\\x00\\ud800"',
    '"\\N\\_\\L\\P"',
    "|\n  block\n  text",
    ">-\n  folded",
    "\t- tab",
    "a: b: c",
    ": no key",
    "- item",
    "  deeply: indented",
    "@reserved",
    "`backtick",
    "#comment",
    "x: 0o17",
    "x: 1_000",
    "x: .inf",
    "x: 2024-05-06T09:30:00+02:00",
    "\ufeffbom: here",
]


def _nested(levels: int, flow: bool) -> str:
    if flow:
        return "deep: " + "[" * levels + "x" + "]" * levels
    return "deep:\n" + "".join("  " * (i + 1) + "- \n" for i in range(levels - 1)) + "  " * levels + "- x"


@st.composite
def yaml_documents(draw):
    root = draw(
        st.one_of(
            st.dictionaries(yaml_keys, yaml_values, max_size=6),
            yaml_values,
        )
    )
    text = yaml.safe_dump(
        root,
        default_flow_style=draw(st.sampled_from([False, True, None])),
        allow_unicode=draw(st.booleans()),
        width=draw(st.sampled_from([20, 80, 1000])),
        sort_keys=draw(st.booleans()),
    )
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 4))):
        fragment = draw(
            st.one_of(
                st.sampled_from(FRAGMENTS),
                st.builds(_nested, st.integers(1, 14), st.booleans()),
            )
        )
        at = draw(st.integers(0, len(lines)))
        if draw(st.booleans()) and at < len(lines):
            lines[at] = lines[at] + draw(st.sampled_from(["", " ", ": "])) + fragment
        else:
            lines.insert(at, draw(st.sampled_from(["", "  ", "- "])) + fragment)
    front = "\n".join(lines)
    return draw(st.sampled_from([front, f"---\n{front}\n---\nbody", f"---\n{front}\n...\n"]))


def _yaml_documents(text):
    check_front_matter(text)


test_front_matter_yaml_documents, test_front_matter_yaml_documents_slow = twins(
    200, 20_000, text=yaml_documents()
)(_yaml_documents)


text_trees = st.recursive(
    st.one_of(st.none(), st.text(max_size=20), st.sampled_from(HOSTILE)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


def _round_trip(data, flow, allow_unicode):
    """A mapping of text written by safe_dump is read as PyYAML's safe loader reads it: no YAML 1.1
    conversions can happen because the dumper quotes every string that would resolve otherwise.
    (PyYAML itself does not round-trip every string: a NEL written raw comes back as a space.)"""
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=allow_unicode)
    if depth(data) > MAX_DEPTH:
        with pytest.raises(ValueProblem):
            parse_mapping(text, 1)
        return
    parsed, lines = parse_mapping(text, 1)
    assert parsed == yaml.safe_load(text)
    if not allow_unicode:
        assert parsed == data
    assert set(parsed) <= set(lines)


test_front_matter_round_trip, test_front_matter_round_trip_slow = twins(
    100,
    10_000,
    data=st.dictionaries(st.text(max_size=10), text_trees, max_size=5),
    flow=st.sampled_from([False, True, None]),
    allow_unicode=st.booleans(),
)(_round_trip)


# --- 2. loading one bookmark ---------------------------------------------------------------------

# Per field: (values of the right type, however hostile; values of the wrong type or invalid).
FIELDS = {
    "title": (hostile_text, wrong_types),
    "link": (valid_urls, st.one_of(invalid_urls, wrong_types)),
    "date": (
        st.one_of(
            _date_texts(_moments(NOW - timedelta(days=30), NOW + timedelta(days=3))),
            _date_texts(_moments(datetime(1990, 1, 2, tzinfo=UTC), datetime(2999, 12, 30, tzinfo=UTC))),
        ),
        st.one_of(bad_dates, st.text(max_size=20), wrong_types),
    ),
    "categories": (st.one_of(st.lists(hostile_text, max_size=4), hostile_text), wrong_types),
    "tags": (st.one_of(st.lists(hostile_text, max_size=3), hostile_text), wrong_types),
    "description": (hostile_text, wrong_types),
    "featuredImage": (
        st.one_of(valid_urls, invalid_urls, st.just("https://cdn.example/i.jpg?Expires=1000000000")),
        wrong_types,
    ),
    "draft": (
        st.sampled_from(["false", "no", "off", "0", "", "False", " NO ", "false", "no", "true", "YES"]),
        st.one_of(st.sampled_from(["maybe", "2", "ja"]), wrong_types),
    ),
    "slug": (hostile_text, wrong_types),
    "linkBrand": (hostile_text, wrong_types),
}


@st.composite
def front_matter_files(draw) -> bytes:
    """A bookmark file whose fields are mostly of the right type but hostile; sometimes a field
    of the wrong type, unquoted YAML, CRLF, a BOM, or stray bytes."""
    data = {}
    for key, (right, wrong) in FIELDS.items():
        roll = draw(st.integers(0, 15))
        if roll == 0 or (key == "draft" and roll < 12):
            continue  # missing
        data[key] = draw(wrong if roll == 1 else right)
    body = draw(hostile_text)
    if draw(st.integers(0, 3)):
        front = yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False)
    else:  # hand-written, unquoted: hostile values break the YAML as often as not
        front = "".join(f"{key}: {value}\n" for key, value in data.items())
    text = f"---\n{front}---\n{body}"
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    raw = (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + text.encode("utf-8")
    if not draw(st.integers(0, 7)):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:]
    return raw


class TagLister(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    handle_startendtag = handle_starttag


def tags_of(markup: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    lister = TagLister()
    lister.feed(markup)
    lister.close()
    return lister.tags


def is_web(url: str | None) -> bool:
    return bool(url) and url.startswith(("http://", "https://"))


def assert_safe_body(body_html: str) -> None:
    lowered = body_html.lower()
    assert "<script" not in lowered and "<style" not in lowered, body_html
    for tag, attributes in tags_of(body_html):
        assert tag in ALLOWED_TAGS, (tag, body_html)
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attributes:
            assert name in allowed and not name.startswith("on"), (tag, name, body_html)
            assert "javascript:" not in (value or "").lower(), (tag, name, value)
            if name in ("href", "src", "cite"):
                assert is_web(value), (tag, name, value)


def check_bookmark_file(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "content" / "bookmark.md"
        path.parent.mkdir()
        path.write_bytes(raw)
        bookmark, categories, problems = load_bookmark(path, "content/bookmark.md", SITE, NOW)
    assert all(isinstance(p, Problem) and p.path == "content/bookmark.md" for p in problems)
    if any(p.is_error for p in problems):
        event("load_bookmark: error")
        assert bookmark is None
        return
    if bookmark is None:  # a draft
        event("load_bookmark: draft")
        return
    event("load_bookmark: bookmark")
    assert isinstance(bookmark, Bookmark)
    assert all(isinstance(c, str) and c for c in categories)
    assert bookmark.link.startswith(("http://", "https://")), bookmark.link
    assert bookmark.link.isascii() and not any(ch.isspace() for ch in bookmark.link)
    assert bookmark.date.tzinfo is not None and bookmark.date.utcoffset() is not None
    assert 1990 <= bookmark.date.year <= 2999
    assert bookmark.title.strip(), bookmark
    assert not re.search(r"<[A-Za-z/!?]", bookmark.title), bookmark.title
    assert_safe_body(bookmark.body_html)
    assert bookmark.image is None or is_web(bookmark.image), bookmark.image
    assert bookmark.id.startswith("urn:uuid:")


def _bookmark_bytes(raw):
    check_bookmark_file(raw)


test_load_bookmark_arbitrary_bytes, test_load_bookmark_arbitrary_bytes_slow = twins(
    60, 5_000, raw=st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: b"---\n" + b))
)(_bookmark_bytes)


def _bookmark_front_matter(raw):
    check_bookmark_file(raw)


test_load_bookmark_hostile_front_matter, test_load_bookmark_hostile_front_matter_slow = twins(
    100, 5_000, raw=front_matter_files()
)(_bookmark_front_matter)


# --- 3. selection --------------------------------------------------------------------------------

CATEGORIES = (
    Category("ai", "AI", "ai"),
    Category("python", "Python", "python"),
    Category("packaging", "Packaging", "packaging"),
    Category("rust", "Rust", "rust"),
    Category("c-plus-plus", "C++", "c++"),
)
KEYS = [c.key for c in CATEGORIES]
TIES = [NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=30), NOW - timedelta(days=3, hours=2)]
selection_moments = st.one_of(
    st.sampled_from(TIES),
    _moments(NOW - timedelta(days=60), NOW + timedelta(days=3)),
    _moments(NOW - timedelta(days=60), NOW + timedelta(days=3)).map(lambda m: m + timedelta(microseconds=1)),
)


@st.composite
def bookmarks(draw, max_size=25):
    links = draw(
        st.lists(
            st.builds(
                lambda scheme, host, path: f"{scheme}://{host}/{path}",
                st.sampled_from(["http", "https"]),
                st.sampled_from(["a.example", "b.example", "example.org"]),
                st.text("abAB01-_~%/", max_size=5),
            ),
            unique=True,
            max_size=max_size,
        )
    )
    result = []
    for index, link in enumerate(links):
        moment = draw(selection_moments).astimezone(draw(st.sampled_from(ZONES)))
        chosen = draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3))
        result.append(
            Bookmark(
                id=SITE.make_id(link),
                link=link,
                title=f"Bookmark {index}",
                date=moment,
                categories=tuple(chosen),
                description="",
                description_in_body=False,
                body_html="",
                image=None,
                brand=None,
                source=f"content/{index}.md",
            )
        )
    return result


feed_specs = st.builds(
    lambda categories, exclude, limit, max_age: FeedSpec(
        "spec", "feeds", "Spec", "", categories, tuple(exclude), limit, max_age
    ),
    st.one_of(st.none(), st.lists(st.sampled_from([*KEYS, "unused"]), unique=True).map(tuple)),
    st.lists(st.sampled_from([*KEYS, "unused"]), unique=True, max_size=3),
    st.integers(1, 20),
    st.one_of(st.none(), st.floats(0.0, 100_000), st.sampled_from([3.0, 30.0, 3 + 2 / 24])),
)


def _order(b: Bookmark):
    return (-b.date.timestamp(), b.link)


def _matches(b: Bookmark, spec: FeedSpec) -> bool:
    keys = {c.key for c in b.categories}
    if keys & set(spec.exclude) or b.date > NOW:
        return False
    if spec.max_age_days is not None and b.date < NOW - timedelta(days=spec.max_age_days):
        return False
    return spec.categories is None or bool(keys & set(spec.categories))


def _select_for_feed(items, spec, data):
    chosen = select_for_feed(items, spec, NOW)
    ids = [b.id for b in chosen]
    by_id = {b.id: b for b in items}
    assert len(set(ids)) == len(ids) and set(ids) <= set(by_id)
    assert all(chosen[i] is by_id[b.id] for i, b in enumerate(chosen))
    assert len(chosen) <= spec.limit
    for b in chosen:
        assert _matches(b, spec), b
    for newer, older in zip(chosen, chosen[1:], strict=False):
        assert newer.date > older.date or (newer.date == older.date and newer.link < older.link)
    # nothing that belongs in the feed is left out, unless the limit cut it off
    left_out = [b for b in items if _matches(b, spec) and b.id not in set(ids)]
    if len(chosen) < spec.limit:
        assert left_out == []
    else:
        assert all(_order(b) > _order(chosen[-1]) for b in left_out)
    # deterministic: again, and on any order of the input
    assert [b.id for b in select_for_feed(items, spec, NOW)] == ids
    shuffled = data.draw(st.permutations(items))
    assert [b.id for b in select_for_feed(shuffled, spec, NOW)] == ids
    assert [b.id for b in select_for_feed(iter(shuffled), spec, NOW)] == ids


test_select_for_feed, test_select_for_feed_slow = twins(
    150, 20_000, items=bookmarks(), spec=feed_specs, data=st.data()
)(_select_for_feed)


# --- feeds spliced from entries rendered once ------------------------------------------------------

_XML_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff")
    | st.sampled_from("\n\t&<>\"'"),
    max_size=40,
)
# what the cut looks for, inside an entry: it must notice and render that bookmark with its feed
_CUT_LOOKALIKES = [
    "\n    <item>\n",
    "\n  <entry>\n",
    "  </channel>\n</rss>\n",
    "</feed>\n",
    '"items": []\n}\n',
]
_spliced_sites = st.builds(
    lambda email, icon, language: Site(
        "Spliced & <Links>", "https://links.example.org/", Author("A & B", email), language, icon=icon
    ),
    st.sampled_from([None, "a@example.org"]),
    st.sampled_from([None, "https://links.example.org/icon.png"]),
    st.sampled_from(["en", "da"]),
)


@st.composite
def _spliced_bookmarks(draw):
    count = draw(st.integers(1, 12))
    made = []
    for index in range(count):
        link = f"https://example.org/{index}?a=1&b=<{index}>"
        text = st.one_of(_XML_TEXT, st.sampled_from(_CUT_LOOKALIKES))
        made.append(
            Bookmark(
                id=SITE.make_id(draw(st.sampled_from([link, "https://example.org/same"]))),  # ids may repeat
                link=link,
                title=draw(text) or "t",
                date=draw(st.sampled_from(TIES)).astimezone(draw(st.sampled_from(ZONES))),
                categories=tuple(draw(st.lists(st.sampled_from(CATEGORIES), unique=True, max_size=3))),
                description=draw(text),
                description_in_body=draw(st.booleans()),
                body_html=draw(
                    st.one_of(
                        st.just(""), text.map(lambda t: f"<p>{t}</p>"), st.sampled_from(_CUT_LOOKALIKES)
                    )
                ),
                image=draw(
                    st.sampled_from([None, "https://img.example/a.png", "https://img.example/b?x=1&y=2"])
                ),
                brand=draw(st.sampled_from([None, "Brand & Co"])),
                source=f"content/{index}.md",
            )
        )
    return made


def _spliced_feeds_are_the_direct_bytes(site, bookmarks, data):
    from linkletter.publish.feeds import FeedPlan, build_feed_files
    from linkletter.publish.spliced import distinct_bookmarks, render_entries, spliced_feed_files

    plans = []
    for index in range(data.draw(st.integers(1, 4))):
        chosen = data.draw(
            st.lists(st.sampled_from(bookmarks), max_size=8)
        )  # a bookmark may repeat in a feed
        updated = max((b.date for b in chosen), default=NOW)
        title = data.draw(_XML_TEXT) or "feed"
        plans.append(
            FeedPlan(
                f"categories/f{index}",
                f"urn:f{index}",
                title,
                data.draw(_XML_TEXT),
                tuple(chosen),
                updated,
                "https://links.example.org/",
            )
        )
    distinct, clashing = distinct_bookmarks(plans)
    assert [b.id for b in distinct] == list(dict.fromkeys(b.id for p in plans for b in p.bookmarks))
    size = data.draw(st.integers(1, 5))
    rendered = [
        e for i in range(0, len(distinct), size) for e in render_entries(site, distinct[i : i + size])
    ]
    entries = dict(zip((b.id for b in distinct), rendered, strict=True)) | dict.fromkeys(clashing)
    xsl = data.draw(st.booleans())
    for plan in plans:
        assert spliced_feed_files(site, plan, entries, xsl) == build_feed_files(site, plan, xsl)


test_spliced_feeds_are_the_direct_bytes, test_spliced_feeds_are_the_direct_bytes_slow = twins(
    60, 3_000, site=_spliced_sites, bookmarks=_spliced_bookmarks(), data=st.data()
)(_spliced_feeds_are_the_direct_bytes)


def _primary(b: Bookmark, order: tuple[str, ...]) -> Category | None:
    ranked = [c for c in b.categories if c.key in order]
    if ranked:
        return min(ranked, key=lambda c: order.index(c.key))
    return b.categories[0] if b.categories else None


def _group_sections(items, order, per_section, total):
    items = newest_first(items)
    sections = group_sections(items, order, per_section, total)
    kept = [b.id for s in sections for b in s.bookmarks]
    assert len(kept) == len(set(kept)), "a bookmark appears in two sections"
    assert len({s.category for s in sections}) == len(sections)
    assigned: dict[Category | None, list[Bookmark]] = {}
    for b in items:
        assigned.setdefault(_primary(b, order), []).append(b)
    assert {s.category for s in sections} == set(assigned)
    for s in sections:
        group = assigned[s.category]
        assert s.more >= 0
        assert len(s.bookmarks) + s.more == len(group)
        assert list(s.bookmarks) == group[: len(s.bookmarks)], "kept items are the newest of the section"
        if per_section is not None:
            assert len(s.bookmarks) <= per_section
    if total is not None:
        assert len(kept) <= total
    # the caps are filled, not undershot
    capped = sum(min(per_section or len(g), len(g)) for g in assigned.values())
    assert len(kept) == (capped if total is None else min(total, capped))
    # sections follow `order`, then name; "Other" (no category) last
    ranks = [
        (
            s.category is None,
            order.index(s.category.key) if s.category and s.category.key in order else len(order),
            s.category.name.casefold() if s.category else "",
        )
        for s in sections
    ]
    assert ranks == sorted(ranks)
    if per_section is None and total is None:
        assert sorted(kept) == sorted(b.id for b in items)
        assert all(s.more == 0 for s in sections)


test_group_sections, test_group_sections_slow = twins(
    150,
    20_000,
    items=bookmarks(),
    order=st.lists(st.sampled_from([*KEYS, "unused"]), unique=True).map(tuple),
    per_section=st.one_of(st.none(), st.integers(1, 6)),
    total=st.one_of(st.none(), st.integers(0, 12)),
)(_group_sections)


# --- 4. a whole build and a digest preview -------------------------------------------------------

WEEK_START = datetime(2024, 5, 6, 8, 0, tzinfo=UTC)
WEEK_END = datetime(2024, 5, 13, 6, 0, tzinfo=UTC)
CATEGORY_POOL = [
    "Python",
    "python",
    " PYTHON ",
    "packaging",
    "Machine-Learning",
    "machine learning",
    "c++",
    "C#",
    "CON",
    "日本語",
    "Ελληνικά",
    "café",
    "--",
    "a/b",
    "../etc",
    "<b>tag</b>",
    "&lt;b&gt;x",
    "x" * 70,
]
site_titles = st.one_of(
    st.text(max_size=40),
    hostile_text,
    st.sampled_from(
        [
            "Tom &amp; Jerry <b>x</b>",
            "301 Moved Permanently",
            "https://example.org/",
            "😀 RTL مرحبا",
            "&lt;b&gt;bold&lt;/b&gt;",
            "<<b>b>",
            "AT&amp;Tau",
            "=?utf-8?q?encoded?=",
            "=?utf-8?q?a=0D=0ABcc:_evil@example.org?=",
        ]
    ),
)
site_dates = mostly(
    _date_texts(_moments(WEEK_START, WEEK_END)),
    st.one_of(
        _date_texts(_moments(datetime(2024, 3, 1, tzinfo=UTC), datetime(2024, 6, 1, tzinfo=UTC))), bad_dates
    ),
    one_in=5,
)


@st.composite
def bookmark_files(draw, shared_links: list[str]) -> str:
    data: dict = {"title": draw(site_titles)}
    data["link"] = draw(mostly(valid_urls, st.one_of(invalid_urls, st.sampled_from(shared_links)), one_in=4))
    data["date"] = draw(site_dates)
    data["categories"] = draw(
        st.one_of(
            st.lists(st.one_of(st.sampled_from(CATEGORY_POOL), st.text(max_size=12)), max_size=4),
            st.sampled_from(CATEGORY_POOL),
            st.just([]),
        )
    )
    optional = {
        "description": st.one_of(st.text(max_size=80), hostile_text),
        "featuredImage": st.one_of(valid_urls, invalid_urls),
        "tags": st.lists(st.sampled_from(CATEGORY_POOL), max_size=2),
        "linkBrand": st.text(max_size=20),
        "slug": st.text(max_size=20),
        "draft": st.sampled_from(["false", "no", "true"]),
    }
    for key, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            data[key] = draw(values)
    order = draw(st.permutations(list(data)))
    front = yaml.safe_dump({k: data[k] for k in order}, allow_unicode=draw(st.booleans()), sort_keys=False)
    body = draw(st.one_of(st.just(""), st.text(max_size=60), hostile_text))
    return f"---\n{front}---\n{body}\n"


@st.composite
def sites(draw) -> dict[str, str]:
    shared = draw(st.lists(valid_urls, min_size=1, max_size=2))
    count = draw(st.integers(1, 8))
    names = [f"{i}{draw(st.text('abcdefghij-é', max_size=8))}" for i in range(count)]
    folders = draw(st.lists(st.sampled_from(["", "2024/", "deep/er/"]), min_size=count, max_size=count))
    return {
        f"{folder}{name}.md": draw(bookmark_files(shared))
        for folder, name in zip(folders, names, strict=True)
    }


def make_project(folder: Path, files: dict[str, str], keep_fixture_content: bool) -> Path:
    root = folder / "site"
    shutil.copytree(
        FIXTURES / "site", root, ignore=None if keep_fixture_content else shutil.ignore_patterns("content")
    )
    for relpath, text in files.items():
        path = root / "content" / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


class HrefLister(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value for name, value in attrs if name in ("href", "src") and value is not None]


def hrefs_of(markup: str) -> list[str]:
    lister = HrefLister()
    lister.feed(markup)
    lister.close()
    return lister.hrefs


def check_feeds(config) -> int:
    dist = config.build.output_dir
    feeds = sorted(dist.rglob("*.xml"))
    for path in feeds:
        rel = path.relative_to(dist).as_posix()
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, (rel, parsed.get("bozo_exception"))
        findings = check_feed(data, config.site.base_url + quote(rel), NOW)
        assert findings == [], rel
    return len(feeds)


def _bucket(count: int) -> str:
    return "0" if count == 0 else "1-3" if count <= 3 else "4-8" if count <= 8 else "9+"


# A message this small was not shortened to fit Gmail's clipping limit (about 100 KB).
UNCAPPED_BELOW = 60_000
HEADERS = DIGEST_HEADERS


def check_preview(config, folder: Path) -> None:
    outcome = preview_digest(config, NOW, out=folder / "preview")
    bookmarks, _ = load_site(config, NOW)
    issue = plan_issue(config, bookmarks, [], slot_for(config, NOW), NOW)
    event(f"bookmarks: {_bucket(len(bookmarks))}, in the issue: {_bucket(len(issue.bookmarks))}")
    if not issue.bookmarks:
        assert outcome.message.startswith("nothing new"), outcome.message
        assert not (folder / "preview").exists()
        return
    expected_subject = subject(config.digest.title, issue.number, list(issue.bookmarks))
    assert f"subject: {expected_subject}; " in outcome.message
    raw = (folder / "preview" / "message.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == header_text(expected_subject)
    assert sorted(message.keys()) == sorted(HEADERS), "no header is lost, doubled or injected"
    html_part = message.get_body(("html",)).get_content()
    text_part = message.get_body(("plain",)).get_content()
    hrefs = set(hrefs_of(html_part))
    assert all(is_web(h) or h.startswith("mailto:") for h in hrefs), hrefs
    web_hrefs = set(hrefs_of((folder / "preview" / "web.html").read_text(encoding="utf-8")))
    assert {b.link for b in issue.bookmarks} <= web_hrefs
    if len(raw) < UNCAPPED_BELOW:  # no links were dropped to keep the message below Gmail's limit
        spec = config.digest
        sections = group_sections(
            list(issue.bookmarks), spec.category_order, spec.max_per_category, spec.max_items
        )
        for link in {b.link for s in sections for b in s.bookmarks}:
            assert link in hrefs, link
            assert link in text_part, link


def _build_site(files, keep_fixture_content):
    with tempfile.TemporaryDirectory() as folder:
        root = make_project(Path(folder), files, keep_fixture_content)
        config = load_config(root)
        try:  # a UserError is the only exception allowed; then there is nothing more to check
            result = build_site(config, NOW)
            assert all(isinstance(p, Problem) for p in result.problems)
            broken = {p.path for p in result.problems if p.is_error}
            event(f"files: {_bucket(len(files))}, broken: {_bucket(len(broken))}")
            assert check_feeds(config) >= 2
            check_preview(config, Path(folder))
        except UserError:
            event("build or preview: UserError")


test_build_and_digest, test_build_and_digest_slow = twins(
    40,
    1_000,
    phases=[p for p in Phase if p is not Phase.explain],  # explaining a build failure takes minutes
    files=sites(),
    keep_fixture_content=st.booleans(),
)(_build_site)


def test_shared_dates_are_in_the_digest_week():
    """The window the build property draws most dates from lies inside the issue due at NOW."""
    config = load_config(FIXTURES / "site")
    slot = slot_for(config, NOW)
    assert slot - timedelta(days=config.digest.first_issue_days) <= WEEK_START < WEEK_END < slot
    assert date(2024, 5, 13).weekday() == 0


# --- the short cut of plain_text ----------------------------------------------------------------

_markupish = st.text(
    alphabet=st.one_of(
        st.characters(blacklist_categories=("Cs",)), st.sampled_from(list("<>&;#/ab\ufeff \t\r\n\x00\x85"))
    )
)
_markupish = st.tuples(st.sampled_from(["", "\ufeff", "\x00\ufeff", " "]), _markupish).map("".join)


def _plain_text_short_cut(value):
    """Text without markup skips the HTML cleaner; it must come out as the cleaner makes it."""
    assert plain_text(value) == markup_to_text(clean_text(value))


test_plain_text_short_cut, test_plain_text_short_cut_slow = twins(500, 50_000, value=_markupish)(
    _plain_text_short_cut
)


# --- ids: Site.make_id is uuid5, made without a UUID object --------------------------------------


@given(name=st.text(), namespace=st.sampled_from(["", "tag:links.example.org,2024:", "https://é.example/"]))
def test_make_id_is_uuid5(name, namespace):
    site = Site(title="t", base_url="https://links.example.org/", author=Author("A"), id_namespace=namespace)
    expected = uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, namespace or site.base_url), name)
    assert site.make_id(name) == expected.urn


@given(relpath=st.text(alphabet=st.sampled_from(list("abcXYZ019_.~/-% é?#&+:@\n\x00"))))
def test_public_url_quotes_as_quote_does(relpath):
    """public_url skips `quote` for paths it would leave as they are; the result is the same."""
    assert public_url(SITE, relpath) == SITE.base_url + quote(relpath)
