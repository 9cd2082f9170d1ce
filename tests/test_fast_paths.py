"""The short cuts of parsing give exactly what the long way gives (issue 10, cold builds):

- `values.simple_yaml` (the seed's flat front matter without libyaml) against the reference YAML
  reader of tests/support: on every input it accepts, the same values, the same key lines, in
  the same order; anything it declines goes to libyaml, whose problems name file, line and field;
- `parse_web_url`'s already-normal addresses against its long way (`_parse_web_url`), and
  `link_key`'s simple links against its long way (`_link_key`);
- `split_document` against splitting every line, as it did;
- `markup_to_text` stopping once the text is plain, against another round of the cleaner;
- `image_expiry`'s quick "no signature here" against parsing the query.

Each property runs twice: a modest number of examples in the normal run and a long-run twin
marked `slow` (LINKLETTER_SLOW_EXAMPLES overrides its count)."""

from __future__ import annotations

import html
import os
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES
from linkletter.content.bookmark import parse_bookmark
from linkletter.content.frontmatter import front_matter_kind, split_document
from linkletter.errors import ValueProblem
from linkletter.model import Author, Site
from linkletter.values.links import (
    _DOT_SEGMENT,
    _SIMPLE_LINK,
    _SIMPLE_URI,
    _link_key,
    _parse_web_url,
    image_expiry,
    link_key,
    parse_web_url,
)
from linkletter.values.mapping import parse_mapping
from linkletter.values.simple_yaml import read_simple_mapping
from linkletter.values.text import MAX_ROUNDS, clean_text, markup_to_text
from linkletter.values.text import _defuse as defuse
from linkletter.values.text import _to_text as text_cleaner
from support.yaml_reference import parse_mapping as reference_mapping

SLOW = int(os.environ.get("LINKLETTER_SLOW_EXAMPLES", 20_000))


def twins(fast: int, **strategies):
    """Two tests from one body: `fast` examples in the normal run, SLOW in the slow run."""

    def decorate(body):
        def make(count: int):
            return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
                given(**strategies)(body)
            )

        return make(fast), pytest.mark.slow(make(SLOW))

    return decorate


def reference(front: str, first_line: int):
    try:
        return reference_mapping(front, first_line)
    except ValueProblem as exc:
        return exc.message, exc.line


# --- the front matter -----------------------------------------------------------------------------

SEED_FRONT = split_document((FIXTURES / "seed.md").read_text(encoding="utf-8"))[0]


def test_the_seed_is_read_without_libyaml_and_as_libyaml_reads_it():
    simple = read_simple_mapping(SEED_FRONT, 2)
    assert simple is not None
    assert simple == reference_mapping(SEED_FRONT, 2)
    assert list(simple[1].items()) == list(reference_mapping(SEED_FRONT, 2)[1].items())
    assert simple[0]["description"].startswith("After reading the Danish digital health strategy, one")
    assert simple[0]["source"] == {"name": "Dropmark", "apiendpoint": "https://shah.dropmark.com/616548.json"}
    assert simple[1]["source.apiendpoint"] == 19


@pytest.mark.parametrize(
    "front",
    [
        "title: a # comment",
        "title: 'it''s'\n  more",
        'title: "esc\\u0041ped"',
        "title: x\n\n  folded after a blank line",
        "title: x\ntitle: y",
        "categories:\n  - a\n   - b",
        "source:\n  name: x\n    deeper: y",
        "\ttitle: tab",
        "title: [a, b]",
        "title: &a x",
        "title: |\n  block",
        "- a list",
        "",
    ],
)
def test_what_it_does_not_know_goes_to_yaml(front):
    assert read_simple_mapping(front, 2) is None
    try:
        assert parse_mapping(front, 2) == reference(front, 2)
    except ValueProblem as exc:
        assert (exc.message, exc.line) == reference(front, 2)


def test_a_bad_value_in_the_simple_shape_names_file_line_and_field():
    text = SEED_FRONT.replace("date: 2019-02-08T11:39:55Z", "date: 2019-02-30T11:39:55Z")
    assert read_simple_mapping(text, 2) is not None
    site = Site("T", "https://links.example.org/", Author("A"))
    parsed = parse_bookmark(f"---\n{text}\n---\nbody\n", "content/x.md", site)
    assert parsed.bookmark is None
    [problem] = parsed.problems
    assert (problem.path, problem.line, problem.field) == ("content/x.md", 5, "date")


