"""Sending the digest to a real SMTP server (aiosmtpd on 127.0.0.1), with real faults."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import FIXED_NOW
from linkletter.commands.send import SendOptions, send_current
from linkletter.errors import UserError
from linkletter.settings.load import load_config
from support.smtpserver import SilentServer, SmtpServer, free_port

RECIPIENTS = ["alice@example.org", "bob@example.net", "carol@example.com"]
SECRET = "unsubscribe-signing-secret"
PASSWORD = "correct horse battery staple"


def configure_smtp(project: Path, port: int, **extra) -> None:
    config = project / "linkletter.yaml"
    text = config.read_text().split("smtp:")[0]
    settings = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout": 5,
        "rate_per_second": 1000,
        "retry_base_seconds": 1,
        **extra,
    }
    config.write_text(text + "smtp:\n" + "".join(f"  {k}: {v}\n" for k, v in settings.items()))


class Recorder:
    """An injected sleep: records what would have been slept and advances a fake clock."""

    def __init__(self):
        self.slept: list[float] = []
        self.clock = 0.0

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock += seconds

    def monotonic(self) -> float:
        return self.clock


def send(project: Path, recorder: Recorder | None = None, **options):
    recorder = recorder or Recorder()
    opts = SendOptions(unsubscribe_secret=SECRET, **options)
    return send_current(
        load_config(project),
        FIXED_NOW,
        opts,
        lambda: FIXED_NOW,
        sleep=recorder.sleep,
        monotonic=recorder.monotonic,
    )


def ledger_rows(project: Path) -> list[tuple]:
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        return db.execute("SELECT recipient, status FROM deliveries ORDER BY recipient").fetchall()


@pytest.fixture
def server(project):
    with SmtpServer() as smtp:
        configure_smtp(project, smtp.port)
        yield smtp


def test_happy_path_delivers_one_complete_message_to_each_recipient(project, server):
    outcome = send(project)
    assert outcome.message == "issue 1 (2024-05-13): sent 3, 0 already had it, 0 failed, 0 deferred"
    assert sorted(server.mailbox.recipients().items()) == [(r, 1) for r in sorted(RECIPIENTS)]
    problems = [str(p) for p in outcome.problems if p.severity != "warning"]
    assert len(outcome.problems) == len(set(outcome.problems)), "each problem is reported once"
    assert "recipients.csv:7: 'not-an-address' is not an email address; skipped" in problems
    raw = dict(server.mailbox.received)["alice@example.org"]
    assert b"\n" not in raw.replace(b"\r\n", b""), "CRLF on the wire"
    message = server.mailbox.messages_for("alice@example.org")[0]
    assert message["To"] == "Alice Ålander <alice@example.org>"
    assert message["From"] == "Ada Example <news@example.org>"
    assert re.fullmatch(r"<linkletter\.2024-05-13\.[0-9a-f]{24}@example\.org>", message["Message-ID"])
    assert message["Date"] and message["Subject"].startswith("Fixture Weekly #1")
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://links.example.org/unsubscribe?email=alice@example.org&token=")
    token = re.search(r"token=([0-9a-f]+)", unsubscribe).group(1)
    assert token in message.get_body(("html",)).get_content()
    assert token in message.get_body(("plain",)).get_content()
    other = server.mailbox.messages_for("bob@example.net")[0]
    assert token not in other["List-Unsubscribe"], "each recipient has their own link"
    assert ledger_rows(project) == [(r, "sent") for r in sorted(RECIPIENTS)]


def test_a_second_run_mails_nobody_again(project, server):
    send(project)
    outcome = send(project)
    assert outcome.message == "issue 1 (2024-05-13): sent 0, 3 already had it, 0 failed, 0 deferred"
    assert sum(server.mailbox.recipients().values()) == 3


def test_connection_refused_is_a_clear_error(project, run):
    configure_smtp(project, free_port(), max_retries=1)
    with pytest.raises(UserError) as caught:
        send(project)
    message = str(caught.value)
    assert "sending stopped: cannot talk to 127.0.0.1" in message and "connection refused" in message
    assert "0 sent in this run" in message and "nobody is mailed twice" in message


def test_refused_connection_through_the_cli_has_no_traceback(project, run, monkeypatch):
    configure_smtp(project, free_port(), max_retries=0)
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    code, _, err = run("send", "-C", project, "--now", "2024-05-13T08:00:00Z", "--ignore-deadline")
    assert code == 1
    assert "smtp: sending stopped: cannot talk to 127.0.0.1:" in err and "Traceback" not in err


def test_authentication_failure_names_the_user_and_hides_the_password(project, run, monkeypatch):
    with SmtpServer(login=("ada", PASSWORD)) as smtp:
        configure_smtp(project, smtp.port, user="ada", password_env="TEST_SMTP_PASSWORD")
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong password")
        monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
        code, out, err = run(
            "send", "-C", project, "--now", "2024-05-13T08:00:00Z", "--debug", "--ignore-deadline"
        )
        assert code == 1
        assert "the server refused the login for user 'ada': 535" in err
        assert "wrong password" not in out + err
        assert smtp.mailbox.received == []
        monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
        code, out, err = run("send", "-C", project, "--now", "2024-05-13T08:00:00Z", "--ignore-deadline")
        assert code == 1  # the bad line in recipients.csv is still reported
        assert "sent 3, 0 already had it" in out
        assert PASSWORD not in out + err
    for path in [*(project / "dist").rglob("*"), *(project / ".linkletter").rglob("*")]:
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


def test_a_missing_password_variable_is_reported_before_connecting(project, run, monkeypatch):
    configure_smtp(project, free_port(), user="ada", password_env="UNSET_PASSWORD_VARIABLE")
    monkeypatch.delenv("UNSET_PASSWORD_VARIABLE", raising=False)
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    code, _, err = run("send", "-C", project, "--now", "2024-05-13T08:00:00Z", "--ignore-deadline")
    assert code == 1
    assert (
        "linkletter.yaml: smtp.password_env: the environment variable UNSET_PASSWORD_VARIABLE "
        "is not set (export it with the SMTP password before sending)"
    ) in err


def test_4xx_is_retried_with_backoff_then_delivered_once(project, server):
    server.mailbox.temporary["bob@example.net"] = 2
    recorder = Recorder()
    outcome = send(project, recorder)
    assert outcome.message.startswith("issue 1 (2024-05-13): sent 3,")
    assert server.mailbox.recipients()["bob@example.net"] == 1
    # retried after the others, not inline: carol is mailed before bob's retries
    assert [rcpt for rcpt, _ in server.mailbox.received] == [
        "alice@example.org",
        "carol@example.com",
        "bob@example.net",
    ]
    assert recorder.clock >= 1 + 2  # retry_base_seconds 1, doubled


def test_4xx_that_persists_is_deferred_and_sent_by_the_next_run(project, server):
    server.mailbox.temporary["bob@example.net"] = 100
    outcome = send(project)
    assert "sent 2, 0 already had it, 0 failed, 1 deferred" in outcome.message
    assert any(
        "bob@example.net: warning: deferred, run send again later: 451" in str(p) for p in outcome.problems
    )
    server.mailbox.temporary["bob@example.net"] = 0
    outcome = send(project)
    assert "sent 1, 2 already had it" in outcome.message
    assert sorted(server.mailbox.recipients().values()) == [1, 1, 1]


def test_5xx_is_recorded_as_failed_reported_and_not_retried(project, server):
    server.mailbox.permanent.add("carol@example.com")
    outcome = send(project)
    assert "sent 2, 0 already had it, 1 failed, 0 deferred" in outcome.message
    assert "carol@example.com: not delivered: 550 5.1.1 <carol@example.com>: no such user" in [
        str(p) for p in outcome.problems
    ]
    assert ("carol@example.com", "failed") in ledger_rows(project)
    outcome = send(project)
    assert outcome.message.endswith(
        "sent 0, 2 already had it, 0 failed, 0 deferred, 1 refused earlier (not retried; see send --retry-failed)"
    )


def test_a_connection_dropped_mid_send_is_resumed_without_duplicates(project, server):
    server.mailbox.drop_data.add(2)
    outcome = send(project)
    assert outcome.message.startswith("issue 1 (2024-05-13): sent 3,")
    assert sorted(server.mailbox.recipients().values()) == [1, 1, 1]


@pytest.mark.process
def test_a_server_that_never_answers_times_out_with_a_clear_error(project):
    with SilentServer() as silent:
        configure_smtp(project, silent.port, timeout=1, max_retries=0)
        with pytest.raises(UserError) as caught:
            send(project)
    assert f"cannot talk to 127.0.0.1:{silent.port}: no answer before the timeout" in str(caught.value)


def test_a_host_name_that_does_not_resolve(project):
    configure_smtp(project, 25, max_retries=0)
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("host: 127.0.0.1", "host: mail.nonexistent.invalid"))
    with pytest.raises(UserError) as caught:
        send(project)
    assert "cannot resolve the host name 'mail.nonexistent.invalid'" in str(caught.value)


def test_rate_limit_spaces_the_messages(project, server):
    configure_smtp(project, server.port, rate_per_second=2)
    recorder = Recorder()
    send(project, recorder)
    assert recorder.slept == [0.5, 0.5]  # three messages, two gaps of 1/rate


def test_the_message_id_is_the_same_on_a_retry(project, server):
    server.mailbox.temporary["alice@example.org"] = 1
    send(project)
    first = server.mailbox.messages_for("alice@example.org")[0]["Message-ID"]
    dry = send(project, dry_run=True, outbox=project / "outbox")
    assert "wrote 3 message(s)" in dry.message
    again = (project / "outbox" / "00001-alice@example.org.eml").read_text()
    assert f"Message-ID: {first}" in again


def test_test_copy_goes_to_one_address_and_records_nothing(project, server):
    outcome = send(project, to="editor@example.org")
    assert "sent 1" in outcome.message
    assert list(server.mailbox.recipients()) == ["editor@example.org"]
    assert not (project / ".linkletter/ledger.sqlite").exists()
    assert not (project / "dist/digest").exists()
    outcome = send(project)
    assert "sent 3" in outcome.message


def test_dry_run_writes_eml_files_and_records_nothing(project, run, monkeypatch):
    configure_smtp(project, free_port())
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    code, out, _ = run("send", "-C", project, "--now", "2024-05-13T08:00:00Z", "--dry-run")
    assert "dry run, issue 1 (2024-05-13): wrote 3 message(s)" in out
    outbox = project / ".linkletter/outbox/2024-05-13"
    assert sorted(p.name for p in outbox.iterdir()) == [
        "00001-alice@example.org.eml",
        "00002-bob@example.net.eml",
        "00003-carol@example.com.eml",
    ]
    assert not (project / ".linkletter/ledger.sqlite").exists()


def test_past_the_deadline_nothing_is_sent(project, server):
    late = datetime(2024, 5, 16, 8, 0, tzinfo=UTC)  # 73 hours after Monday 09:00; deadline 48
    outcome = send_current(load_config(project), late, SendOptions(unsubscribe_secret=SECRET), lambda: late)
    assert "past its deadline" in outcome.message
    assert server.mailbox.received == []


def test_the_unsubscribe_secret_is_required_for_a_real_send(project, server):
    with pytest.raises(UserError) as caught:
        send_current(load_config(project), FIXED_NOW, SendOptions(), lambda: FIXED_NOW)
    assert "digest.unsubscribe_secret_env: the environment variable LINKLETTER_UNSUBSCRIBE_SECRET" in str(
        caught.value
    )
    assert server.mailbox.received == []


# --- kill -9 --------------------------------------------------------------------------------


def many_recipients(project: Path, count: int) -> list[str]:
    addresses = [f"reader{i:03d}@example.org" for i in range(count)]
    (project / "recipients.csv").write_text("\n".join(addresses) + "\n")
    return addresses


def start_send(project: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkletter",
            "send",
            "-C",
            str(project),
            "--now",
            "2024-05-13T08:00:00Z",
            "--ignore-deadline",
        ],
        env={"PATH": "", "LINKLETTER_UNSUBSCRIBE_SECRET": SECRET, "PYTHONPATH": ":".join(sys.path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_at(process_holder: list, when: int):
    def hook(ordinal, *_):
        if ordinal == when:
            process_holder[0].send_signal(signal.SIGKILL)
            process_holder[0].wait()
            return False  # the client died before the reply: the message was not accepted
        return True

    return hook


@pytest.mark.process
@pytest.mark.parametrize("kill_during_data", [1, 7, 20])
def test_kill_9_while_a_message_is_being_sent_then_resume(project, server, kill_during_data):
    addresses = many_recipients(project, 20)
    holder: list = []
    server.mailbox.before_ack = kill_at(holder, kill_during_data)
    holder.append(start_send(project))
    holder[0].wait(timeout=60)
    assert holder[0].returncode == -signal.SIGKILL
    assert sum(server.mailbox.recipients().values()) == kill_during_data - 1
    server.mailbox.before_ack = None
    resumed = start_send(project)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert f"{kill_during_data - 1} already had it" in out
    assert server.mailbox.recipients() == {a: 1 for a in addresses}, "everyone exactly once"


@pytest.mark.process
def test_kill_9_between_two_messages_then_resume(project, server):
    addresses = many_recipients(project, 20)
    holder: list = []

    def on_mail(ordinal):
        if ordinal == 11:  # message 10 was acknowledged; 11 is about to start
            holder[0].send_signal(signal.SIGKILL)
            holder[0].wait()

    server.mailbox.on_mail = on_mail
    holder.append(start_send(project))
    holder[0].wait(timeout=60)
    server.mailbox.on_mail = None
    resumed = start_send(project)
    out, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    assert "sent 10, 10 already had it" in out
    assert server.mailbox.recipients() == {a: 1 for a in addresses}


@pytest.mark.process
def test_kill_9_at_random_moments_never_mails_two_different_copies(project, server):
    """A kill that lands after the server accepted a message but before the ledger write is the
    one moment SMTP cannot disambiguate; the resend then carries the same Message-ID, which
    receiving systems use to drop the duplicate. Every other moment gives exactly one copy."""
    import random

    addresses = many_recipients(project, 30)
    configure_smtp(project, server.port, rate_per_second=20)
    generator = random.Random(20240513)
    interrupted = 0
    for _ in range(4):
        before = len(server.mailbox.received)
        process = start_send(project)
        while len(server.mailbox.received) == before and process.poll() is None:
            time.sleep(0.005)  # wait for this run's first message
        time.sleep(generator.uniform(0.0, 0.3))  # then kill it at a random moment
        process.send_signal(signal.SIGKILL)
        process.wait()
        interrupted += before < len(server.mailbox.received) < 30
    final = start_send(project)
    out, err = final.communicate(timeout=60)
    assert final.returncode == 0, err
    assert interrupted >= 3, "the kills landed in the middle of sending"
    for address in addresses:
        ids = {m["Message-ID"] for m in server.mailbox.messages_for(address)}
        assert len(ids) == 1, f"{address} got {len(ids)} different messages"
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM deliveries WHERE status = 'sent'").fetchone() == (30,)


def test_a_second_send_at_the_same_time_stops_with_a_message(project, server):
    from linkletter.locks import holding

    with holding(project / ".linkletter/send.lock", wait=False), pytest.raises(UserError) as caught:
        send(project)
    assert "another linkletter is sending right now (send.lock is held)" in str(caught.value)
    assert server.mailbox.received == []
    assert "sent 3" in send(project).message, "the lock is released with its holder"


def test_a_refused_sender_stops_the_run_and_records_nobody(project, server):
    server.mailbox.sender_reply = "550 5.4.5 Daily sending quota exceeded"
    with pytest.raises(UserError) as caught:
        send(project)
    assert "the server refused the sender news@example.org: 550 5.4.5 Daily sending quota exceeded" in str(
        caught.value
    )
    assert ledger_rows(project) == []
    server.mailbox.sender_reply = None
    assert "sent 3, 0 already had it" in send(project).message


def test_a_started_issue_is_finished_even_after_its_deadline(project, server):
    server.mailbox.temporary["bob@example.net"] = 100
    assert "1 deferred" in send(project).message
    server.mailbox.temporary["bob@example.net"] = 0
    late = datetime(2024, 5, 17, 8, 0, tzinfo=UTC)  # four days after the send time; deadline 48 h
    outcome = send_current(load_config(project), late, SendOptions(unsubscribe_secret=SECRET), lambda: late)
    assert "issue 1 (2024-05-13): sent 1, 2 already had it" in outcome.message
    assert sorted(server.mailbox.recipients().values()) == [1, 1, 1]


def test_sending_needs_a_sender(project, server):
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("  from: Ada Example <news@example.org>\n", ""))
    with pytest.raises(UserError) as caught:
        send(project)
    assert "digest.from: missing; needed to send" in str(caught.value)
    assert server.mailbox.received == []


def test_a_real_send_of_a_past_week_needs_ignore_deadline(project, server, run, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    code, out, _ = run("send", "-C", project, "--date", "2024-05-13")
    assert "past its deadline" in out and "nothing sent" in out
    assert server.mailbox.received == []
    with sqlite3.connect(project / ".linkletter/ledger.sqlite") as db:
        assert db.execute("SELECT count(*) FROM issues").fetchone() == (0,), "no issue was published"


def test_the_password_is_not_in_the_options_repr():
    assert PASSWORD not in repr(SendOptions(password=PASSWORD))
