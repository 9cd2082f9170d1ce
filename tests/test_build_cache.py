"""Incremental builds (issue 10): the parse cache, bodies rendered only when shown, feeds rendered
only when their fingerprint changed, the whole-build short-cut. Every rebuild must give the same
bytes as a full build of the same content from nothing."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXED_NOW, FIXED_NOW_ARG
from linkletter.commands.build import build_site
from linkletter.content import cache as cache_module
from linkletter.content import finish, parse
from linkletter.content.cache import ParseCache
from linkletter.content.load import list_bookmark_files
from linkletter.model import Author, FeedSpec, Site
from linkletter.settings.load import load_config

HOUR_NS = 3600 * 10**9


def dist_bytes(project: Path, folder: str = "dist") -> dict[str, bytes]:
    root = project / folder
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def fresh_build(project: Path, tmp_path: Path, run, now: str = FIXED_NOW_ARG) -> dict[str, bytes]:
    """dist/ of the same project copied without dist/ or the state folder, built with --no-cache."""
    copy = tmp_path / f"fresh-{len(list(tmp_path.iterdir()))}"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("dist", ".linkletter"))
    run("build", "-C", copy, "--now", now, "--no-cache")
    return dist_bytes(copy)


def build(run, project: Path, *extra: str, now: str = FIXED_NOW_ARG):
    return run("build", "-C", project, "--now", now, *extra)


def age(path: Path, by_ns: int = HOUR_NS) -> None:
    """Move the file's mtime into the past (a file edited just now is always hashed: racy)."""
    mtime = path.stat().st_mtime_ns - by_ns
    os.utime(path, ns=(mtime, mtime))


def test_every_rebuild_is_byte_identical_to_a_full_build(corpus_project, run, tmp_path):
    project = corpus_project
    assert build(run, project)[0] in (0, 1)
    assert dist_bytes(project) == fresh_build(project, tmp_path, run)
    files = sorted((project / "content").rglob("*.md"))
    edited = files[0]
    edited.write_text(edited.read_text().replace("title:", "title: Edited &amp; again —", 1))
    build(run, project)
    assert dist_bytes(project) == fresh_build(project, tmp_path, run), "after an edit"
    added = project / "content" / "added.md"
    added.write_text(
        "---\ntitle: Added\nlink: https://added.example.org/x\ndate: 2024-05-12T10:00:00Z\n"
        "categories: [Python]\n---\nA *new* body with a [link](https://example.org/).\n"
    )
    build(run, project)
    assert dist_bytes(project) == fresh_build(project, tmp_path, run), "after an addition"
    files[1].unlink()
    build(run, project)
    assert dist_bytes(project) == fresh_build(project, tmp_path, run), "after a deletion"


def test_a_changed_file_is_read_again_and_a_touched_one_is_not(project, run, parses):
    build(run, project)
    path = project / "content/2024/old.md"
    parses.clear()
    age(path)  # touched: a new mtime, the same bytes
    build(run, project)
    assert parses == []
    path.write_text(path.read_text().replace("An old one", "An old one, renamed"))
    age(path)
    build(run, project)
    assert parses == ["content/2024/old.md"]
    assert b"An old one, renamed" in (project / "dist/categories/python.rss.xml").read_bytes()


