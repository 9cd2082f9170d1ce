"""Builds subscribers can trust (issue 8): stale outputs removed and nobody else's files touched,
no silently emptied feed, stable ids when the site moves, warnings that do not bury each other,
and content folders that are reported instead of skipped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from conftest import FIXED_NOW_ARG

STALE_NOISE = ("content/2024/seed-style.md:9:", "content/2024/future.md:")


def build(run, project: Path, *extra: str):
    return run("build", "-C", project, "--now", FIXED_NOW_ARG, *extra)


def own_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if not line.startswith(STALE_NOISE)]


def snapshot(project: Path) -> dict[str, tuple[bytes, int]]:
    dist = project / "dist"
    return {
        p.relative_to(dist).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in dist.rglob("*")
        if p.is_file()
    }


def ids(path: Path) -> list[str]:
    return [e.id for e in feedparser.parse(path.read_bytes()).entries]


# --- item 2: the manifest --------------------------------------------------------------------


def test_outputs_no_longer_generated_are_removed_and_nothing_else(project, run):
    assert build(run, project)[0] == 0
    dist = project / "dist"
    (dist / "feeds/mine.html").write_text("a page of my own")
    (dist / "categories/.other-program.tmp").write_text("another program's temporary")
    (dist / "categories/.linkletter-killed.tmp").write_text("a leftover of a killed build")
    (dist / "categories/rust.rss.xml").write_text("edited by hand: no longer linkletter's")
    (project / "feeds/python.yaml").unlink()
    (project / "content/2024/rust.md").unlink() if (project / "content/2024/rust.md").exists() else None
    code, out, err = build(run, project)
    assert code == 0, err
    assert not any((dist / f"feeds/python.{kind}").exists() for kind in ("rss.xml", "atom.xml", "json"))
    assert (dist / "feeds/mine.html").read_text() == "a page of my own"
    assert (dist / "categories/.other-program.tmp").exists()
    assert not (dist / "categories/.linkletter-killed.tmp").exists()
    assert "3 removed" in out  # feeds/python in three formats; the hand-edited rust.rss.xml stays
    manifest = json.loads((project / ".linkletter/dist-manifest.json").read_text())
    assert "feeds/python.rss.xml" not in manifest["files"] and "feeds/everything.rss.xml" in manifest["files"]


def test_a_file_changed_by_someone_else_is_never_removed(project, run):
    assert build(run, project)[0] == 0
    (project / "dist/feeds/python.atom.xml").write_text("mine now")
    (project / "feeds/python.yaml").unlink()
    code, out, _ = build(run, project)
    assert (project / "dist/feeds/python.atom.xml").read_text() == "mine now"
    assert "2 removed" in out  # the RSS and JSON Feed files; the changed Atom file stays


def test_folders_linkletter_created_go_when_empty(project, run):
    assert build(run, project)[0] == 0
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("build:\n", "build:\n  category_feeds: false\n"))
    code, out, err = build(run, project)
    assert code == 0, err
    assert not (project / "dist/categories").exists()
    assert "21 removed" in out  # 7 category feeds in three formats


def test_publishing_adds_to_the_manifest_and_removes_nothing(project, run):
    assert build(run, project)[0] == 0
    before = snapshot(project)
    code, _, err = run("digest", "-C", project, "--date", "2024-05-13", "--publish", "--out", project / "p")
    assert code == 0, err
    after = snapshot(project)
    assert {k: v for k, v in after.items() if not k.startswith("digest/")} == before
    manifest = json.loads((project / ".linkletter/dist-manifest.json").read_text())
    assert "digest/atom.xml" in manifest["files"] and "feeds/python.rss.xml" in manifest["files"]


# --- item 3: missing content, no bookmark files, silently emptied feeds ----------------------


def test_a_missing_content_folder_is_an_error(project, run):
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("build:\n", "build:\n  content: contnet\n"))
    code, _, err = build(run, project)
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (
        "contnet: build.content: no such folder; the bookmarks are read from here "
        "(check build.content in linkletter.yaml (default: content))"
    )
    assert not (project / "dist").exists()


def test_a_content_folder_without_bookmark_files_names_what_it_found(project, run):
    shutil.rmtree(project / "content")
    (project / "content").mkdir()
    (project / "content/bookmarks.html").write_text("<DL><DT>netscape</DL>")
    (project / "content/pinboard.json").write_text("[]")
    code, _, err = build(run, project)
    assert code == 1
    assert "content: no bookmark files (*.md); found bookmarks.html, pinboard.json" in err


def test_read_errors_that_would_empty_published_feeds_stop_the_build(project, run):
    assert build(run, project)[0] == 0
    before = snapshot(project)
    for path in (project / "content/2024").glob("*.md"):
        path.write_bytes(b"\xff" + path.read_bytes())  # not UTF-8: every file fails to read
    code, out, err = build(run, project)
    assert code == 1
    assert snapshot(project) == before, "nothing was written"
    assert "published feed file(s) would lose more than half of their items" in err
    assert "error(s) in the content (see above); nothing was written" in err
    assert "--allow-shrink" in err
    code, out, err = build(run, project, "--allow-shrink")
    assert code == 1  # the read errors are still errors
    assert "written anyway (--allow-shrink)" in err
    assert ids(project / "dist/feeds/everything.atom.xml") == []


def test_a_vanished_content_folder_stops_the_build(project, run):
    assert build(run, project)[0] == 0
    before = snapshot(project)
    (project / "content/2024").rename(project / "content/_2024")  # skipped: as good as gone
    (project / "content/new.md").write_text(
        "---\ntitle: New\nlink: https://example.com/new\ndate: 2024-05-12T00:00:00Z\n---\n"
    )
    code, _, err = build(run, project)
    assert code == 1 and snapshot(project) == before
    assert "content/2024, which held 13 bookmark(s), is gone" in err


def test_removing_a_feed_definition_while_one_file_is_broken_still_builds(project, run):
    """A feed removed on purpose is not a feed emptied by the broken file (found by review)."""
    assert build(run, project)[0] == 0
    (project / "feeds/python.yaml").unlink()
    (project / "content/2024/broken.md").write_text(
        "---\ntitle: Broken\nlink: https://example.com/b\ndate: never\n---\n"
    )
    code, out, err = build(run, project)
    assert code == 1 and "content/2024/broken.md" in err  # the bad date is still an error
    assert "would lose more than half" not in err and "written" in out
    assert not (project / "dist/feeds/python.atom.xml").exists()


def test_deleting_bookmarks_on_purpose_still_shrinks_the_feeds(project, run):
    assert build(run, project)[0] == 0
    for path in sorted((project / "content/2024").glob("*.md"))[2:]:
        path.unlink()
    code, _, err = build(run, project)
    assert code == 0, err


# --- item 4: the id namespace ----------------------------------------------------------------


def test_changing_base_url_keeps_every_id_and_says_so_once(project, run):
    assert build(run, project)[0] == 0
    feed = project / "dist/feeds/everything.atom.xml"
    before = ids(feed)
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace("https://links.example.org/sub/", "http://links.example.net/")
    )
    code, _, err = build(run, project)
    assert code == 0, err
    assert ids(feed) == before
    assert (
        "warning: site.base_url: changed from https://links.example.org/sub/ to http://links.example.net/"
        in err
    )
    code, _, err = build(run, project)
    assert ids(feed) == before and "site.base_url" not in err, "said once"


def test_id_namespace_still_overrides_the_record(project, run):
    assert build(run, project)[0] == 0
    before = ids(project / "dist/feeds/everything.atom.xml")
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace("  language: en\n", "  language: en\n  id_namespace: tag:me\n")
    )
    assert build(run, project)[0] == 0
    after = ids(project / "dist/feeds/everything.atom.xml")
    assert len(after) == len(before) and not set(after) & set(before)
    # removing the setting keeps the namespace it set; deleting the record starts over from base_url
    config.write_text(config.read_text().replace("  id_namespace: tag:me\n", ""))
    assert build(run, project)[0] == 0
    assert ids(project / "dist/feeds/everything.atom.xml") == after
    (project / ".linkletter/ids.json").unlink()
    assert build(run, project)[0] == 0
    assert ids(project / "dist/feeds/everything.atom.xml") == before


# --- item 6: warnings grouped, counted; a feed that matches nothing -------------------------


def add_expired_images(project: Path, count: int) -> None:
    for n in range(count):
        (project / f"content/expired-{n}.md").write_text(
            f"---\ntitle: Expired {n}\nlink: https://example.com/e{n}\ndate: 2024-05-0{1 + n % 9}T00:00:00Z\n"
            f"featuredImage: https://cdn.example.com/i{n}.jpg?Expires=155740{n}000\n---\n"
        )


def test_repeated_warnings_are_one_line_unless_verbose(project, run):
    add_expired_images(project, 6)
    code, out, err = build(run, project)
    expired = [line for line in err.splitlines() if "signed image URL expired" in line]
    assert len(expired) == 1
    assert expired[0].startswith(
        "content/expired-0.md:5: warning: featuredImage: the signed image URL expired"
    )
    assert (
        "[and 6 more like it: content/expired-1.md, content/expired-2.md, content/expired-3.md, ...;"
        in expired[0]
    )
    assert "0 error(s), 8 warning(s)" in out
    code, out, err = build(run, project, "--verbose")
    assert len([line for line in err.splitlines() if "signed image URL expired" in line]) == 7


def test_a_feed_whose_categories_match_nothing_warns(project, run):
    (project / "feeds/typo.yaml").write_text("title: Typo\ncategories: [pyhton]\n")
    code, _, err = build(run, project)
    assert code == 0
    assert (
        "feeds/typo.yaml: warning: categories: no bookmark has any of these categories: pyhton; the feed is empty"
        in err
    )


def test_a_bookmark_far_in_the_future_is_named(project, run):
    code, _, err = build(run, project)
    assert "content/2024/future.md: warning: date: dated 2030-01-01, more than 31 days from now" in err


def test_control_characters_in_file_names_are_shown_escaped(project, run):
    (project / "content/evil\x1b[2J\nforged: error.md").write_text("---\ntitle: x\n---\n")
    code, _, err = build(run, project)
    assert "content/evil\\x1b[2J\\nforged: error.md: link: missing" in err
    assert "\x1b" not in err


# --- content folders, special files ---------------------------------------------------------


def test_fifos_are_reported_not_read(project, run, tmp_path):
    os.mkfifo(project / "content/pipe.md")
    os.mkfifo(tmp_path / "elsewhere")
    (project / "content/2024/linked-pipe.md").symlink_to(project / "content/pipe.md")
    code, _, err = build(run, project)  # would hang forever if the FIFO were opened for reading
    assert "content/pipe.md: is not a regular file; skipped (keep only files here)" in err
    assert "content/2024/linked-pipe.md: is not a regular file; skipped (keep only files here)" in err


def test_a_settings_file_that_is_a_fifo_or_huge_is_refused(project, run):
    config = project / "linkletter.yaml"
    config.unlink()
    os.mkfifo(config)
    code, _, err = build(run, project)
    assert code == 1 and "Traceback" not in err and "is not a regular file" in err
    config.unlink()
    with config.open("wb") as handle:
        handle.truncate(3 * 2**30)  # 3 GB, sparse: reading it whole would take 3 GB of memory
    code, _, err = build(run, project)
    assert code == 1 and "Traceback" not in err and "may be at most" in err


def test_symlinked_and_unreadable_folders_are_reported(project, run, tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project / "content/linked").symlink_to(outside, target_is_directory=True)
    code, _, err = build(run, project)
    assert "content/linked: warning: is a symbolic link to a folder; not followed" in err
    locked = project / "content/locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        err = build_without_root_powers(project) if os.geteuid() == 0 else build(run, project)[2]
    finally:
        locked.chmod(0o755)
    assert "content/locked: this folder cannot be read (Permission denied)" in err


def build_without_root_powers(project: Path) -> str:
    """Root reads every folder; a build under setpriv without the capabilities that allow it
    meets the permission check as anyone else would."""
    drop = "-dac_override,-dac_read_search"
    result = subprocess.run(
        ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", sys.executable, "-m", "linkletter"]
        + ["build", "-C", str(project), "--now", FIXED_NOW_ARG],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stderr


def test_a_content_folder_named_in_another_encoding_is_built(project, run):
    """A folder whose name is not UTF-8 (copied from an old Latin-1 disk) is counted in the
    manifest like any other; writing that manifest used to crash the build."""
    folder = os.fsencode(project / "content") + b"/caf\xe9"
    try:
        os.mkdir(folder)
    except OSError:  # a file system that takes only UTF-8 names (macOS)
        pytest.skip("this file system refuses names that are not UTF-8")
    with open(folder + b"/latin.md", "w") as handle:
        handle.write("---\ntitle: Latin\nlink: https://example.com/latin\ndate: 2024-05-12T00:00:00Z\n---\n")
    code, _, err = build(run, project)
    assert code == 0 and "Traceback" not in err, err
    manifest = json.loads((project / ".linkletter/dist-manifest.json").read_text())
    assert manifest["content"]["caf\udce9"] == 1
    assert b"example.com/latin" in (project / "dist/feeds/everything.atom.xml").read_bytes()
    code, out, err = build(run, project)  # the manifest written is read back
    assert code == 0 and " 0 file(s) written" in out, err


def test_upper_case_md_files_are_bookmarks(project, run):
    (project / "content/Notes.MD").write_text(
        "---\ntitle: Upper\nlink: https://example.com/upper\ndate: 2024-05-12T00:00:00Z\n---\n"
    )
    assert build(run, project)[0] == 0
    assert b"example.com/upper" in (project / "dist/feeds/everything.atom.xml").read_bytes()


# --- state folder and output problems are messages ------------------------------------------


def test_a_state_folder_that_is_a_file_is_a_message(project, run):
    (project / ".linkletter").write_text("not a folder")
    code, _, err = build(run, project)
    assert code == 1 and "Traceback" not in err
    assert ".linkletter" in err and ("Not a directory" in err or "File exists" in err)


def test_one_unwritable_file_does_not_stop_the_others(project, run):
    (project / "dist/categories/rust.rss.xml").mkdir(parents=True)  # a folder in the way
    code, out, err = build(run, project)
    assert code == 1
    assert "dist/categories/rust.rss.xml: cannot write" in err
    assert (project / "dist/categories/rust.atom.xml").exists()
    assert (project / "dist/index.html").exists() and (project / "dist/feeds/everything.atom.xml").exists()


def test_category_slugs_are_unique_and_short_in_bytes(project, run):
    from linkletter.content.categories import short_hash

    names = ["c++", "c plus plus", f"c plus plus {short_hash('c++')}", "𐐀" * 60]
    for n, name in enumerate(names):
        (project / f"content/cat-{n}.md").write_text(
            f"---\ntitle: Cat {n}\nlink: https://example.com/cat{n}\ndate: 2024-05-12T00:00:00Z\n"
            f"categories: ['{name}']\n---\n"
        )
    code, _, err = build(run, project)
    assert code == 0, err
    files = [p for p in (project / "dist/categories").iterdir()]
    assert all(len(p.name.encode()) < 255 for p in files)
    titles = {feedparser.parse(p.read_bytes()).feed.title for p in files if p.name.endswith(".atom.xml")}
    assert len([t for t in titles if t.startswith("Fixture Links: ")]) == len(files) // 3 == 7 + 4


def test_a_build_reads_content_while_holding_the_build_lock(project, monkeypatch):
    """A build that waited for another one must not write what it read before the wait."""
    import fcntl

    from linkletter.commands import build as build_module
    from linkletter.commands.build import build_site
    from linkletter.settings.load import load_config

    real_load, held = build_module.plan_lights, []

    def load_and_probe(*args):
        with (project / ".linkletter/build.lock").open("a") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(False)
                fcntl.flock(probe, fcntl.LOCK_UN)
            except BlockingIOError:
                held.append(True)
        return real_load(*args)

    (project / ".linkletter").mkdir()
    monkeypatch.setattr(build_module, "plan_lights", load_and_probe)
    build_site(load_config(project), __import__("conftest").FIXED_NOW)
    assert held == [True]


@pytest.mark.parametrize(
    "broken",
    [
        b"[]",
        b'{"files": {"feeds/a.rss.xml": 1}, "folders": []}',
        b'{"files": {}, "folders": [], "identities": {"feeds/a.rss.xml": [1, 2, 3]}}',
        b'{"files": {}, "folders": [], "identities": {"feeds/a.rss.xml": [1, 2, 3, true]}}',
        b'{"files": {}, "folders": [1]}',
        b'{"files": {}, "folders": [], "feeds": {"feeds/a.rss.xml": "9"}}',
        b"\xff\xfe not text",
    ],
)
def test_a_manifest_that_is_not_linkletters_is_named_not_trusted(project, run, broken):
    """A manifest of the wrong shape (edited by hand, another program's) is a message naming
    it; nothing in dist/ is removed or trusted on its word."""
    assert build(run, project)[0] == 0
    manifest = project / ".linkletter/dist-manifest.json"
    manifest.write_bytes(broken)
    before = snapshot(project)
    code, _, err = build(run, project)
    assert code == 1 and "Traceback" not in err
    assert ".linkletter/dist-manifest.json: is not a linkletter manifest" in err, err
    assert snapshot(project) == before
