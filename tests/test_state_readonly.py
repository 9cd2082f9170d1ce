"""A state folder (`.linkletter/`) that cannot be written to: every command that needs to write
there, or to read the ledger (SQLite writes side files next to it), says so in one message naming
the folder or file, with no traceback; a send mails nobody; `check` still works. Root writes
anywhere, so the commands run under setpriv without the capabilities that allow it (as anyone
else would meet the permissions)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import FIXED_NOW_ARG
from support.smtpserver import SmtpServer
from test_send import SECRET, configure_smtp

pytestmark = pytest.mark.process

SEND_NOW = "2024-05-13T08:00:00Z"


def linkletter(project: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI in a child process; as root, without the powers to ignore permissions."""
    command = [sys.executable, "-m", "linkletter", "-C", str(project), *args]
    if os.geteuid() == 0:
        drop = "-dac_override,-dac_read_search,-fowner"
        command = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command]
    env = {**os.environ, "LINKLETTER_UNSUBSCRIBE_SECRET": SECRET}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def read_only(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            path.chmod(0o555)
        else:
            path.chmod(0o444)


def writable(folder: Path) -> None:
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.fixture
def frozen_state(project):
    """A project built and with its first issue published, whose state folder is then read-only."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    assert linkletter(project, "--now", FIXED_NOW_ARG, "build").returncode == 0
    published = linkletter(project, "--now", SEND_NOW, "digest", "--publish")
    assert published.returncode == 0, published.stderr
    state = project / ".linkletter"
    read_only(state)
    yield project
    writable(state)


def assert_clean_refusal(result: subprocess.CompletedProcess, *names: str) -> None:
    assert result.returncode != 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert any(name in result.stderr for name in names), result.stderr
    said = result.stderr
    assert "denied" in said or "Read-only" in said or "readonly" in said, said
    if "send ledger" in said:
        assert "must be writable by the user who runs linkletter" in said, said
        assert "restore it from a backup" not in said, "a permission problem is not a damaged ledger"


def test_a_build_that_must_write_state_says_so(frozen_state):
    (frozen_state / "content/new.md").write_text(
        "---\ntitle: New\nlink: https://example.com/new\ndate: 2024-05-12T00:00:00Z\n---\n"
    )
    result = linkletter(frozen_state, "--now", FIXED_NOW_ARG, "build")
    assert_clean_refusal(result, ".linkletter")


def test_check_only_reads_and_works(frozen_state):
    result = linkletter(frozen_state, "--now", FIXED_NOW_ARG, "check")
    assert "Traceback" not in result.stderr
    assert result.returncode in (0, 1), result.stderr
    assert "denied" not in result.stderr and "Read-only" not in result.stderr


def test_a_preview_is_refused_cleanly_even_into_another_folder(frozen_state, tmp_path):
    """A preview reads the ledger (the issue's number), and SQLite cannot open a WAL database
    in a folder where it may not create the database's side files."""
    result = linkletter(frozen_state, "--now", SEND_NOW, "digest")
    assert_clean_refusal(result, ".linkletter")
    elsewhere = tmp_path / "preview"
    moved = linkletter(frozen_state, "--now", SEND_NOW, "digest", "--out", str(elsewhere))
    assert_clean_refusal(moved, ".linkletter")
    assert not elsewhere.exists()


def test_publishing_is_refused_cleanly(frozen_state):
    result = linkletter(frozen_state, "--now", "2024-05-20T08:00:00Z", "digest", "--publish")
    assert_clean_refusal(result, ".linkletter")


def test_a_dry_run_into_the_state_folder_is_refused_cleanly(frozen_state):
    result = linkletter(frozen_state, "--now", SEND_NOW, "send", "--dry-run", "--ignore-deadline")
    assert_clean_refusal(result, ".linkletter")


def test_a_send_with_a_ledger_it_cannot_write_mails_nobody(frozen_state):
    with SmtpServer() as server:
        configure_smtp(frozen_state, server.port)
        result = linkletter(frozen_state, "--now", SEND_NOW, "send", "--ignore-deadline")
        assert_clean_refusal(result, "ledger", ".linkletter")
        assert server.mailbox.received == []


def test_suppressions_list_reads_and_lift_is_refused_cleanly(frozen_state):
    listed = linkletter(frozen_state, "suppressions")
    assert "Traceback" not in listed.stderr
    lifted = linkletter(frozen_state, "suppressions", "--lift", "alice@example.org")
    assert "Traceback" not in lifted.stderr
    assert lifted.returncode != 0 or "not on the suppression list" in lifted.stdout + lifted.stderr
