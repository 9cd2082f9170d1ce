"""linkletter next to Hugo on generated corpora: full builds (cold and warm), a rebuild with nothing
changed, one edit, one addition, one deletion, peak memory, the digest render and the send rate.

    python benchmarks/run.py [--sizes 1000,10000] [--tags 6682] [--runs 3] [--seed 1]

Every figure is a real child process, timed by wall clock; peak memory is that child's peak
resident set (os.wait4). linkletter runs as `python -m linkletter ... --now 2024-05-13T08:00:00Z`
with this checkout's src/ first on PYTHONPATH (the CLI only: no linkletter module is imported here).
Corpora come from make_corpus.py; Hugo builds the same files with benchmarks/hugo/config.toml.
Measurements, not tests: nothing here passes or fails. See README.md.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

from benchutil import smtp_server

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
NOW = "2024-05-13T08:00:00Z"
DIGEST_DATE = "2024-05-13"
SUMMARY = re.compile(r"(\d+) bookmarks, (\d+) feeds: (\d+) file\(s\) written, (\d+) unchanged")
SCENARIOS = ["full, cold", "full, warm", "no change", "one edit", "one addition", "one deletion"]
INCREMENTAL = SCENARIOS[3:]
DROP = Path("/proc/sys/vm/drop_caches")


# --- children -------------------------------------------------------------------------------------


class Child:
    def __init__(self, wall: float, rss: int, status: int, output: str):
        self.wall, self.rss, self.status, self.output = wall, rss, status, output


def run_child(cmd: list[str], env: dict[str, str] | None = None, ok=(0,)) -> Child:
    """Run cmd to completion: wall seconds, peak RSS bytes of that child (os.wait4), output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    if code not in ok:
        raise SystemExit(f"{' '.join(cmd)} exited with {code}:\n{text[-4000:]}")
    return Child(wall, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024), code, text)


def linkletter_env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def linkletter(*args: str, env: dict[str, str] | None = None, ok=(0, 1)) -> Child:
    """`python -m linkletter ARGS`. Exit status 1 (problems reported, everything else done) is
    expected: the generated corpora hold links linkletter rejects, as real exports do."""
    return run_child([sys.executable, "-m", "linkletter", *args], env or linkletter_env(), ok)


def drop_page_cache() -> bool:
    """sync, then drop the page cache, dentries and inodes (root only, where permitted)."""
    os.sync()
    try:
        DROP.write_text("3\n")
        return True
    except OSError:
        return False


def snapshot(folder: Path) -> dict[str, tuple[int, int, int]]:
    """relative path -> (mtime_ns, inode, size) of every file below folder."""
    found = {}
    if folder.is_dir():
        for dirpath, _, names in os.walk(folder):
            for name in names:
                st = os.stat(os.path.join(dirpath, name))
                found[os.path.relpath(os.path.join(dirpath, name), folder)] = (
                    st.st_mtime_ns,
                    st.st_ino,
                    st.st_size,
                )
    return found


def rewritten(before: dict, after: dict) -> int:
    """Files written (new or with a new mtime or inode) or removed between two snapshots."""
    return sum(1 for k, v in after.items() if before.get(k) != v) + sum(1 for k in before if k not in after)


def tree_digest(folder: Path) -> dict[str, str]:
    return {path: hashlib.sha256((folder / path).read_bytes()).hexdigest() for path in snapshot(folder)}


# --- the two tools ---------------------------------------------------------------------------------


class Linkletter:
    name = "linkletter"

    def __init__(self, project: Path):
        self.project = project
        self.output, self.state = project / "dist", project / ".linkletter"
        settings = (project / "linkletter.yaml").read_text(encoding="utf-8")
        verify = settings.replace("  output: dist\n", "  output: dist-verify\n  state: .linkletter-verify\n")
        if verify == settings:
            raise SystemExit("linkletter.yaml does not look like make_corpus.py's")
        (project / "linkletter.verify.yaml").write_text(verify, encoding="utf-8")

    def clean(self) -> None:
        for folder in (self.output, self.state):
            shutil.rmtree(folder, ignore_errors=True)

    def build(self) -> Child:
        child = linkletter("build", "-C", str(self.project), "--now", NOW)
        if not SUMMARY.search(child.output):
            raise SystemExit(f"unexpected build output:\n{child.output[-4000:]}")
        return child

    def identical_to_full_build(self) -> str:
        """Build the same content from scratch into dist-verify/ and compare every byte."""
        for folder in ("dist-verify", ".linkletter-verify"):
            shutil.rmtree(self.project / folder, ignore_errors=True)
        config = str(self.project / "linkletter.verify.yaml")
        linkletter("build", "-C", str(self.project), "--config", config, "--now", NOW)
        ours, fresh = tree_digest(self.output), tree_digest(self.project / "dist-verify")
        ours.pop("build.lock", None), fresh.pop("build.lock", None)
        differ = sorted(set(ours) ^ set(fresh)) + sorted(
            k for k in ours if k in fresh and ours[k] != fresh[k]
        )
        return "yes" if not differ else f"NO ({len(differ)} files, e.g. {differ[0]})"


