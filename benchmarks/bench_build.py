"""How long `linkletter build` takes and how much memory it needs, on the example corpus and on a
generated corpus of K bookmarks, plus where the time goes inside one build.

    python benchmarks/bench_build.py [--runs 7] [--scale 5000]

Every build is a real `python -m linkletter build -C COPY --now ...` child process on a temporary
copy of the project. Each run is a cold build (empty dist/) followed by a warm build (nothing
changed, every file is compared and left alone). Times are wall-clock; memory is the child's peak
resident set size (os.wait4). Nothing here is a pass/fail threshold.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchutil import copy_project, mb, median, replicate, run_linkletter, table

NOW = "2026-06-01T00:00:00Z"
SUMMARY = re.compile(r"(\d+) bookmarks, (\d+) feeds: (\d+) file\(s\) written, (\d+) unchanged")


def build_once(project: Path) -> tuple[float, int, tuple[int, ...]]:
    elapsed, rss, output = run_linkletter("build", "-C", str(project), "--now", NOW)
    found = SUMMARY.search(output)
    if not found:
        raise SystemExit(f"unexpected build output:\n{output}")
    return elapsed, rss, tuple(int(g) for g in found.groups())


def measure(project: Path, runs: int) -> dict:
    """`runs` pairs of (cold build into an empty dist/, warm build with nothing changed)."""
    cold, warm = [], []
    for _ in range(runs):
        shutil.rmtree(project / "dist", ignore_errors=True)
        cold.append(build_once(project))
        warm.append(build_once(project))
    bookmarks, feeds, written, _ = cold[0][2]
    if any(w[2][2] for w in warm):
        raise SystemExit("a warm build wrote files: the output is not deterministic")
    return {
        "files": sum(1 for _ in (project / "content").rglob("*.md")),
        "bookmarks": bookmarks,
        "feeds": feeds,
        "outputs": written,
        "cold": [c[0] for c in cold],
        "warm": [w[0] for w in warm],
        "cold_rss": max(c[1] for c in cold),
        "warm_rss": max(w[1] for w in warm),
    }


def measure_startup(runs: int) -> dict:
    """`python -m linkletter --help`: interpreter start and every import, no work."""
    results = [run_linkletter("--help") for _ in range(runs)]
    return {"times": [r[0] for r in results], "rss": max(r[1] for r in results)}


@contextmanager
def timed(phases: dict, name: str):
    start = time.perf_counter()
    yield
    phases[name] = time.perf_counter() - start


def measure_phases(project: Path) -> dict[str, float]:
    """One in-process build of `project`, split into its steps (into an empty dist/)."""
    from linkletter.build import BuildResult, archive_pages, index_page, load_site, plan_feeds, write_files
    from linkletter.config import load_config
    from linkletter.feeds import build_feed_files

    shutil.rmtree(project / "dist", ignore_errors=True)
    now = datetime(2026, 6, 1, tzinfo=UTC)
    phases: dict[str, float] = {}
    with timed(phases, "load settings"):
        config = load_config(project)
    with timed(phases, "load content"):
        bookmarks, problems = load_site(config, now)
    with timed(phases, "plan feeds"):
        plans = plan_feeds(config, bookmarks, now)
    with timed(phases, "serialise feeds"):
        files = {path: data for plan in plans for path, data in build_feed_files(config.site, plan).items()}
    with timed(phases, "render pages"):
        archive = archive_pages(config, bookmarks)
        files.update(archive)
        files["index.html"] = index_page(config, plans, bool(archive)).encode()
    with timed(phases, "write (cold)"):
        write_files(config, BuildResult(bookmarks, problems), files)
    with timed(phases, "write (warm)"):
        write_files(config, BuildResult(bookmarks, []), files)
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="cold+warm build pairs per corpus (default 7)")
    parser.add_argument("--scale", type=int, default=5000, help="bookmarks in the generated corpus; 0: skip")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="linkletter-bench-") as tmp:
        corpora = {"example": copy_project(Path(tmp) / "example")}
        if args.scale:
            scaled = copy_project(Path(tmp) / "scaled", content=False)
            # a distinct link and date per file; dates stay in the past and after 1990
            replicate(scaled / "content", args.scale, lambda i, d: d - timedelta(minutes=7 * i))
            corpora[f"scaled x{args.scale}"] = scaled

        startup = measure_startup(args.runs)
        results = {name: measure(path, args.runs) for name, path in corpora.items()}
        phases = {name: measure_phases(path) for name, path in corpora.items()}

    print(f"linkletter build, {args.runs} cold + {args.runs} warm runs per corpus (wall time, seconds)\n")
    rows = [
        ["startup (--help)", "-", "-", "-", "-"]
        + [f"{median(startup['times']):.3f}", f"{min(startup['times']):.3f}", "-", "-", mb(startup["rss"])]
    ]
    for name, r in results.items():
        rows.append(
            [name, r["files"], r["bookmarks"], r["feeds"], r["outputs"]]
            + [f"{median(r['cold']):.3f}", f"{min(r['cold']):.3f}"]
            + [
                f"{median(r['warm']):.3f}",
                f"{min(r['warm']):.3f}",
                f"{mb(r['cold_rss'])} / {mb(r['warm_rss'])}",
            ]
        )
    header = ["corpus", "files", "bookmarks", "feeds", "outputs", "cold med", "cold min"]
    print(table(header + ["warm med", "warm min", "peak RSS cold / warm"], rows))

    if len(results) == 2:
        small, big = results.values()
        print(
            f"\nscaled / example: {big['bookmarks'] / small['bookmarks']:.1f}x bookmarks -> "
            f"cold {median(big['cold']) / median(small['cold']):.1f}x, "
            f"warm {median(big['warm']) / median(small['warm']):.1f}x time; "
            f"peak RSS +{mb(big['cold_rss'] - small['cold_rss'])}"
        )
        base = median(startup["times"])
        print(
            f"minus startup ({base:.3f} s): cold "
            f"{(median(big['cold']) - base) / (median(small['cold']) - base):.1f}x, "
            f"warm {(median(big['warm']) - base) / (median(small['warm']) - base):.1f}x"
        )

    print("\nin-process phases of one cold build, then a warm write (seconds, time.perf_counter)\n")
    names = list(phases)
    steps = list(next(iter(phases.values())))
    rows = [[step] + [f"{phases[n][step]:.3f}" for n in names] for step in steps]
    rows.append(
        ["total (cold build)"]
        + [f"{sum(v for k, v in phases[n].items() if k != 'write (warm)'):.3f}" for n in names]
    )
    print(table(["phase"] + names, rows))


if __name__ == "__main__":
    main()