@pytest.mark.parametrize("shortcut_state", ["kept", "removed"])
def test_an_edit_of_the_same_size_with_the_mtime_put_back_is_read_again(project, run, parses, shortcut_state):
    """Size, mtime and inode unchanged (an editor or `touch -d` puts the mtime back): the file's
    ctime still moves, so neither the short-cut nor the parse cache serves the old text."""
    path = project / "content/2024/old.md"
    age(path)  # out of the racy window: only the identity can tell
    build(run, project)
    info = path.stat()
    text = path.read_text()
    path.write_text(text.replace("An old one", "An OLD one"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    if shortcut_state == "removed":
        (project / ".linkletter/build-state.pickle").unlink()
    parses.clear()
    build(run, project)
    assert "content/2024/old.md" in parses
    assert "An OLD one" in (project / "dist/categories/python.rss.xml").read_text()


@pytest.mark.parametrize("damaged", ["header.pickle", "07.pickle"])
def test_a_damaged_cache_is_a_note_and_everything_is_parsed_again(project, run, parses, damaged):
    build(run, project)
    expected = dist_bytes(project)
    (project / ".linkletter/parse-cache" / damaged).write_bytes(b"\x80\x05garbage")
    (project / ".linkletter/build-state.pickle").unlink()
    parses.clear()
    result = build_site(load_config(project), FIXED_NOW)
    notes = [str(p) for p in result.problems if "parse cache" in p.message]
    assert notes == [
        "parse-cache: note: the parse cache cannot be read (damaged?); parsing every file and writing it anew"
    ]
    assert len(parses) == len(list_bookmark_files(project / "content", project)[0])
    assert dist_bytes(project) == expected


def test_settings_that_change_parsing_invalidate_the_cache(project, run, parses):
    build(run, project)
    settings = project / "linkletter.yaml"
    settings.write_text(
        settings.read_text().replace("timezone: Europe/Copenhagen", "timezone: America/New_York")
    )
    parses.clear()
    build(run, project)
    assert len(parses) == len(list_bookmark_files(project / "content", project)[0])


def test_no_cache_parses_every_file(project, run, parses):
    build(run, project)
    parses.clear()
    build(run, project, "--no-cache")
    assert len(parses) == len(list_bookmark_files(project / "content", project)[0])


def test_parallel_parsing_and_rendering_give_what_the_serial_path_gives(corpus_project, monkeypatch):
    config = load_config(corpus_project)
    paths, _ = list_bookmark_files(config.build.content_dir, config.root)
    serial = parse.parse_files(paths, config.site, ParseCache(None, ""), workers=1)
    monkeypatch.setattr(parse, "PARALLEL_FROM", 1)
    parallel = parse.parse_files(paths, config.site, ParseCache(None, ""), workers=2)
    assert parallel == serial
    shown = [p.bookmark for p in serial if p.bookmark is not None and p.bookmark.unrendered is not None]
    monkeypatch.setattr(finish, "PARALLEL_FROM", 1)
    assert finish.render_bodies(shown, workers=2) == finish.render_bodies(shown, workers=1)


def test_shards_written_by_the_parse_workers_are_the_cache_the_next_build_reads(
    corpus_project, run, tmp_path, monkeypatch
):
    """A first build with many files: each worker writes the shards of parses it made. The next
    build must take every file from them (no shard written again) and give the same bytes."""
    monkeypatch.setattr(parse, "PARALLEL_FROM", 10)
    for path in (corpus_project / "content").rglob("*.md"):
        age(path)
    first = build_site(load_config(corpus_project), FIXED_NOW)
    cache = corpus_project / ".linkletter/parse-cache"
    shards = {p.name: p.stat().st_mtime_ns for p in cache.glob("[0-9][0-9].pickle")}
    assert len(shards) > 32
    expected = fresh_build(corpus_project, tmp_path, run)
    assert dist_bytes(corpus_project) == expected
    for name in ("build-state.pickle", "plan-snapshot.pickle"):
        (corpus_project / ".linkletter" / name).unlink()
    again = build_site(load_config(corpus_project), FIXED_NOW)
    assert [p for p in again.problems if "parse cache" in p.message] == []
    assert {p.name: p.stat().st_mtime_ns for p in cache.glob("[0-9][0-9].pickle")} == shards
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    assert dist_bytes(corpus_project) == expected


@pytest.mark.parametrize("limit", [1, 3])
def test_a_first_build_by_shard_keeps_only_the_parses_it_may_show_and_gives_the_same_bytes(
    corpus_project, run, tmp_path, monkeypatch, limit
):
    """With short feeds most parses stay in the shard files the workers wrote; a bookmark shown
    through another save's category (links saved twice) or an exclusion is read from there."""
    feeds = corpus_project / "feeds"
    feeds.mkdir(exist_ok=True)
    (feeds / "not-python.yaml").write_text(
        "title: Not Python\ncategories: all\nexclude: [python, golang]\nlimit: 4\n"
    )
    settings = corpus_project / "linkletter.yaml"
    settings.write_text(settings.read_text().replace("feed_limit: 20", f"feed_limit: {limit}"))
    for name, day, category in (("saved-first", 1, "Zqx Only"), ("saved-again", 2, "python")):
        (corpus_project / "content" / f"{name}.md").write_text(
            f"---\ntitle: {name}\nlink: https://example.org/saved-twice\ndate: 2015-01-0{day}T10:00:00Z\n"
            f"categories:\n  - {category}\n---\nThe text of the {name} save.\n"
        )  # an old link: its newest save is in no short list, but the Zqx feed shows it
    expected = fresh_build(corpus_project, tmp_path, run)  # in this process, parsed file by file
    monkeypatch.setattr(parse, "PARALLEL_FROM", 10)
    monkeypatch.setattr(cache_module, "SHARDS", 2)  # shards of 216 files: short lists leave most out
    loads: list[int] = []
    real_load = ParseCache._load
    monkeypatch.setattr(
        ParseCache, "_load", lambda self, shard: loads.append(shard) or real_load(self, shard)
    )
    result = build_site(load_config(corpus_project), FIXED_NOW)
    assert dist_bytes(corpus_project) == expected
    assert not [p for p in result.problems if "parse cache" in p.message]
    assert loads, "the newest save of the link saved twice is read from its shard"


def test_a_rebuild_with_nothing_changed_repeats_the_last_result_and_writes_nothing(project, run):
    first = build_site(load_config(project), FIXED_NOW)
    before = {p: p.stat().st_mtime_ns for p in (project / "dist").rglob("*") if p.is_file()}
    again = build_site(load_config(project), FIXED_NOW)
    assert again.counts is not None, "the short-cut was taken"
    assert again.written == [] and sorted(again.unchanged) == sorted(first.written)
    assert [str(p) for p in again.problems] == [str(p) for p in first.problems]
    assert {p: p.stat().st_mtime_ns for p in (project / "dist").rglob("*") if p.is_file()} == before


def test_the_short_cut_ends_when_now_reaches_a_future_bookmark(project, run, tmp_path):
    build(run, project)
    later = "2030-01-02T00:00:00Z"  # content/2024/future.md (2030-01-01) is published by then
    build(run, project, now=later)
    assert b"future.example.org" in (project / "dist/feeds/everything.rss.xml").read_bytes()
    assert dist_bytes(project) == fresh_build(project, tmp_path, run, now=later)


def test_a_file_changed_in_dist_is_written_again(project, run, tmp_path):
    build(run, project)
    feed = project / "dist/feeds/everything.atom.xml"
    expected = feed.read_bytes()
    feed.write_bytes(b"someone else's bytes")
    build(run, project)
    assert feed.read_bytes() == expected


def test_feeds_rendered_on_several_cores_are_the_serial_bytes(corpus_project, monkeypatch):
    from linkletter.commands.build import plan_site
    from linkletter.publish import spliced

    config = load_config(corpus_project)
    result = plan_site(config, FIXED_NOW, finish=True)
    serial = list(spliced.build_many_feed_files(config.site, result.feeds, True, workers=1))
    monkeypatch.setattr(spliced, "PARALLEL_FROM", 1)
    monkeypatch.setattr(spliced, "FEED_CHUNK", 3)
    monkeypatch.setattr(spliced, "ENTRY_CHUNK", 7)
    assert list(spliced.build_many_feed_files(config.site, result.feeds, True, workers=2)) == serial


def test_a_build_tells_how_parsing_and_writing_go(project):
    heard: list[tuple[str, int, int]] = []
    build_site(load_config(project), FIXED_NOW, progress=lambda *event: heard.append(event))
    steps = {what for what, _, _ in heard}
    assert steps == {"parsing", "writing"}
    assert all(0 < done <= total for _, done, total in heard)
    assert heard[-1][1] == heard[-1][2], "the last step ends complete"


def test_pages_are_made_again_only_when_what_they_show_changed(project, run, monkeypatch, tmp_path):
    from linkletter.commands import build as build_module

    counter = tmp_path / "made"  # pages are made in a forked child: it counts in a file
    real = build_module.render_pages

    def counting(*args):
        with counter.open("a") as out:
            out.write("1")
        return real(*args)

    def made() -> str:
        return counter.read_text() if counter.exists() else ""

    monkeypatch.setattr(build_module, "render_pages", counting)
    build(run, project)
    assert made() == "1"
    path = project / "content/2024/old.md"
    path.write_text(path.read_text().replace("An old one", "An old one, renamed"))  # same feeds, same lengths
    build(run, project)
    assert made() == "1", "an edited title is in no page"
    index = project / "templates/index.html.j2"
    index.write_text(index.read_text().replace("<body>", "<body>\n<p>Edited template</p>", 1))
    build(run, project)
    assert made() == "11"
    assert "Edited template" in (project / "dist/index.html").read_text()
    (project / "dist/feeds.opml").unlink()
    build(run, project)
    assert made() == "111" and (project / "dist/feeds.opml").exists()


def test_a_signed_image_that_expires_between_builds_leaves_the_feed(project, run, tmp_path):
    """The file is unchanged and read from the cache; only the clock decides that its image is
    gone, and the feed showing it is made again (its fingerprint holds the image as it is now)."""
    expires = 1715594400  # 2024-05-13T10:00:00Z
    (project / "content/2024/signed.md").write_text(
        "---\ntitle: Signed image\nlink: https://signed.example.org/\ndate: 2024-05-12T08:00:00Z\n"
        f"featuredImage: https://cdn.example.net/i.jpg?Expires={expires}&Signature=s\n---\nBody.\n",
        encoding="utf-8",
    )
    age(project / "content/2024/signed.md")
    build(run, project, now="2024-05-13T09:00:00Z")
    assert b"cdn.example.net" in (project / "dist/feeds/everything.rss.xml").read_bytes()
    build(run, project, now="2024-05-13T11:00:00Z")
    assert b"cdn.example.net" not in (project / "dist/feeds/everything.rss.xml").read_bytes()
    assert dist_bytes(project) == fresh_build(project, tmp_path, run, now="2024-05-13T11:00:00Z")


def test_a_first_build_by_shard_with_a_cache_it_cannot_write_warns_and_tries_again(
    corpus_project, run, tmp_path, monkeypatch
):
    """A file where the cache folder goes: the build parses as usual and warns; once the cause
    is gone, the next build writes the cache and does not repeat the warning."""
    monkeypatch.setattr(parse, "PARALLEL_FROM", 10)
    (corpus_project / ".linkletter").mkdir()
    (corpus_project / ".linkletter/parse-cache").write_text("in the way")
    first = build_site(load_config(corpus_project), FIXED_NOW)
    assert [p.message for p in first.problems if "parse cache" in p.message] == [
        "the parse cache cannot be written: File exists"
    ]
    assert dist_bytes(corpus_project) == fresh_build(corpus_project, tmp_path, run)
    (corpus_project / ".linkletter/parse-cache").unlink()
    again = build_site(load_config(corpus_project), FIXED_NOW)
    assert again.planned_by != "shortcut"
    assert [p for p in again.problems if "parse cache" in p.message] == []
    assert (corpus_project / ".linkletter/parse-cache/header.pickle").exists()


SITE = Site(title="t", base_url="https://links.example.org/", author=Author("A"))
CATEGORIES = ["python", "rust", "go", "web"]


def parsed_file(n: int, day: int, categories: list[str]) -> parse.Parsed:
    text = (
        f"---\ntitle: File {n}\nlink: https://example.org/{n}\ndate: 2024-05-{day:02d}T10:00:00Z\n"
        f"categories: [{', '.join(categories)}]\n---\nText {n}\n"
    )
    return parse.parse_bytes(text.encode(), f"content/{n}.md", SITE)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    files=st.lists(
        st.tuples(
            st.integers(1, 9), st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True)
        ),
        min_size=1,
        max_size=30,
    ),
    cuts=st.lists(st.integers(0, 30), max_size=6),
    order=st.randoms(use_true_random=False),
    limit=st.integers(1, 3),
    category_limit=st.sampled_from([None, 1, 2]),
)
def test_floors_from_earlier_shards_keep_every_parse_the_whole_set_wants(
    files, cuts, order, limit, category_limit
):
    """Shards parsed one after another, each given the floors of those before it (`Newest`),
    together keep every parse the whole set would keep (the newest of each feed and category,
    ties included), whatever the split and the order; and fewer than without floors."""
    parses = [parsed_file(n, day, categories) for n, (day, categories) in enumerate(files)]
    spec = FeedSpec("all", "feeds", "All", "", None, limit=limit)
    only_go = FeedSpec("no-go", "feeds", "No Go", "", None, exclude=("go",), limit=limit)
    wanted = parse.Wanted((spec, only_go), category_limit, datetime(2024, 5, 8, tzinfo=UTC), frozenset())
    expected, _ = parse.wanted_parses(parses, wanted)
    bounds = sorted({0, len(parses), *(c for c in cuts if c < len(parses))})
    shards = [list(range(a, b)) for a, b in zip(bounds, bounds[1:], strict=False)]
    order.shuffle(shards)
    newest = parse.Newest(wanted)
    kept: set[int] = set()
    for shard in shards:
        keep, tops = parse.wanted_parses([parses[i] for i in shard], wanted, newest.floors())
        kept |= {shard[i] for i in keep}
        newest.add(tops)
    assert expected <= kept
    unfloored = {
        shard[i] for shard in shards for i in parse.wanted_parses([parses[i] for i in shard], wanted)[0]
    }
    assert kept <= unfloored


