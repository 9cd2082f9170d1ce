"""Measure how often `kill -9` during a real send makes a recipient get the issue twice.

A real SMTP server (aiosmtpd on 127.0.0.1, tests/support/smtpserver.py) receives the fixture
issue for RECIPIENTS addresses; `linkletter send` is started, killed with SIGKILL at a random
moment while it is sending, and started again, until everyone has the issue. A duplicate is a
recipient the server accepted more than once: the server said 250 but the process died before
the ledger recorded it.

    python benchmarks/kill_duplicates.py [KILLS] [SEED]
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from support.smtpserver import SmtpServer  # noqa: E402

RECIPIENTS = 300
NOW = "2024-05-13T08:00:00Z"


def make_project(root: Path, port: int) -> Path:
    project = root / "site"
    shutil.copytree(REPO / "tests/fixtures/site", project)
    shutil.copytree(REPO / "templates", project / "templates")
    (project / "recipients.csv").write_text(
        "".join(f"reader{i:04d}@example.org\n" for i in range(RECIPIENTS))
    )
    settings = project / "linkletter.yaml"
    head = settings.read_text().split("smtp:")[0]
    settings.write_text(
        head + f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n  rate_per_second: 1000\n"
    )
    return project


def start(project: Path) -> subprocess.Popen:
    env = {**os.environ, "LINKLETTER_UNSUBSCRIBE_SECRET": "s", "PYTHONPATH": str(REPO / "src")}
    command = [
        sys.executable,
        "-m",
        "linkletter",
        "send",
        "-C",
        str(project),
        "--now",
        NOW,
        "--ignore-deadline",
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(kills: int, seed: int) -> tuple[int, int, int]:
    """(kills while sending, duplicate deliveries, messages accepted)"""
    rng = random.Random(seed)
    done_kills = duplicates = accepted = 0
    with tempfile.TemporaryDirectory() as tmp, SmtpServer() as server:
        project = make_project(Path(tmp), server.port)
        while done_kills < kills:
            before = server.mailbox.data_count
            process = start(project)
            while server.mailbox.data_count == before and process.poll() is None:
                time.sleep(0.01)  # wait until it is sending
            time.sleep(rng.uniform(0, 0.5))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                done_kills += 1
            process.wait()
            if len(server.mailbox.recipients()) >= RECIPIENTS:  # everyone has it: start over
                duplicates += sum(n - 1 for n in server.mailbox.recipients().values())
                accepted += len(server.mailbox.received)
                server.mailbox.received.clear()
                shutil.rmtree(project / ".linkletter")
        duplicates += sum(n - 1 for n in server.mailbox.recipients().values())
        accepted += len(server.mailbox.received)
    return done_kills, duplicates, accepted


if __name__ == "__main__":
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    done, duplicates, accepted = measure(kills, seed)
    print(
        f"{done} kill -9 while sending: {duplicates} duplicate deliveries ({duplicates / done:.1%} of kills), {accepted} messages accepted"
    )
