"""Issue 8, mail: refusals of the message itself, hard bounces and the suppression list, test
copies, publishing only after an acceptance, 421, interruptible stops and exit status 75. A real
SMTP server (aiosmtpd on 127.0.0.1) gives every reply."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import FIXED_NOW
from linkletter.commands.send import SendOptions, send_current
from linkletter.errors import UserError
from linkletter.settings.load import load_config
from support.smtpserver import SilentServer, SmtpServer
from test_send import SECRET, Recorder, configure_smtp, ledger_rows, send, start_send

NEXT_WEEK = FIXED_NOW + timedelta(days=7)


VALID_RECIPIENTS = "email,name\nalice@example.org,Alice\nbob@example.net,Bob\ncarol@example.com,Carol\n"


@pytest.fixture
def server(project):
    with SmtpServer() as smtp:
        configure_smtp(project, smtp.port)
        yield smtp


def send_at(project: Path, now, **options):
    recorder = Recorder()
    return send_current(
        load_config(project),
        now,
        SendOptions(unsubscribe_secret=SECRET, ignore_deadline=True, **options),
        lambda: now,
        sleep=recorder.sleep,
        monotonic=recorder.monotonic,
    )


def issues_in_ledger(project: Path) -> list[str]:
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        return [row[0] for row in db.execute("SELECT slug FROM issues")]


# --- item 7: a refused message is not a refused recipient ---------------------------------------


def test_a_message_refused_with_5_7_1_leaves_everyone_pending_and_stops(project, server):
    server.mailbox.data_reply = "554 5.7.1 message rejected as spam"
    outcome = send(project)
    assert ledger_rows(project) == [], "nobody is recorded as failed"
    assert outcome.report.refused and outcome.report.incomplete
    errors = [str(p) for p in outcome.problems if p.is_error and p.path == "smtp"]
    assert errors == [
        "smtp: sending stopped: the server refused the message itself: 554 5.7.1 message rejected as spam (nobody was marked failed for it; change the message or ask the provider, then run send again)"
    ]
    server.mailbox.data_reply = None
    outcome = send(project)
    assert outcome.message.startswith("issue 1 (2024-05-13): sent 3, 0 already had it")


def test_the_same_plain_refusal_for_several_recipients_in_a_row_is_about_the_message(project, server):
    server.mailbox.data_reply = "550 content policy violation"
    outcome = send(project)
    assert ledger_rows(project) == []
    assert "the server refused the message itself: 550 content policy violation" in str(outcome.problems)


def test_retry_failed_tries_recorded_failures_again(project, server):
    server.mailbox.permanent.add("carol@example.com")
    send(project)
    assert ("carol@example.com", "failed") in ledger_rows(project)
    server.mailbox.permanent.clear()
    outcome = send(project)
    assert "1 refused earlier (not retried; see send --retry-failed)" in outcome.message
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        db.execute("DELETE FROM suppressions")
    outcome = send(project, retry_failed=True)
    assert outcome.message.startswith("issue 1 (2024-05-13): sent 1, 2 already had it, 0 failed")
    assert server.mailbox.recipients()["carol@example.com"] == 1


# --- item 8: hard bounces are suppressed ------------------------------------------------------


def test_a_hard_bounce_is_suppressed_in_later_issues_and_can_be_lifted(project, server, run):
    server.mailbox.permanent.add("carol@example.com")
    send(project)
    (project / "content/2024/next-week.md").write_text(
        "---\ntitle: Next week\nlink: https://example.org/next\ndate: 2024-05-15T10:00:00Z\n---\n"
    )
    outcome = send_at(project, NEXT_WEEK)
    assert server.mailbox.mail_count == 3 + 2, "carol is not mailed again"
    assert "1 suppressed (skipped)" in outcome.message
    assert any("carol@example.com: warning: skipped: suppressed" in str(p) for p in outcome.problems)
    code, out, err = run("check", "-C", project, "--now", NEXT_WEEK.isoformat())
    assert (
        "carol@example.com is suppressed since 2024-05-13 (550 5.1.1 <carol@example.com>: no such user); it is skipped"
        in err
    )
    code, out, err = run("suppressions", "-C", project)
    assert "carol@example.com  since 2024-05-13: 550 5.1.1" in out
    code, out, err = run("suppressions", "-C", project, "--lift", "Carol@Example.com")
    assert code == 0 and out.startswith("lifted Carol@Example.com; 0 suppressed addresss")
    server.mailbox.permanent.clear()
    outcome = send_at(project, NEXT_WEEK)
    assert server.mailbox.recipients()["carol@example.com"] == 1


def test_lifting_an_address_that_is_not_suppressed_is_an_error(project, run):
    code, out, err = run("suppressions", "-C", project, "--lift", "nobody@example.org")
    assert code == 1 and "nobody@example.org: is not suppressed" in err


# --- item 9: test copies, and no publishing before an acceptance ------------------------------


def test_a_test_copy_has_its_own_message_id_and_says_test(project, server):
    send(project, to="alice@example.org")
    send(project)
    test_copy, real = server.mailbox.messages_for("alice@example.org")
    assert test_copy["Message-ID"] != real["Message-ID"]
    assert test_copy["Subject"].startswith("[TEST] Fixture Weekly #1")
    assert not real["Subject"].startswith("[TEST]")


def test_a_send_that_fails_before_any_acceptance_publishes_nothing(project, server):
    configure_smtp(project, server.port + 0, max_retries=0)
    server.mailbox.sender_reply = "550 5.4.5 Daily sending quota exceeded"
    with pytest.raises(UserError):
        send(project)
    assert issues_in_ledger(project) == []
    assert not (project / "dist/digest/2024-05-13.html").exists()
    late = FIXED_NOW + timedelta(days=3)
    server.mailbox.sender_reply = None
    outcome = send_current(
        load_config(project), FIXED_NOW, SendOptions(unsubscribe_secret=SECRET), lambda: late
    )
    assert "past its deadline" in outcome.message, "the deadline still applies"


def test_the_issue_is_published_once_a_message_was_accepted(project, server):
    send(project)
    assert issues_in_ledger(project) == ["2024-05-13"]
    assert (project / "dist/digest/2024-05-13.html").exists()


# --- item 12: 421, exit status 75, SIGTERM ------------------------------------------------------


def test_after_a_421_the_next_message_goes_over_a_new_connection(project, server):
    server.mailbox.closing_mail.add(2)
    outcome = send(project)
    assert outcome.message.startswith("issue 1 (2024-05-13): sent 3,")
    assert sorted(server.mailbox.recipients().values()) == [1, 1, 1]


def test_deferred_recipients_make_the_exit_status_75(project, server, run, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    configure_smtp(project, server.port, max_retries=1, retry_base_seconds=0)
    (project / "recipients.csv").write_text(VALID_RECIPIENTS)
    server.mailbox.temporary["bob@example.net"] = 100
    code, out, err = run("send", "-C", project, "--now", FIXED_NOW.isoformat(), "--ignore-deadline")
    assert code == 75, err
    server.mailbox.temporary["bob@example.net"] = 0
    code, out, err = run("send", "-C", project, "--now", FIXED_NOW.isoformat(), "--ignore-deadline")
    assert code == 0, err


@pytest.mark.process
def test_sigterm_ends_a_send_to_a_hung_server_promptly(project):
    with SilentServer() as silent:
        configure_smtp(project, silent.port, timeout=600, max_retries=5, retry_base_seconds=600)
        (project / "recipients.csv").write_text(VALID_RECIPIENTS)
        process = start_send(project)
        while not silent.connections:  # wait until it is blocked on the silent server
            try:
                process.wait(0.05)
                pytest.fail(f"send ended before connecting: {process.stderr.read()}")
            except subprocess.TimeoutExpired:
                pass
        process.send_signal(signal.SIGTERM)
        # Without an interruptible wait this would take the 600 s timeout, then 600 s backoffs.
        out, err = process.communicate(timeout=60)
    assert "stopping after the current step" in err
    assert "Traceback" not in err
    assert process.returncode == 75, err
    assert "not tried yet" in out


def test_a_dry_run_does_not_wait_at_the_send_rate(project):
    configure_smtp(project, 1, rate_per_second=0.01)
    recorder = Recorder()
    outcome = send_current(
        load_config(project),
        FIXED_NOW,
        SendOptions(dry_run=True, unsubscribe_secret=SECRET),
        lambda: FIXED_NOW,
        sleep=recorder.sleep,
        monotonic=recorder.monotonic,
    )
    assert "wrote 3 message(s)" in outcome.message
    assert recorder.slept == []
