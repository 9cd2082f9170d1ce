"""The weekly digest: render time of one issue, the size of the largest email, and how fast `send`
delivers to a local SMTP server (aiosmtpd, counting only). Measurements, not tests; see README.md.

    python benchmarks/bench_digest.py [--runs 7] [--send-runs 3] [--recipients 1000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from benchutil import (
    CountingSmtpServer,
    child_env,
    copy_project,
    median,
    replicate,
    run_linkletter,
    table,
    write_bookmark,
)
from linkletter.build import load_site
from linkletter.config import load_config
from linkletter.digest import configure_css_logging
from linkletter.mail import Unsubscribe, build_message, message_bytes
from linkletter.pages import Templates
from linkletter.sending import SendOptions, send_current

from linkletter.cli import clock_now
from linkletter.model import Recipient
from linkletter.newsletter import plan_issue, render_issue, slot_for

NOW = datetime(2022, 7, 11, 23, 59, 59, tzinfo=UTC)  # the example week: 54 links
GMAIL_CLIP = 102 * 1024
READER = Recipient("subscriber@example.org", "A Subscriber")
FILLERS = {  # (b): what the 300 characters of titles and descriptions are made of
    "ascii": "Lorem ipsum dolor sit amet ",
    "escaped (& \" ')": 'Tom & Jerry\'s "R&D" & more ',
    "Danish (2-byte)": "Blåbærgrød på østerbro æøå ",
    "CJK + emoji": "日本語のテキストと絵文字🙂🚀 ",
}


def render(project: Path, runs: int) -> dict:
    """Render times of the issue due at NOW (first, then `runs` more), and the sizes of its parts."""
    config = load_config(project)
    issue = plan_issue(config, load_site(config, NOW)[0], [], slot_for(config, NOW), NOW)
    templates = Templates(config.build.templates_dir, config.root)
    times = []  # the first render also compiles the templates and parses the CSS
    for _ in range(runs + 1):
        start = time.perf_counter()
        digest = render_issue(config, templates, issue)
        times.append(time.perf_counter() - start)
    unsubscribe = Unsubscribe(config.digest.unsubscribe_url, config.digest.unsubscribe_mailto, "secret")
    message = build_message(digest, config.digest, READER, unsubscribe, NOW)
    part = message.get_body(("html",))
    return {
        "links": len(issue.bookmarks),
        "emailed": sum(f'href="{html.escape(b.link)}"' in digest.html for b in issue.bookmarks),
        "first": times[0],
        "times": times[1:],
        "html": len(part.get_content().encode()),  # decoded, with this reader's unsubscribe link
        "html_qp": len(part.get_payload().encode()),  # as it travels, quoted-printable
        "eml": len(message_bytes(message)),
        "web": len(digest.web_html.encode()),
    }


def big_week(dest: Path, count: int) -> Path:
    project = copy_project(dest, content=False)
    slot = slot_for(load_config(project), NOW)
    start, span = slot - timedelta(days=7), timedelta(days=7)
    replicate(project / "content", count, lambda i, _: start + span * (i + 1) / (count + 1))
    return project


def largest_email(dest: Path, filler: str, count: int = 200) -> Path:
    """`count` bookmarks in 40 categories, every text field at its maximum, in the example week."""
    project = copy_project(dest, content=False)
    text = (filler * 300)[:300]
    for i in range(count):
        write_bookmark(
            project / "content" / f"b{i:04d}.md",
            title=f"{i} {text}"[:300],
            link=f"https://www.example-{i % 40}.org/articles/{i:04d}/" + "long-path-segment/" * 10,
            date=(NOW - timedelta(days=1, minutes=i)).isoformat(),
            categories=[f"topic {i % 40}"],
            description=text,
            featuredImage=f"https://images.example.org/{i:04d}/" + "x" * 160 + ".jpg",
        )
    return project


# --- (c) send rate ----------------------------------------------------------------------------


def send_project(dest: Path, port: int, recipients: int, rate: float) -> Path:
    project = copy_project(dest)
    settings = yaml.safe_load((project / "linkletter.yaml").read_text(encoding="utf-8"))
    settings["smtp"] = {"host": "127.0.0.1", "port": port, "security": "none", "rate_per_second": rate}
    settings["digest"]["recipients"] = "recipients.txt"
    (project / "linkletter.yaml").write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    addresses = [f"reader{i:05d}@example.org" for i in range(recipients)]
    (project / "recipients.txt").write_text("\n".join(addresses) + "\n", encoding="utf-8")
    return project


def send_rates(project: Path, server, runs: int, recipients: int) -> dict[str, list[tuple[float, float]]]:
    """{way: [(messages per second over the whole call, over the send loop at the server)]}."""
    config = load_config(project)
    results: dict[str, list[tuple[float, float]]] = {"in-process send_current": [], "CLI linkletter send": []}
    for _ in range(runs):
        for way in results:
            for state in (project / ".linkletter", project / "dist"):  # a fresh ledger: nobody had it
                shutil.rmtree(state, ignore_errors=True)
            server.stats(reset=True)
            start = time.perf_counter()
            if way.startswith("in-process"):
                options = SendOptions(ignore_deadline=True, unsubscribe_secret="x")
                send_current(config, NOW, options, clock_now)
            else:
                args = ("send", "-C", str(project), "--now", NOW.isoformat(), "--ignore-deadline")
                output = run_linkletter(*args, env=child_env(LINKLETTER_UNSUBSCRIBE_SECRET="x"))[2]
                if not re.search(rf"sent {recipients}\b", output):
                    raise SystemExit(f"unexpected send output:\n{output}")
            elapsed = time.perf_counter() - start
            count, first, last = server.stats()
            if count != recipients:
                raise SystemExit(f"{way}: the server received {count} of {recipients} messages")
            results[way].append((count / elapsed, (count - 1) / (last - first)))
    return results


def part_render(tmp: Path, runs: int, huge: int) -> None:
    print(f"(a) render_issue: the first render, then median and min of {runs} more; sizes in bytes\n")
    weeks = {"example week": copy_project(tmp / "example"), f"{huge} links": big_week(tmp / "huge", huge)}
    rows = []
    for name, project in weeks.items():
        r = render(project, runs)
        rows.append(
            [name, r["links"], r["emailed"], f"{r['first']:.3f} s"]
            + [f"{median(r['times']):.3f} s", f"{min(r['times']):.3f} s", r["html"], r["eml"], r["web"]]
        )
    print(
        table(
            ["issue", "links", "in email", "first", "median", "min", "email HTML", ".eml", "web version"],
            rows,
        )
    )


def part_largest(tmp: Path) -> None:
    print("\n(b) largest email: 200 links with 300-char titles and descriptions, images, long links")
    print(f"    Gmail clips at {GMAIL_CLIP} bytes\n")
    rows = []
    for i, (name, filler) in enumerate(FILLERS.items()):
        r = render(largest_email(tmp / f"large{i}", filler), 0)
        sizes = [r["html"], r["html_qp"], r["eml"]]
        rows.append(
            [name, r["emailed"], *sizes, " / ".join("yes" if n <= GMAIL_CLIP else "NO" for n in sizes)]
        )
    print(table(["text", "in email", "HTML", "HTML part as sent (QP)", ".eml", "each <= 102 KB"], rows))


def part_send(tmp: Path, runs: int, recipients: int, rate: float) -> None:
    print(f"\n(c) send: {recipients} recipients, smtp.rate_per_second {rate:g}, median of {runs}\n")
    with CountingSmtpServer() as server:
        rates = send_rates(
            send_project(tmp / "send", server.port, recipients, rate), server, runs, recipients
        )
    rows = [
        [way, f"{median(r[0] for r in got):.0f}", f"{median(r[1] for r in got):.0f}"]
        + [f"{recipients / median(r[0] for r in got):.2f} s"]
        for way, got in rates.items()
    ]
    print(table(["way", "msg/s whole call", "msg/s send loop", "wall time"], rows))
    print(
        "\nwhole call: recipients / wall time (start-up, loading, publishing, building, rendering, sending)"
    )
    print("send loop: from the first to the last message the server received")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="renders per issue (default 7)")
    parser.add_argument("--send-runs", type=int, default=3, help="sends per way (default 3)")
    parser.add_argument("--recipients", type=int, default=1000, help="recipients per send (default 1000)")
    parser.add_argument("--rate", type=float, default=1000, help="smtp.rate_per_second (default 1000)")
    parser.add_argument("--huge", type=int, default=2000, help="links in the generated week (default 2000)")
    args = parser.parse_args()
    configure_css_logging()
    with tempfile.TemporaryDirectory(prefix="linkletter-bench-") as tmp:
        part_render(Path(tmp), args.runs, args.huge)
        part_largest(Path(tmp))
        part_send(Path(tmp), args.send_runs, args.recipients, args.rate)


if __name__ == "__main__":
    main()