def test_a_key_twice_is_yaml_s_problem_at_its_line():
    text = SEED_FRONT + "\ntitle: again"
    assert read_simple_mapping(text, 2) is None
    site = Site("T", "https://links.example.org/", Author("A"))
    [problem] = parse_bookmark(f"---\n{text}\n---\n", "content/x.md", site).problems
    assert (problem.path, problem.line, problem.field) == ("content/x.md", text.count("\n") + 2, "title")
    assert "appears twice" in problem.message


# Fronts of the seed's shape made of ordinary keys and text, then mutated at a few places with
# what matters to YAML: indicators, quotes, escapes, spaces, `:`, `#`, odd indentation, unicode,
# and characters YAML treats specially (tab, NEL, line separators, BOM, NBSP, controls).
keys = st.sampled_from(["title", "link", "date", "categories", "source", "a.b", "x-y", "_k", "1", "name"])
words = st.text(alphabet="abc xyz", min_size=1, max_size=10).map(str.strip).filter(bool)
ordinary = st.one_of(
    words,
    st.sampled_from(["~", "null", "''", '""', "'a''b'", '"q"', "C#", "a#b", "https://x.example/a?b=c#d"]),
    st.sampled_from(
        ["x &amp; y", "x &lt;b&gt;", "1.10", "no", "x]", "é 日 😀", "a\xa0b", "x:y", "a -", "a - b"]
    ),
)
odd = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(
                list("ab -?:,[]{}#&*!|>'\"%@`~\\") + ["\t", "\x85", "\u2028", "\ufeff", "\xa0", "\x00"]
            ),
            st.characters(codec="utf-8"),
        ),
        max_size=6,
    ),
    st.sampled_from(
        ["- a", "a:", "a: b", "a #b", "'x'y'", "-", "  ", "# c", "---", "...", "? k", "k:v", "x:"]
    ),
    st.sampled_from(
        ["null: x", "~: x", "title: again", "&a x", "*a", "!t x", "| x", "> x", "[a, b]", "{a: b}"]
    ),
)
indents = st.sampled_from(["", " ", "  ", "    "])


@st.composite
def entry(draw) -> list[str]:
    """One top-level key and what follows it, as lines."""
    key = draw(keys)
    shape = draw(st.sampled_from(["value", "value", "folded", "list", "mapping", "empty"]))
    if shape == "value":
        return [f"{key}: {draw(ordinary)}"]
    if shape == "folded":
        more = draw(st.lists(st.tuples(indents.filter(bool), ordinary), min_size=1, max_size=3))
        return [f"{key}: {draw(words)}"] + [f"{indent}{text}" for indent, text in more]
    if shape == "empty":
        return [f"{key}:"]
    indent = draw(indents)
    if shape == "list":
        return [f"{key}:"] + [f"{indent}- {text}" for text in draw(st.lists(ordinary, max_size=4))]
    pairs = draw(st.lists(st.tuples(keys, ordinary), max_size=3, unique_by=lambda pair: pair[0]))
    return [f"{key}:"] + [f"{indent or ' '}{k}: {v}" for k, v in pairs]


@st.composite
def simple_fronts(draw) -> str:
    items = draw(st.lists(entry(), max_size=8, unique_by=lambda lines: lines[0].split(":")[0]))
    lines = [line for item in items for line in item]
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        at = draw(st.integers(0, len(lines)))
        how = draw(st.sampled_from(["insert", "append", "prepend", "replace"]))
        text = draw(odd)
        if how == "insert" or at == len(lines):
            lines.insert(at, draw(indents) + text)
        elif how == "append":
            lines[at] += text
        elif how == "prepend":
            lines[at] = text + lines[at]
        else:
            lines[at] = text
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\n\n"]))


def _same_as_yaml(front):
    first_line = 2
    simple = read_simple_mapping(front, first_line)
    event("simple" if simple is not None else "left to libyaml")
    if simple is None:
        return
    expected = reference(front, first_line)
    assert simple == expected
    assert list(simple[0]) == list(expected[0]) and list(simple[1].items()) == list(expected[1].items())
    assert parse_mapping(front, first_line) == expected


test_simple_front_matter_is_read_as_yaml_reads_it, test_simple_front_matter_is_read_as_yaml_reads_it_slow = (
    twins(1_000, front=simple_fronts())(_same_as_yaml)
)


