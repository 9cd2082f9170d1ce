"""Feeds subscribers can trust: publishing or sending an issue for a past day never rewrites the
bookmark feeds (issue 8, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.smtpserver import SmtpServer
from test_send import SECRET, configure_smtp

LATER = "2024-05-20T08:00:00Z"  # the feeds are built "now"; the issues below are for earlier days
PAST_DAY = "2024-05-13"


def bookmark_feeds(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under dist/feeds and dist/categories: its bytes and its mtime in nanoseconds."""
    dist = project / "dist"
    files = [
        p for folder in ("feeds", "categories") for p in sorted((dist / folder).rglob("*")) if p.is_file()
    ]
    return {p.relative_to(dist).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in files}


@pytest.fixture
def built(project, run):
    # a bookmark saved after the past day: a rebuild "as of" that day would drop it (a rollback)
    (project / "content/2024/after.md").write_text(
        "---\ntitle: Saved after the issue\nlink: https://example.com/after\n"
        "date: 2024-05-16T10:00:00Z\ncategories: [python]\n---\n"
    )
    (project / "recipients.csv").write_text("email,name\nreader@example.org,A Reader\n")
    code, _, err = run("build", "-C", project, "--now", LATER)
    assert code == 0, err
    before = bookmark_feeds(project)
    assert len(before) == 27  # 9 feeds in RSS, Atom and JSON Feed
    assert all(b"example.com/after" in before[f"feeds/everything.{kind}.xml"][0] for kind in ("rss", "atom"))
    return before


def test_publishing_a_past_issue_leaves_every_bookmark_feed_alone(project, run, built):
    code, out, err = run("digest", "-C", project, "--date", PAST_DAY, "--publish", "--out", project / "p")
    assert code == 0, err
    assert "published" in out
    assert bookmark_feeds(project) == built


@pytest.mark.parametrize("mode", ["--dry-run", "--to"])
def test_a_dry_run_or_test_copy_for_a_past_day_leaves_every_bookmark_feed_alone(
    project, run, built, mode, monkeypatch
):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    with SmtpServer() as smtp:
        configure_smtp(project, smtp.port)
        extra = (
            ["--to", "tester@example.org"]
            if mode == "--to"
            else ["--dry-run", "--outbox", project / "outbox"]
        )
        code, _, err = run("send", "-C", project, "--date", PAST_DAY, "--ignore-deadline", *extra)
        assert code == 0, err
        if mode == "--to":
            assert len(smtp.mailbox.received) == 1
    assert bookmark_feeds(project) == built


def test_a_real_send_for_a_past_day_leaves_every_bookmark_feed_alone(project, run, built, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    with SmtpServer() as smtp:
        configure_smtp(project, smtp.port)
        code, out, err = run("send", "-C", project, "--date", PAST_DAY, "--ignore-deadline")
        assert code == 0, err
        assert smtp.mailbox.received, out
    assert bookmark_feeds(project) == built
