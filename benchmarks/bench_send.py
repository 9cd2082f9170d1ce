"""The digest's render time and the send rate, with what limits the send rate (see README.md).

    python benchmarks/bench_send.py [--runs 3] [--recipients 2000,10000] [--connections 1,4]
        [--server smtp-sink|aiosmtpd|best] [--code NAME=SRC ...] [--only-send] [--profile DIR] [--work DIR]

On the 1,000-bookmark zipf corpus of make_corpus.py (the 60 links of the week before 2024-05-13):
(a) `render_issue` in-process, first and again; the whole `linkletter digest` command; (b) the
cost of one recipient's message, spliced (what `send` does) and built with the email package
(the reference); (c) the server's ceiling (benchutil.send_raw, a client that does nothing per
message) and `linkletter send` with a fresh ledger each run, `smtp.rate_per_second: 0` (no
limit) and each `--connections`, to a counting server of benchutil.py (Postfix's smtp-sink where
installed, else aiosmtpd) that must receive exactly one message per recipient. Several `--code`
source trees take turns within each case, so their medians compare under the same load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from benchutil import (
    SRC,
    CountingSmtpServer,
    SmtpSink,
    child_env,
    median,
    run_linkletter,
    send_raw,
    smtp_server,
)

from linkletter.commands.build import load_site
from linkletter.model import Recipient
from linkletter.newsletter.issues import plan_issue, slot_for
from linkletter.newsletter.message import Unsubscribe, build_message, message_bytes
from linkletter.newsletter.render import render_issue
from linkletter.newsletter.splice import Splicer
from linkletter.publish.templates import Templates
from linkletter.settings.load import load_config

HERE = Path(__file__).resolve().parent
SmtpServer = CountingSmtpServer | SmtpSink
NOW, DATE = "2024-05-13T08:00:00Z", "2024-05-13"
ISSUE_NOW = datetime(2024, 5, 13, 23, 59, 59, tzinfo=UTC)  # what `--date 2024-05-13` means


def render(project: Path, runs: int) -> tuple[dict, bytes]:
    config = load_config(project)
    issue = plan_issue(config, load_site(config, ISSUE_NOW)[0], [], slot_for(config, ISSUE_NOW), ISSUE_NOW)
    templates = Templates(config.build.templates_dir, config.root)
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        edition = render_issue(config, templates, issue)
        times.append(time.perf_counter() - start)
    unsubscribe = Unsubscribe(config.digest.unsubscribe_url, config.digest.unsubscribe_mailto, "secret")
    readers = [Recipient(f"reader{i:06d}@example.org") for i in range(200)]
    splicer = Splicer(edition, config.digest, unsubscribe)
    start = time.perf_counter()
    wires = [splicer.message(r, ISSUE_NOW) for r in readers]
    spliced = (time.perf_counter() - start) / len(readers)
    start = time.perf_counter()
    for r in readers[:10]:
        message_bytes(build_message(edition, config.digest, r, unsubscribe, ISSUE_NOW))
    built = (time.perf_counter() - start) / 10
    result = {
        "links": len(issue.bookmarks),
        "stencil": edition.stencil is not None,
        "first": times[0],
        "again": median(times[1:]),
        "spliced_us": spliced * 1e6,
        "built_us": built * 1e6,
        "size": len(wires[0].data),
    }
    return result, wires[0].data


def ceiling(server: SmtpServer, data: bytes, count: int) -> float:
    """Messages per second the server takes on one connection from the fastest client we have
    (benchutil.send_raw: pipelined commands, no per-message work)."""
    server.stats(reset=True)
    send_raw(server.port, data, count)
    received, first, last = server.stats()
    return (received - 1) / (last - first)


def send(
    project: Path,
    server: SmtpServer,
    recipients: int,
    connections: int,
    src: Path,
    profile: Path | None = None,
) -> tuple[float, float, float]:
    """(send-loop msg/s, whole-call msg/s, CPU seconds of the child) of one `linkletter send` (the code in `src`) with a
    fresh ledger; SystemExit unless the server got exactly one message for each recipient."""
    settings = (project / "linkletter.yaml").read_text(encoding="utf-8")
    settings = settings.replace("  output: dist\n", "  output: dist-send\n  state: .linkletter-send\n")
    settings = settings.replace("recipients: recipients.txt", "recipients: send-recipients.txt")
    settings = settings.replace(
        "  port: 1025\n", f"  port: {server.port}\n  rate_per_second: 0\n  connections: {connections}\n"
    )
    config = project / "linkletter.send.yaml"
    config.write_text(settings, encoding="utf-8")
    addresses = [f"reader{i:06d}@example.org" for i in range(recipients)]
    (project / "send-recipients.txt").write_text("".join(a + "\n" for a in addresses), encoding="utf-8")
    for folder in ("dist-send", ".linkletter-send"):
        shutil.rmtree(project / folder, ignore_errors=True)
    server.stats(reset=True)
    args = ("send", "-C", str(project), "--config", str(config), "--now", NOW, "--date", DATE)
    env = child_env(LINKLETTER_UNSUBSCRIBE_SECRET="benchmark")
    env["PYTHONPATH"] = os.pathsep.join((str(src), env["PYTHONPATH"]))
    child = run_linkletter(*args, "--ignore-deadline", env=env, profile=profile)
    received, first, last = server.stats()
    got = server.recipients()
    if received != recipients or got != Counter(addresses):
        twice = sum(1 for n in got.values() if n > 1)
        raise SystemExit(
            f"the server received {received} messages for {recipients} recipients "
            f"({len(set(addresses) - set(got))} missing, {twice} more than once):\n{child.output[-3000:]}"
        )
    return (received - 1) / (last - first), received / child.wall, child.cpu


def codes(values: list[str]) -> dict[str, Path]:
    """`NAME=SRC` options: the source trees to compare (default: this checkout's, as "this")."""
    found = {}
    for value in values or [f"this={SRC}"]:
        name, _, path = value.rpartition("=")
        found[name or path] = Path(path).resolve()
        if not (found[name or path] / "linkletter" / "__init__.py").is_file():
            raise SystemExit(f"--code {value}: no linkletter package in {path}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--recipients", default="2000", help="comma-separated recipient counts")
    parser.add_argument("--connections", default="1,4", help="comma-separated smtp.connections to try")
    parser.add_argument(
        "--server",
        choices=("best", "smtp-sink", "aiosmtpd"),
        action="append",
        help="the local SMTP server(s); best (default): smtp-sink where installed, else aiosmtpd",
    )
    parser.add_argument(
        "--code",
        action="append",
        metavar="NAME=SRC",
        help="a source tree to measure (repeat to compare, interleaved); default: this checkout's src/",
    )
    parser.add_argument("--only-send", action="store_true", help="leave out (a), (b) and the ceiling")
    parser.add_argument("--profile", type=Path, help="cProfile one more send per case into this folder")
    parser.add_argument("--work", type=Path, help="keep the corpus here (default: a temporary folder)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="linkletter-send-"))
    project = work / "zipf-1000"
    trees = codes(args.code)
    try:
        if not (project / "linkletter.yaml").exists():
            corpus = [sys.executable, str(HERE / "make_corpus.py"), "--count", "1000", str(project)]
            subprocess.run(corpus, check=True, stdout=subprocess.DEVNULL)
        figures, data = render(project, args.runs)
        if not args.only_send:
            report_render(project, figures, args.runs)
        for name in args.server or ["best"]:
            try:
                chosen = smtp_server(name)
            except SystemExit as missing:
                print(f"server {name}: skipped, {missing}")
                continue
            with chosen as server:
                print(f"server: {server.name}")
                if not args.only_send:
                    top = [ceiling(server, data, 2000) for _ in range(args.runs)]
                    print(
                        f"(c) the server's ceiling (a raw pipelined client, same bytes, one connection): "
                        f"{median(top):.0f} msg/s"
                    )
                for count in [int(c) for c in args.recipients.split(",")]:
                    for connections in [int(c) for c in args.connections.split(",")]:
                        measure(project, server, count, connections, trees, args)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)


def measure(project: Path, server, count: int, connections: int, trees: dict[str, Path], args) -> None:
    """Each tree `args.runs` times, the trees taking turns; medians."""
    rates: dict[str, list[tuple[float, float, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, src in trees.items():
            rates[name].append(send(project, server, count, connections, src))
    for name, src in trees.items():
        loop, whole = median(r[0] for r in rates[name]), median(r[1] for r in rates[name])
        cpu = median(r[2] for r in rates[name])
        print(
            f"    {server.name}, {count} recipients, connections {connections}, {name}: "
            f"loop {loop:.0f} msg/s, whole call {whole:.0f} msg/s, CPU {cpu:.2f} s"
            f" (runs: {', '.join(f'{r[0]:.0f}' for r in rates[name])})"
        )
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
            out = args.profile / f"{name}-{server.name}-{count}-c{connections}.prof"
            send(project, server, count, connections, src, profile=out)
            print(f"      profile: {out}")


def report_render(project: Path, figures: dict, runs: int) -> None:
    print(
        f"(a) render_issue, {figures['links']} links (stencil: {figures['stencil']}): "
        f"first {figures['first']:.3f} s, again {figures['again']:.3f} s (median of {runs})"
    )
    digest = [
        run_linkletter("digest", "-C", str(project), "--now", NOW, "--date", DATE)[0] for _ in range(runs)
    ]
    print(
        f"    `linkletter digest` whole command (start-up, loading 1,000 bookmarks): {median(digest):.2f} s"
    )
    print(
        f"(b) one message of {figures['size']:,} bytes: spliced {figures['spliced_us']:.0f} µs, "
        f"built with the email package {figures['built_us']:.0f} µs"
    )


if __name__ == "__main__":
    main()