def test_the_generator_reaches_both_ways():
    """Most generated fronts must be read by the short cut, or the property above tests little."""
    seen = {"simple": 0, "declined": 0}

    @settings(max_examples=300, deadline=None, database=None)
    @given(simple_fronts())
    def count(front):
        seen["simple" if read_simple_mapping(front, 2) is not None else "declined"] += 1

    count()
    assert seen["simple"] > 60 and seen["declined"] > 30, seen


def split_document_as_it_was(text: str) -> tuple[str, int, str, int]:
    """`split_document` before it searched for the closing line (every line split and compared)."""
    if not text.strip():
        raise ValueProblem("the file is empty", "a bookmark starts with a '---' line")
    kind = front_matter_kind(text)
    if kind == "json":
        return split_document(text)
    fence = "+++" if kind == "toml" else "---"
    lines = text.split("\n")
    if lines[0].rstrip() != fence:
        raise ValueProblem("no front matter: the first line must be '---'", line=1)
    for index in range(1, len(lines)):
        if lines[index].rstrip() == fence or (kind == "yaml" and lines[index].rstrip() == "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1 :]), index + 2
    raise ValueProblem("the front matter is never closed", line=1)


def _outcome(split, text):
    try:
        return split(text)
    except ValueProblem as exc:
        return exc.message, exc.line


document_parts = st.one_of(
    st.sampled_from(
        ["---", "+++", "...", "--- ", "---\t", "---\xa0", "---\u2028", " ---", "----", "+++ ", "\ufeff---"]
    ),
    st.sampled_from(["title: x", "", " ", "body", "{}", "a = 1", "\r", "\x1c", "\x85"]),
    st.text(max_size=8),
)


def _split_as_it_was(parts):
    text = "\n".join(parts)
    assert _outcome(split_document, text) == _outcome(split_document_as_it_was, text)


test_documents_are_split_as_before, test_documents_are_split_as_before_slow = twins(
    1_000, parts=st.lists(document_parts, max_size=8)
)(_split_as_it_was)


def markup_to_text_as_it_was(text: str) -> str:
    """`markup_to_text` before it stopped at plain text: rounds until one changes nothing."""
    for _ in range(MAX_ROUNDS):
        decoded = clean_text(html.unescape(text_cleaner.clean(text)))
        if decoded == text:
            break
        text = decoded
    return re.sub(r"\s+", " ", defuse(text)).strip()


markupish = st.lists(
    st.one_of(
        st.sampled_from(
            ["&amp;", "&lt;b&gt;", "&amp;lt;i&amp;gt;", "&quot;", "&#8217;", "&nbsp;", "&copy", "&notit;"]
        ),
        st.sampled_from(
            ["<b>", "</p>", "<script>x</script>", "<", ">", "&", ";", "#", "\ufeff", "\x00", " ", "a"]
        ),
        st.text(max_size=4),
    ),
    max_size=10,
).map("".join)


def _markup_as_it_was(value):
    assert markup_to_text(clean_text(value)) == markup_to_text_as_it_was(clean_text(value))


test_markup_to_text_stops_early_alike, test_markup_to_text_stops_early_alike_slow = twins(
    1_000, value=markupish
)(_markup_as_it_was)


# --- addresses -----------------------------------------------------------------------------------

url_chars = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("aZ09-._~/:@!$&'()*+,;=%?#[] \t\\\"<>^`{|}") + ["é", "日"]),
        st.characters(codec="utf-8"),
    ),
    max_size=20,
)
hosts = st.one_of(
    st.sampled_from(
        [
            "example.org",
            "a.b",
            "xn--bcher-kva.de",
            "EXAMPLE.org",
            "a..b",
            "a.",
            "-a.b",
            "a_b.c",
            "bücher.de",
            "[::1]",
            "user@h.org",
            "h.org:443",
            "h.org:8080",
            "1.2.3.4",
        ]
    ),
    st.text(alphabet="abz09.-_", min_size=1, max_size=10),
)
urls = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
    st.sampled_from(["https", "http", "HTTPS", "ftp", "javascript"]),
    hosts,
    st.one_of(st.just(""), url_chars.map(lambda t: "/" + t)),
    st.one_of(st.just(""), st.just("?"), url_chars.map(lambda t: "?" + t)),
    st.one_of(st.just(""), st.just("#"), url_chars.map(lambda t: "#" + t)),
)