class Hugo:
    name = "Hugo"

    def __init__(self, project: Path):
        self.site = project / "hugo"
        self.output = self.site / "public"

    def clean(self) -> None:
        for folder in ("public", "resources", "cache"):
            shutil.rmtree(self.site / folder, ignore_errors=True)

    def build(self) -> Child:
        return run_child(
            ["hugo", "--quiet", "--source", str(self.site), "--cacheDir", str(self.site / "cache")], ok=(0,)
        )


# --- the scenarios -----------------------------------------------------------------------------------


ADDED = """---
archetype: bookmark
categories:
- {category}
- benchmark additions
date: 2024-05-13T06:30:00Z
description: "A bookmark added by benchmarks/run.py &amp; friends: blåbærgrød, 日本語, 🚀."
link: https://added.example.org/run-{run}?utm_source=rss
linkBrand: added.example.org
slug: added-run-{run}
title: Added in run {run} — Tom &amp; Jerry’s notes
---
Added by the benchmark. A [link](https://example.org/) and a list:

- one
- two
"""


def measure_corpus(project: Path, runs: int, use_hugo: bool, can_drop: bool, log) -> dict:
    manifest = json.loads((project / "bench-manifest.json").read_text(encoding="utf-8"))
    tools = [Linkletter(project)] + ([Hugo(project)] if use_hugo else [])
    content = project / "content"
    edited, deleted = content / manifest["newest"][0], content / manifest["newest"][1]
    originals = {edited: edited.read_bytes(), deleted: deleted.read_bytes()}
    times = {(t.name, s): [] for t in tools for s in SCENARIOS}
    rss = {(t.name, s): 0 for t in tools for s in SCENARIOS}
    files = {(t.name, s): [] for t in tools for s in SCENARIOS}
    identical: dict[str, str] = {}
    summary = None

    for run in range(runs):
        order = tools if run % 2 == 0 else tools[::-1]  # interleaved, and who goes first alternates
        added = content / "2024" / f"bench-added-run-{run}.md"
        for scenario in SCENARIOS:
            if scenario == "one edit":
                text = edited.read_text(encoding="utf-8")
                edited.write_text(
                    re.sub(
                        r"^title:.*$", f"title: Edited in run {run} &amp; again", text, count=1, flags=re.M
                    ),
                    encoding="utf-8",
                )
            elif scenario == "one addition":
                added.write_text(
                    ADDED.format(category=manifest["busiest_category"], run=run), encoding="utf-8"
                )
            elif scenario == "one deletion":
                deleted.unlink()
            for tool in order:
                if scenario.startswith("full"):
                    tool.clean()
                    if scenario == "full, cold" and can_drop:
                        drop_page_cache()
                before = snapshot(tool.output)
                child = tool.build()
                after = snapshot(tool.output)
                after.pop("build.lock", None), before.pop("build.lock", None)
                key = (tool.name, scenario)
                times[key].append(child.wall)
                rss[key] = max(rss[key], child.rss)
                files[key].append(rewritten(before, after))
                if tool.name == "linkletter" and scenario == "full, cold":
                    summary = SUMMARY.search(child.output).groups()
                log(
                    f"  run {run + 1}/{runs} {scenario:13} {tool.name:10} {child.wall:8.3f} s  "
                    f"{child.rss / 1e6:7.1f} MB  {files[key][-1]} files written"
                )
                if tool.name == "linkletter" and scenario in INCREMENTAL and run == 0:
                    identical[scenario] = tool.identical_to_full_build()
                    log(f"    identical to a full build of the same content: {identical[scenario]}")
        edited.write_bytes(originals[edited])  # back to the generated corpus for the next run
        deleted.write_bytes(originals[deleted])
        added.unlink()
    return {
        "manifest": manifest,
        "summary": summary,
        "times": times,
        "rss": rss,
        "files": files,
        "identical": identical,
    }