@pytest.mark.parametrize("by_shard", [False, True])
def test_a_first_build_takes_each_files_identity_as_it_reads_it(corpus_project, monkeypatch, by_shard):
    """A first build lists the files without a stat each: the identity kept for each is the one
    the file had when it was read, so the next build with nothing changed repeats it, and one
    after an edit reads only that file."""
    if by_shard:
        monkeypatch.setattr(parse, "PARALLEL_FROM", 10)
    files = sorted((corpus_project / "content").rglob("*.md"))
    for path in files:
        age(path)
    first = build_site(load_config(corpus_project), FIXED_NOW)
    assert first.planned_by == "full"
    assert build_site(load_config(corpus_project), FIXED_NOW).planned_by == "shortcut"
    files[3].write_text(files[3].read_text().replace("title:", "title: Edited:", 1))
    age(files[3])
    read: list[str] = []
    real = parse.parse_bytes
    monkeypatch.setattr(
        parse, "parse_bytes", lambda data, shown, site: read.append(shown) or real(data, shown, site)
    )
    assert build_site(load_config(corpus_project), FIXED_NOW).planned_by == "delta"
    assert read == [files[3].relative_to(corpus_project).as_posix()]


@pytest.mark.parametrize("gone", ["index.html", "feeds/everything.rss.xml"])
def test_a_file_the_manifest_knows_no_identity_of_is_made_again_when_it_is_gone(project, run, tmp_path, gone):
    """A file listed as written but without a recorded identity (it vanished as it was being
    recorded, say) is not taken as in place because both identities are unknown."""
    import json

    build(run, project)
    manifest_path = project / ".linkletter/dist-manifest.json"
    data = json.loads(manifest_path.read_text())
    del data["identities"][gone]
    manifest_path.write_text(json.dumps(data))
    (project / "dist" / gone).unlink()
    age(project / "content/2024/old.md")  # the same bytes: a rebuild, not the short-cut
    build(run, project)
    assert (project / "dist" / gone).exists()
    assert dist_bytes(project) == fresh_build(project, tmp_path, run)
