"""Measure how often `kill -9` during a real send makes a recipient get the issue twice, and check
that it never makes one miss it.

A real SMTP server (aiosmtpd on 127.0.0.1, tests/support/smtpserver.py) receives the fixture
issue for RECIPIENTS addresses; `linkletter send` is started, killed with SIGKILL at a random
moment while it is sending, and started again, until everyone has the issue; then the ledger is
deleted and the next round begins. A duplicate is a recipient the server accepted more than
once: the server said 250 but the process died before the ledger recorded it. A skip is a
recipient the server never accepted although a send ended on its own (the ledger said it was
sent): it must never happen. The last round is finished by a send that is not killed.

    python benchmarks/kill_duplicates.py [KILLS] [SEED] [--recipients 300] [--rate 1000]
                                         [--connections 1] [--src DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "src"), str(REPO / "tests")]

from support.smtpserver import SmtpServer  # noqa: E402

NOW = "2024-05-13T08:00:00Z"


@dataclass
class Tally:
    kills: int = 0
    duplicates: int = 0
    skips: int = 0
    accepted: int = 0
    rounds: int = 0


def make_project(root: Path, port: int, recipients: int, rate: float, connections: int) -> Path:
    project = root / "site"
    shutil.copytree(REPO / "tests/fixtures/site", project)
    shutil.copytree(REPO / "templates", project / "templates")
    (project / "recipients.csv").write_text(
        "".join(f"reader{i:04d}@example.org\n" for i in range(recipients))
    )
    settings = project / "linkletter.yaml"
    head = settings.read_text().split("smtp:")[0]
    settings.write_text(
        head + f"smtp:\n  host: 127.0.0.1\n  port: {port}\n  security: none\n"
        f"  rate_per_second: {rate:g}\n  connections: {connections}\n"
    )
    return project


def start(project: Path, src: Path) -> subprocess.Popen:
    env = {**os.environ, "LINKLETTER_UNSUBSCRIBE_SECRET": "s", "PYTHONPATH": str(src)}
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


def end_round(server: SmtpServer, project: Path, recipients: int, tally: Tally) -> None:
    """Count the round's duplicates and skips, then start afresh (no ledger, empty mailbox)."""
    got = server.mailbox.recipients()
    tally.duplicates += sum(n - 1 for n in got.values())
    tally.skips += recipients - len(got)
    tally.accepted += len(server.mailbox.received)
    tally.rounds += 1
    server.mailbox.received.clear()
    shutil.rmtree(project / ".linkletter")


def measure(kills: int, seed: int, recipients: int, rate: float, connections: int, src: Path) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp, SmtpServer() as server:
        project = make_project(Path(tmp), server.port, recipients, rate, connections)
        while True:
            before = server.mailbox.data_count
            process = start(project, src)
            if tally.kills < kills:
                while server.mailbox.data_count == before and process.poll() is None:
                    time.sleep(0.01)  # wait until it is sending
                time.sleep(rng.uniform(0, 0.5))
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    tally.kills += 1
            killed = process.wait() == -signal.SIGKILL
            if not killed:  # it ended on its own: everyone must have the issue now
                end_round(server, project, recipients, tally)
                if tally.kills >= kills:
                    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kills", nargs="?", type=int, default=100)
    parser.add_argument("seed", nargs="?", type=int, default=1)
    parser.add_argument("--recipients", type=int, default=300)
    parser.add_argument("--rate", type=float, default=1000, help="smtp.rate_per_second (0: no limit)")
    parser.add_argument("--connections", type=int, default=1, help="smtp.connections")
    parser.add_argument("--src", type=Path, default=REPO / "src", help="the linkletter code to run")
    args = parser.parse_args()
    tally = measure(args.kills, args.seed, args.recipients, args.rate, args.connections, args.src.resolve())
    print(
        f"{tally.kills} kill -9 while sending (rate {args.rate:g}, connections {args.connections}, "
        f"code {args.src}): {tally.duplicates} duplicate deliveries ({tally.duplicates / tally.kills:.1%} of kills), "
        f"{tally.skips} skipped, {tally.accepted} messages accepted in {tally.rounds} rounds"
    )


if __name__ == "__main__":
    main()