segments = st.sampled_from(["a", "b.c", ".", "..", "", ".well-known", "x%7e", "x%7E", "~u", "a=b", "é"])
pairs = st.tuples(
    st.sampled_from(["utm_source", "UTM_Medium", "fbclid", "q", "a.b", "x~", "", "k%20", "k+"]),
    st.sampled_from(["=", "", "=="]),
    st.sampled_from(["1", "", "a-b", "x y", "%41"]),
)
links = st.builds(
    lambda scheme, host, path, query, fragment: f"{scheme}://{host}{path}{query}{fragment}",
    st.sampled_from(["https", "http"]),
    st.sampled_from(["example.org", "a.b", "h.org:8080"]),
    st.lists(segments, max_size=4).map(lambda parts: "".join("/" + p for p in parts)),
    st.lists(pairs, max_size=3).map(lambda ps: ("?" if ps else "") + "&".join(k + e + v for k, e, v in ps)),
    st.sampled_from(["", "#", "#top", "#/route", "#!bang", "#a#b"]),
)


def _long_way(value: str, spaces: bool):
    try:
        return _parse_web_url(value, spaces)
    except ValueProblem as exc:
        return exc.message


def _same_address(url, spaces):
    try:
        quick = parse_web_url(url, spaces)
    except ValueProblem as exc:
        quick = exc.message
    assert quick == _long_way(url, spaces)


(
    test_addresses_are_normalised_as_the_long_way_does,
    test_addresses_are_normalised_as_the_long_way_does_slow,
) = twins(1_000, url=urls, spaces=st.booleans())(_same_address)


def _same_key(url, spaces):
    try:
        uri = parse_web_url(url, spaces)
    except ValueProblem:
        uri = url  # link_key takes what it is given
    assert link_key(uri) == _link_key(uri)


test_link_keys_are_made_as_the_long_way_does, test_link_keys_are_made_as_the_long_way_does_slow = twins(
    1_000, url=st.one_of(urls, links), spaces=st.booleans()
)(_same_key)


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://a.example", "https://a.example/"),
        ("https://a.example?q=1", "https://a.example/?q=1"),
        ("https://a.example#top", "https://a.example/#top"),
        ("https://a.example/?", "https://a.example/"),
        ("https://a.example/p?q#", "https://a.example/p?q"),
        ("https://A.example/p", "https://a.example/p"),
        ("https://a.example:443/p", "https://a.example/p"),
        ("https://a.example/a b", "https://a.example/a%20b"),
    ],
)
def test_addresses_the_short_cut_and_the_long_way_agree_on(url, expected):
    assert parse_web_url(url, True) == expected == _parse_web_url(url, True)


def _expiry_by_parsing(uri: str) -> datetime | None:
    """`image_expiry` as it was: the query always parsed."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(uri).query)}
    try:
        if "expires" in query:
            return datetime.fromtimestamp(int(query["expires"]), UTC)
        if "x-amz-date" in query and "x-amz-expires" in query:
            start = datetime.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return start + timedelta(seconds=int(query["x-amz-expires"]))
    except (ValueError, OverflowError, OSError):
        return None
    return None


query_keys = st.sampled_from(
    [
        "Expires",
        "expires",
        "EXPIRES",
        "%45xpires",
        "Ex%70ires",
        "ex+pires",
        "X-Amz-Expires",
        "x-amz-date",
        "X-Amz-Dat%65",
        "Signature",
    ]
)
query_values = st.sampled_from(["1700000000", "17e8", "", "x", "20240101T000000Z", "3600"])


def _expiry_is_found_however_it_is_written(pairs):
    uri = "https://img.example/a.jpg?" + "&".join(f"{k}={v}" for k, v in pairs)
    assert image_expiry(uri) == _expiry_by_parsing(uri)


test_signed_images_are_found_however_written, test_signed_images_are_found_however_written_slow = twins(
    1_000, pairs=st.lists(st.tuples(query_keys, query_values), max_size=3)
)(_expiry_is_found_however_it_is_written)


def test_the_address_generators_reach_both_ways():
    """Enough generated addresses must take each short cut, and enough the long way."""
    seen = {"uri": 0, "key": 0, "total": 0}

    @settings(max_examples=300, deadline=None, database=None)
    @given(st.one_of(urls, links))
    def count(url):
        seen["total"] += 1
        seen["uri"] += bool(_SIMPLE_URI.fullmatch(url))
        simple = _SIMPLE_LINK.fullmatch(url)
        seen["key"] += bool(simple and not _DOT_SEGMENT.search(simple.group(2) or ""))

    count()
    assert 20 < seen["uri"] < seen["total"] - 20 and 20 < seen["key"] < seen["total"] - 20, seen
