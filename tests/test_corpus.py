"""The real 432-bookmark corpus (MIT, content/niqdev-my-awesome) builds cleanly into valid feeds."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
import pytest

from support.feedcheck import check_feed

CORPUS_NOW = "2026-06-01T00:00:00Z"


def test_corpus_builds_cleanly(corpus_project, run):
    code, out, err = run("build", "-C", corpus_project, "--now", CORPUS_NOW)
    assert code == 0, err
    # 432 files; 6 links were saved more than once (8 extra files) and merge into one item each.
    # Files: RSS, Atom and JSON Feed per feed, index.html, feeds.opml, feeds-head.html.
    assert out.startswith("424 bookmarks, 98 feeds: 297 file(s) written, 0 unchanged"), out
    assert err == ""  # no warnings: nothing in the corpus is wrong, only quirky


def test_corpus_check_reports_the_merges_as_notes(corpus_project, run, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", "s")  # check warns when it is unset
    code, out, err = run("check", "-C", corpus_project, "--now", CORPUS_NOW)
    assert code == 0
    assert "0 error(s), 0 warning(s)" in out
    merges = [line for line in err.splitlines() if "note: link: the same link as" in line]
    assert len(merges) == 8


@pytest.mark.process
def test_corpus_feeds_parse_and_follow_the_validator_rules(corpus_project, run):
    run("build", "-C", corpus_project, "--now", CORPUS_NOW)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    feeds = sorted((corpus_project / "dist").rglob("*.xml"))
    assert len(feeds) == 196
    ids_seen = {}
    for path in feeds:
        rel = path.relative_to(corpus_project / "dist").as_posix()
        data = path.read_bytes()
        parsed = feedparser.parse(data)
        assert parsed.bozo == 0, rel
        assert check_feed(data, f"https://links.example.org/sub/{rel}", now) == [], rel
        dates = [e.published_parsed for e in parsed.entries]
        assert dates == sorted(dates, reverse=True), f"{rel} is newest first"
        for entry in parsed.entries:
            assert ids_seen.setdefault(entry.id, entry.link) == entry.link, "one id per link"


@pytest.mark.process
def test_corpus_build_is_deterministic(corpus_project, run):
    run("build", "-C", corpus_project, "--now", CORPUS_NOW)
    first = {p: p.read_bytes() for p in (corpus_project / "dist").rglob("*.xml")}
    (corpus_project / "dist").rename(corpus_project / "dist-old")
    run("build", "-C", corpus_project, "--now", CORPUS_NOW)
    second = {p: p.read_bytes() for p in (corpus_project / "dist").rglob("*.xml")}
    assert first == second
