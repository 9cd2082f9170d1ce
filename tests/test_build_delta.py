"""Rebuilds re-planned from the last full plan's snapshot (`commands.delta`): only the changed
files are looked at, feeds the change does not touch are left unread, and every result is the
bytes of a full build of the same content (the random rebuild tests try many more sequences)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

from conftest import FIXED_NOW
from linkletter.commands import build, delta
from linkletter.commands.build import build_site
from linkletter.newsletter.ledger import Ledger
from linkletter.settings.load import load_config
from test_build_cache import age, dist_bytes, fresh_build

NEW = """---
title: {title}
link: https://example.org/delta/{slug}
date: 2024-05-01T10:00:00Z
categories:
  - {category}
{extra}---
A body.
"""


def aged_build(project: Path):
    for path in (project / "content").rglob("*.md"):
        age(path)
    return build_site(load_config(project), FIXED_NOW)


def write(
    project: Path, name: str, title: str = "Added", category: str = "Zzyzx Tools", extra: str = ""
) -> Path:
    path = project / "content" / name
    path.write_text(NEW.format(title=title, slug=name[:-3], category=category, extra=extra), encoding="utf-8")
    age(path)
    return path


def rebuild(project: Path):
    return build_site(load_config(project), FIXED_NOW)


def test_an_edit_reads_only_that_file_and_leaves_untouched_feeds_unread(
    corpus_project, run, tmp_path, parses
):
    first = aged_build(corpus_project)
    assert first.planned_by == "full"
    assert (corpus_project / ".linkletter/plan-snapshot.pickle").exists()
    edited = sorted((corpus_project / "content").rglob("*.md"))[7]
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("title: ", "title: Edited ", 1), encoding="utf-8")
    age(edited)
    parses.clear()
    result = rebuild(corpus_project)
    assert result.planned_by == "delta"
    assert parses == [edited.relative_to(corpus_project).as_posix()]
    settled = [plan.path for plan in result.feeds if plan.settled]
    assert len(settled) > len(result.feeds) // 2, "most feeds do not hold the edited bookmark"
    assert not result.failed
    assert dist_bytes(corpus_project) == fresh_build(corpus_project, tmp_path, run)


def test_a_feed_changed_since_the_snapshot_is_not_left_as_the_snapshot_had_it(corpus_project, run, tmp_path):
    """The snapshot stays as its full build made it; a feed a later rebuild rewrote must be
    chosen again even when the change that undoes it names no link (a draft)."""
    aged_build(corpus_project)
    write(corpus_project, "delta-added.md")
    assert rebuild(corpus_project).planned_by == "delta"
    assert (corpus_project / "dist/categories/zzyzx-tools.rss.xml").exists()
    write(corpus_project, "delta-other.md", title="Other", category="Zzyzx Tools")
    write(corpus_project, "delta-added.md", extra="draft: true\n")
    result = rebuild(corpus_project)
    assert result.planned_by == "delta"
    assert dist_bytes(corpus_project) == fresh_build(corpus_project, tmp_path, run)


def test_a_category_whose_display_name_changes_plans_in_full(corpus_project, run, tmp_path):
    """A new category's name may change with the files that made it (they are all looked at
    again); a name the snapshot knew may be on bookmarks that did not change: a full plan."""
    write(corpus_project, "delta-kept.md", category="Known Tools")
    aged_build(corpus_project)
    write(corpus_project, "delta-added.md", category="Zzyzx Tools")
    assert rebuild(corpus_project).planned_by == "delta"
    write(corpus_project, "delta-added.md", category="ZZYZX TOOLS")
    assert rebuild(corpus_project).planned_by == "delta"
    write(corpus_project, "delta-kept.md", category="KNOWN TOOLS")  # the same category, another name
    result = rebuild(corpus_project)
    assert result.planned_by == "full"
    assert dist_bytes(corpus_project) == fresh_build(corpus_project, tmp_path, run)


def test_more_changes_than_the_limit_plan_in_full(corpus_project, run, tmp_path, monkeypatch):
    monkeypatch.setattr(delta, "LIMIT", 2)
    aged_build(corpus_project)
    for n in range(3):
        write(corpus_project, f"delta-{n}.md", title=f"Added {n}")
    result = rebuild(corpus_project)
    assert result.planned_by == "full"
    assert dist_bytes(corpus_project) == fresh_build(corpus_project, tmp_path, run)
    write(corpus_project, "delta-3.md", title="Added 3")  # the full plan kept a new snapshot
    assert rebuild(corpus_project).planned_by == "delta"


def test_no_cache_and_a_damaged_cache_plan_in_full(corpus_project):
    aged_build(corpus_project)
    write(corpus_project, "delta-added.md")
    assert build_site(load_config(corpus_project), FIXED_NOW, use_cache=False).planned_by == "full"
    write(corpus_project, "delta-added.md", title="Again")
    (corpus_project / ".linkletter/parse-cache/header.pickle").write_bytes(b"garbage")
    assert rebuild(corpus_project).planned_by == "full"


def test_a_build_stopped_by_the_shrink_guard_keeps_no_snapshot_ahead_of_the_cache(project, run, tmp_path):
    """The guard stops a full plan before anything (the parse cache too) is kept; the next build
    must not re-plan from that plan's snapshot over the older cache (an edited file's old text)."""
    content = project / "content"
    shutil.rmtree(content)
    content.mkdir()
    names = ["1.md", "2.md", "3.md", "4.md"]
    for n, name in enumerate(names, start=1):
        write(project, name, title=f"First {n}", category="Python")
    assert aged_build(project).planned_by == "full"
    write(project, "1.md", title="Edited", category="python")  # another spelling: a full plan
    for name in names[1:]:
        (content / name).write_text("---\ntitle: [broken\ndate: nope\n---\n")
        age(content / name)
    stopped = rebuild(project)
    assert any("nothing was written" in p.message for p in stopped.problems)
    for n, name in enumerate(names[1:], start=2):
        write(project, name, title=f"First {n}", category="python")
    rebuild(project)
    assert dist_bytes(project) == fresh_build(project, tmp_path, run)


def test_a_bookmark_at_the_max_age_edge_leaves_the_feed_just_after(project, run, tmp_path):
    """A feed keeps a bookmark dated exactly `max_age_days` before now; a build a moment later
    must drop it, not repeat the last build (the short-cut's end was set at that moment)."""
    content = project / "content"
    shutil.rmtree(content)
    content.mkdir()
    edge = FIXED_NOW - timedelta(days=30)  # tests/fixtures/site/feeds/everything.yaml: 30 days
    (content / "edge.md").write_text(
        f"---\ntitle: At the edge\nlink: https://example.org/edge\ndate: {edge:%Y-%m-%dT%H:%M:%SZ}\n"
        "categories: [Python]\n---\n",
        encoding="utf-8",
    )
    age(content / "edge.md")
    build_site(load_config(project), FIXED_NOW)
    assert b"example.org/edge" in (project / "dist/feeds/everything.json").read_bytes()
    later = FIXED_NOW + timedelta(seconds=1)
    build_site(load_config(project), later)
    assert b"example.org/edge" not in (project / "dist/feeds/everything.json").read_bytes()
    assert dist_bytes(project) == fresh_build(project, tmp_path, run, now=later.isoformat())


def test_a_ledger_changed_while_a_build_runs_is_not_taken_as_what_it_built_from(project, monkeypatch):
    """`digest --publish` records an issue without waiting for the build lock; a build that
    rendered its pages before must not let the next build repeat its result."""
    aged_build(project)
    real_write = build.write_site

    def publishing_meanwhile(config, *args, **kwargs):
        kept = real_write(config, *args, **kwargs)
        Ledger(build.ledger_path(config)).close()  # the ledger appears while the build runs
        return kept

    (project / ".linkletter/build-state.pickle").unlink()  # build again
    monkeypatch.setattr(build, "write_site", publishing_meanwhile)
    rebuild(project)
    monkeypatch.setattr(build, "write_site", real_write)
    assert rebuild(project).planned_by != "shortcut"


def test_a_ledger_without_an_issue_links_to_no_archive(project):
    """`digest --publish` with nothing new creates the ledger and publishes nothing: the pages
    must not link to an archive that is never written."""
    aged_build(project)
    without = (project / "dist/index.html").read_bytes()
    Ledger(project / ".linkletter/ledger.sqlite").close()
    rebuild(project)
    assert (project / "dist/index.html").read_bytes() == without
    assert not (project / "dist" / load_config(project).digest.path).exists()