def measure_digest(project: Path, runs: int) -> dict:
    """`linkletter digest --date 2024-05-13`: start-up, loading every bookmark and the render."""
    walls, links = [], None
    for _ in range(runs):
        out = project / ".linkletter-digest"
        shutil.rmtree(out, ignore_errors=True)
        child = linkletter(
            "digest", "-C", str(project), "--now", NOW, "--date", DIGEST_DATE, "--out", str(out)
        )
        found = re.search(r"issue \d+ \([\d-]+\): (\d+) links", child.output)
        if not found:
            raise SystemExit(f"unexpected digest output:\n{child.output[-4000:]}")
        links = int(found.group(1))
        walls.append(child.wall)
    return {"links": links, "times": walls}


def measure_send(project: Path, runs: int, recipients: int, log) -> dict:
    """`linkletter send` of the 2024-05-13 issue to `recipients` addresses at a local counting
    server (Postfix's smtp-sink where installed, else aiosmtpd in its own process; see
    benchutil.smtp_server), ledger on, no rate limit, a fresh ledger every run; the server must
    get exactly one message for each recipient."""
    results = []
    addresses = [f"reader{i:06d}@example.org" for i in range(recipients)]
    with smtp_server("best") as server:
        settings = (project / "linkletter.yaml").read_text(encoding="utf-8")
        settings = settings.replace("  output: dist\n", "  output: dist-send\n  state: .linkletter-send\n")
        settings = settings.replace("recipients: recipients.txt", "recipients: send-recipients.txt")
        settings = settings.replace("  port: 1025\n", f"  port: {server.port}\n  rate_per_second: 0\n")
        config = project / "linkletter.send.yaml"
        config.write_text(settings, encoding="utf-8")
        (project / "send-recipients.txt").write_text("".join(a + "\n" for a in addresses), encoding="utf-8")
        for run in range(runs):
            for folder in ("dist-send", ".linkletter-send"):
                shutil.rmtree(project / folder, ignore_errors=True)
            server.stats(reset=True)
            args = ["send", "-C", str(project), "--config", str(config), "--now", NOW]
            child = linkletter(
                *args,
                "--date",
                DIGEST_DATE,
                "--ignore-deadline",
                env=linkletter_env(LINKLETTER_UNSUBSCRIBE_SECRET="benchmark"),
            )
            count, first, last = server.stats()
            if count != recipients or server.recipients() != Counter(addresses):
                raise SystemExit(
                    f"the server received {count} messages for {recipients} recipients, "
                    f"not one each:\n{child.output[-4000:]}"
                )
            results.append((count / child.wall, (count - 1) / (last - first), child.wall))
            log(f"  send run {run + 1}/{runs}: {child.wall:.2f} s, loop {results[-1][1]:.0f} msg/s")
    return {
        "whole": statistics.median(r[0] for r in results),
        "loop": statistics.median(r[1] for r in results),
        "wall": statistics.median(r[2] for r in results),
        "server": server.name,
    }


# --- report ----------------------------------------------------------------------------------------


def fmt_s(values: list[float]) -> str:
    return f"{statistics.median(values):.3f}" if values else "-"


