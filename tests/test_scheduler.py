"""`linkletter run`: the schedule package driven by a fake clock (freezegun); nothing sleeps."""

from __future__ import annotations

import logging
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time

from linkletter.commands import run as scheduler_module
from linkletter.commands.run import Runner
from linkletter.settings.load import load_config
from support.smtpserver import SmtpServer
from test_send import SECRET, configure_smtp


@pytest.fixture(autouse=True)
def utc_machine(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def march_project(project):
    """Bookmarks in the weeks around the EU switch to summer time (Sunday 31 March 2024)."""
    for day, name in [("2024-03-20", "before"), ("2024-03-28", "across"), ("2024-04-03", "after")]:
        (project / f"content/{name}.md").write_text(
            f"---\ntitle: Saved {day}\nlink: https://{name}.example.org/\ndate: {day}T12:00:00Z\n---\n"
        )
    return project


def rebuild_every(project: Path, minutes: int) -> None:
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("smtp:", f"schedule:\n  rebuild_minutes: {minutes}\nsmtp:"))


def run_until(project: Path, start: str, end: datetime, **runner_options) -> Runner:
    with freeze_time(start, ignore=["asyncio", "aiosmtpd", "smtplib", "socket"]) as frozen:
        runner = Runner(
            load_config(project),
            lambda: datetime.now(UTC),
            unsubscribe_secret=SECRET,
            sleep=lambda s: frozen.tick(timedelta(seconds=s)),
            monotonic=time.monotonic,
            max_idle=24 * 3600,
            **runner_options,
        )
        runner.run_forever(lambda: datetime.now(UTC) >= end)
    return runner


def issues(project: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        return db.execute("SELECT slug, created FROM issues ORDER BY number").fetchall()


def test_weekly_send_keeps_local_time_across_daylight_saving(march_project):
    with SmtpServer() as smtp:
        configure_smtp(march_project, smtp.port)
        rebuild_every(march_project, 24 * 60)
        # the hourly catch-up is stretched to two weeks, so only the weekly job can send on time
        run_until(
            march_project, "2024-03-24 12:00:00", datetime(2024, 4, 2, tzinfo=UTC), catch_up_minutes=20160
        )
        assert issues(march_project) == [
            ("2024-03-25", "2024-03-25T08:00:00+00:00"),  # 09:00 CET
            ("2024-04-01", "2024-04-01T07:00:00+00:00"),  # 09:00 CEST
        ]
        assert sorted(smtp.mailbox.recipients().values()) == [2, 2, 2]


@pytest.mark.process
def test_a_missed_send_goes_out_once_when_the_machine_is_back(march_project):
    with SmtpServer() as smtp:
        configure_smtp(march_project, smtp.port)
        run_until(march_project, "2024-03-25 13:00:00", datetime(2024, 3, 27, tzinfo=UTC))
        assert issues(march_project) == [("2024-03-25", "2024-03-25T13:00:00+00:00")]
        assert sorted(smtp.mailbox.recipients().values()) == [1, 1, 1]


def test_an_issue_past_its_deadline_is_not_sent(march_project):
    with SmtpServer() as smtp:
        configure_smtp(march_project, smtp.port)
        rebuild_every(march_project, 24 * 60)
        run_until(march_project, "2024-03-28 12:00:00", datetime(2024, 4, 1, 8, tzinfo=UTC))
        assert [slug for slug, _ in issues(march_project)] == ["2024-04-01"]


def test_feeds_are_rebuilt_every_n_minutes(march_project):
    built = []
    original = scheduler_module.build_site

    def counting(config, now):
        built.append(now)
        return original(config, now)

    scheduler_module.build_site = counting
    try:
        with SmtpServer() as smtp:
            configure_smtp(march_project, smtp.port)
            run_until(march_project, "2024-03-26 10:00:00", datetime(2024, 3, 26, 11, 45, tzinfo=UTC))
    finally:
        scheduler_module.build_site = original
    assert [t.strftime("%H:%M") for t in built] == ["10:00", "10:30", "11:00", "11:30"]


def test_a_failing_job_is_logged_and_the_loop_goes_on(march_project, caplog, monkeypatch):
    calls = []
    original = scheduler_module.build_site

    def flaky(config, now):
        calls.append(now)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return original(config, now)

    monkeypatch.setattr(scheduler_module, "build_site", flaky)
    with SmtpServer() as smtp, caplog.at_level(logging.INFO, logger="linkletter"):
        configure_smtp(march_project, smtp.port)
        run_until(march_project, "2024-03-26 10:00:00", datetime(2024, 3, 26, 11, 45, tzinfo=UTC))
    assert len(calls) == 4
    assert "the job rebuild failed; the schedule goes on" in caplog.text
    assert "disk on fire" in caplog.text


def test_a_stop_request_ends_the_loop_between_jobs(march_project):
    """Stop is requested while the first rebuild runs: the rebuild finishes, nothing else starts."""
    with SmtpServer() as smtp:
        configure_smtp(march_project, smtp.port)
        with freeze_time("2024-03-26 10:00:00") as frozen:
            runner = Runner(
                load_config(march_project),
                lambda: datetime.now(UTC),
                unsubscribe_secret=SECRET,
                sleep=lambda s: frozen.tick(timedelta(seconds=s)),
            )
            runner.run_forever(lambda: (march_project / "dist/feeds").exists())
        assert (march_project / "dist/feeds/python.atom.xml").exists()
        assert smtp.mailbox.received == [], "the due issue was not started after the stop request"


def test_sigterm_stops_a_real_run_cleanly(march_project):
    configure_smtp(march_project, 9)
    process = subprocess.Popen(
        [sys.executable, "-m", "linkletter", "run", "-C", str(march_project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "linkletter is running" in line:
            break
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=30)
    errors = "".join(lines) + rest
    assert process.returncode == 0, errors
    assert "stopping after the current step" in errors
    assert errors.rstrip().endswith("INFO stopped")


def test_an_issue_whose_only_missing_recipient_is_suppressed_counts_as_finished(project):
    """Suppressed addresses are never mailed, so `run` must not try the issue again every hour."""
    from linkletter.newsletter.issues import slot_for, slug_for
    from linkletter.newsletter.ledger import Ledger

    (project / "recipients.csv").write_text("email\nreader@example.org\nbounced@example.org\n")
    config = load_config(project)
    runner = Runner(config, lambda: datetime.now(UTC))
    slot = slot_for(config, datetime(2024, 5, 13, 8, 0, tzinfo=UTC))
    slug = slug_for(config, slot)
    with Ledger(project / ".linkletter/ledger.sqlite") as ledger:
        ledger.record_issue(slug, slot - timedelta(days=7), slot, slot, [])
        ledger.record_delivery(slug, "reader@example.org", "sent", "<m@x>", "", slot)
        assert runner._progress(slot) == (True, False)  # bounced@ not answered yet
        ledger.suppress("bounced@example.org", "550 5.1.1 no such user", slot)
    assert runner._progress(slot) == (True, True)