def corpus_table(name: str, r: dict, use_hugo: bool, runs: int) -> list[str]:
    m, (bookmarks, feeds, outputs, _) = r["manifest"], r["summary"]
    lines = [
        f"### {name}: {m['count']} files, {m['categories']} categories "
        f"({m['one_bookmark_categories']} on one bookmark), {m['images']} images "
        f"({m['expired_images']} expired), {m['links_with_spaces']} links with spaces",
        "",
        f"linkletter: {bookmarks} bookmarks, {feeds} feeds, {outputs} files; median of {runs} run(s), seconds",
        "",
        "| scenario | linkletter s | Hugo s | linkletter / Hugo | linkletter peak RSS | Hugo peak RSS "
        "| files written (linkletter / Hugo) | identical to a full build |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in SCENARIOS:
        ll, hu = r["times"][("linkletter", s)], r["times"].get(("Hugo", s), [])
        ratio = f"{statistics.median(ll) / statistics.median(hu):.2f}" if hu else "-"
        hugo_rss = f"{r['rss'][('Hugo', s)] / 1e6:.0f} MB" if hu else "-"
        hugo_files = f"{statistics.median(r['files'][('Hugo', s)]):.0f}" if hu else "-"
        lines.append(
            f"| {s} | {fmt_s(ll)} | {fmt_s(hu)} | {ratio} | {r['rss'][('linkletter', s)] / 1e6:.0f} MB | {hugo_rss} "
            f"| {statistics.median(r['files'][('linkletter', s)]):.0f} / {hugo_files} | {r['identical'].get(s, '')} |"
        )
    if "digest" in r:
        d = r["digest"]
        lines += [
            "",
            f"`linkletter digest --date {DIGEST_DATE}` ({d['links']} links): "
            f"median {fmt_s(d['times'])} s (whole command: start-up, loading every bookmark, rendering)",
        ]
    return lines


def targets(results: dict, use_hugo: bool, startup: float, send: dict | None, sizes: list[int]) -> list[str]:
    lines = ["### Targets", "", "| target | measured | met |", "|---|---|---|"]

    def row(target: str, value: str, met: bool | None) -> None:
        lines.append(f"| {target} | {value} | {'-' if met is None else ('yes' if met else 'no')} |")

    zipf = {int(k.split()[-1]): v for k, v in results.items() if k.startswith("zipf")}
    big = zipf[max(zipf)] if zipf else None
    if big:
        n = big["manifest"]["count"]
        med = {s: statistics.median(big["times"][("linkletter", s)]) for s in SCENARIOS}
        if use_hugo:
            hugo_cold = statistics.median(big["times"][("Hugo", "full, cold")])
            hugo_warm = statistics.median(big["times"][("Hugo", "full, warm")])
            row(
                f"{n}: full build, empty cache <= 0.5x Hugo's",
                f"{med['full, cold'] / hugo_cold:.2f}x",
                med["full, cold"] <= 0.5 * hugo_cold,
            )
            row(
                f"{n}: no-change rebuild <= 1/20 of Hugo's full build (cold / warm)",
                f"{med['no change'] / hugo_cold:.2f}x / {med['no change'] / hugo_warm:.2f}x",
                med["no change"] <= hugo_cold / 20,
            )
        files = statistics.median(big["files"][("linkletter", "no change")])
        row(f"{n}: no-change rebuild rewrites no file", f"{files:.0f} files", files == 0)
        for s in INCREMENTAL:
            row(
                f"{n}: {s} <= 2x the no-change rebuild, identical to a full build",
                f"{med[s] / med['no change']:.2f}x, identical: {big['identical'][s]}",
                med[s] <= 2 * med["no change"] and big["identical"][s] == "yes",
            )
        peak = (
            max(big["rss"].values())
            if not use_hugo
            else max(v for (t, _), v in big["rss"].items() if t == "linkletter")
        )
        row(f"{n}: peak memory <= 600 MB", f"{peak / 1e6:.0f} MB", peak <= 600e6)
    if len(zipf) > 1:
        lo, hi = min(zipf), max(zipf)
        for s in ("full, warm", "no change"):
            t_lo = statistics.median(zipf[lo]["times"][("linkletter", s)])
            t_hi = statistics.median(zipf[hi]["times"][("linkletter", s)])
            row(
                f"linear growth {lo}->{hi} ({s}; minus start-up {startup:.2f} s)",
                f"{t_hi / t_lo:.1f}x time ({(t_hi - startup) / max(t_lo - startup, 1e-3):.1f}x minus start-up) "
                f"for {hi / lo:.0f}x bookmarks",
                None,
            )
    for name, r in results.items():
        if "digest" in r and name.startswith("zipf") and r["manifest"]["count"] == min(sizes or [0]):
            t = statistics.median(r["digest"]["times"])
            row(
                f"digest render < 1 s for {r['digest']['links']} links (whole `digest` command, "
                f"{r['manifest']['count']} bookmarks)",
                f"{t:.2f} s",
                t < 1,
            )
    if send:
        row(
            f"send >= 1,000 msg/s, ledger on (send loop, {send['server']}, no rate limit)",
            f"{send['loop']:.0f} msg/s loop, {send['whole']:.0f} msg/s whole call",
            send["loop"] >= 1000,
        )
    for name, r in results.items():
        if name.startswith("tags"):
            med = {s: statistics.median(r["times"][("linkletter", s)]) for s in SCENARIOS}
            row(
                f"real-export shape ({r['manifest']['count']} bookmarks, {r['manifest']['categories']} tags): "
                "full warm / no change / one edit",
                f"{med['full, warm']:.2f} s / {med['no change']:.2f} s / {med['one edit']:.2f} s",
                None,
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000",
        help="zipf corpus sizes, comma-separated "
        "(default 1000,10000; 100000 takes ~15 min per run on the current code)",
    )
    parser.add_argument(
        "--tags", type=int, default=6682, help="size of the real-export (tags) corpus; 0 skips"
    )
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per scenario (default 3)")
    parser.add_argument(
        "--big-runs",
        type=int,
        default=1,
        help="runs for corpora of 50,000 bookmarks or more (default 1; 0: as --runs)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--recipients", type=int, default=2000, help="addresses for the send rate (default 2000)"
    )
    parser.add_argument("--send-runs", type=int, default=3)
    parser.add_argument("--no-hugo", action="store_true", help="leave Hugo out")
    parser.add_argument(
        "--no-mail", action="store_true", help="leave out the digest render and the send rate"
    )
    parser.add_argument(
        "--work", type=Path, help="where the corpora go (default: a temporary folder, deleted)"
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables into this file")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    use_hugo = not args.no_hugo and shutil.which("hugo") is not None
    notes = []
    if not args.no_hugo and not use_hugo:
        notes.append(
            "Hugo is not installed, so there is no Hugo column. Install it (Debian/Ubuntu: "
            "`apt-get install hugo`; or https://gohugo.io/installation/) and run again."
        )
    hugo_version = run_child(["hugo", "version"]).output.strip() if use_hugo else "-"
    can_drop = drop_page_cache()
    if not can_drop:
        notes.append(
            f"The page cache could NOT be dropped (needs root and a writable {DROP}): "
            "'full, cold' only starts from an empty output and state, with warm disk caches."
        )
    for note in notes:
        log(note)

    work = args.work or Path(tempfile.mkdtemp(prefix="linkletter-bench-"))
    corpora = [(f"zipf {n}", "zipf", n) for n in sizes] + (
        [(f"tags {args.tags}", "tags", args.tags)] if args.tags else []
    )
    corpora.sort(key=lambda c: c[2])  # the big ones last

    def runs_for(count: int) -> int:
        return args.big_runs if count >= 50000 and args.big_runs else args.runs

    # linkletter's modules compiled as an installed package's are: where the environment says
    # not to write bytecode (PYTHONDONTWRITEBYTECODE), every child compiled them again, 0.06 s
    compileall.compile_dir(str(SRC), quiet=1)
    results, send = {}, None
    startup = statistics.median(linkletter("--help").wall for _ in range(max(3, args.runs)))
    try:
        for name, shape, count in corpora:
            project = work / f"{shape}-{count}-seed{args.seed}"
            log(f"{name}: generating into {project}")
            start = time.perf_counter()
            run_child(
                [
                    sys.executable,
                    str(HERE / "make_corpus.py"),
                    "--count",
                    str(count),
                    "--shape",
                    shape,
                    "--seed",
                    str(args.seed),
                    str(project),
                ]
            )
            log(f"  generated in {time.perf_counter() - start:.1f} s")
            for folder in ("dist", ".linkletter"):
                shutil.rmtree(project / folder, ignore_errors=True)
            results[name] = measure_corpus(project, runs_for(count), use_hugo, can_drop, log)
            if not args.no_mail:
                results[name]["digest"] = measure_digest(project, runs_for(count))
                log(f"  digest: {fmt_s(results[name]['digest']['times'])} s")
                if send is None:
                    send = measure_send(project, args.send_runs, args.recipients, log)
                    send["corpus"] = name
            if args.markdown:  # what is measured so far, in case a later corpus fails or is stopped
                args.markdown.write_text(
                    report(
                        results, send, sizes, notes, startup, use_hugo, can_drop, hugo_version, args, runs_for
                    ),
                    encoding="utf-8",
                )
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    text = report(results, send, sizes, notes, startup, use_hugo, can_drop, hugo_version, args, runs_for)
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


def report(results, send, sizes, notes, startup, use_hugo, can_drop, hugo_version, args, runs_for) -> str:

    lines = (
        [
            f"## linkletter vs Hugo, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            "",
            f"- machine: {platform.node()}, {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}",
            f"- Hugo: {hugo_version}",
            f"- page cache dropped before each cold build: {'yes' if can_drop else 'NO (not permitted)'}",
            f"- `python -m linkletter --help` (start-up): {startup:.3f} s",
            f"- command: `python benchmarks/run.py {' '.join(sys.argv[1:])}`",
            "",
        ]
        + [f"> {note}" for note in notes]
        + ([""] if notes else [])
    )
    for name, r in results.items():
        lines += corpus_table(name, r, use_hugo, runs_for(r["manifest"]["count"])) + [""]
    if send:
        lines += [
            f"`linkletter send` ({args.recipients} recipients, local {send['server']}, ledger on, "
            f"rate_per_second 0, {send['corpus']}): {send['loop']:.0f} msg/s in the send loop, "
            f"{send['whole']:.0f} msg/s over the whole call ({send['wall']:.2f} s)",
            "",
        ]
    lines += targets(results, use_hugo, startup, send, sizes)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
