"""Helpers shared by the benchmarks: temporary copies of the example project, generated bookmarks,
child processes measured with os.wait4, and small statistics. Paths are relative to this file, so
the benchmarks work from any clone."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))  # measure this checkout's code, also when run without `pip install -e .`

_LINK = re.compile(r"^link:[ \t]*(.*?)[ \t]*$", re.MULTILINE)
_DATE = re.compile(r"^date:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


def copy_project(dest: Path, content: bool = True) -> Path:
    """linkletter.yaml, templates/, feeds/ (if any) and, unless content is False, content/ into dest;
    never dist/ or .linkletter/. Without content, dest/content is an empty folder."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "linkletter.yaml", dest / "linkletter.yaml")
    for name in ("templates", "feeds") + (("content",) if content else ()):
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, dest / name)
    (dest / "content").mkdir(exist_ok=True)
    return dest


def example_files() -> list[Path]:
    """The example bookmark files, as `linkletter build` finds them."""
    return sorted(
        p
        for p in (ROOT / "content").rglob("*.md")
        if not any(part.startswith((".", "_")) for part in p.relative_to(ROOT / "content").parts)
    )


def replicate(content_dir: Path, count: int, date_for: Callable[[int, datetime], datetime]) -> None:
    """Write `count` bookmark files into content_dir by copying the example files over and over.
    File i keeps its source's text except the link (a `copy=N` query parameter makes it distinct)
    and the date, which becomes date_for(i, source's date)."""
    sources = [(p.name, p.read_text(encoding="utf-8")) for p in example_files()]
    for i in range(count):
        copy, (name, text) = i // len(sources), sources[i % len(sources)]
        link = with_query(_LINK.search(text).group(1).strip("'\""), f"copy={copy}")
        date = date_for(i, datetime.fromisoformat(_DATE.search(text).group(1).strip("'\"")))
        text = _LINK.sub(lambda _: f"link: {yaml_text(link)}", text, count=1)  # noqa: B023 (used at once)
        text = _DATE.sub(lambda _: f"date: {iso(date)}", text, count=1)  # noqa: B023
        folder = content_dir / f"copy-{copy:04d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def write_bookmark(path: Path, **fields) -> None:
    """A bookmark file with the given front matter (strings or lists of strings)."""
    lines = ["---"]
    for key, value in fields.items():
        if isinstance(value, list):
            lines += [f"{key}:"] + [f"- {yaml_text(v)}" for v in value]
        else:
            lines.append(f"{key}: {yaml_text(value)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines + ["---", ""]), encoding="utf-8")


def with_query(link: str, extra: str) -> str:
    parts = urlsplit(link)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


def yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def child_env(**extra: str) -> dict[str, str]:
    """The environment for `python -m linkletter` children: this checkout's src/ first."""
    path = os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


def run_linkletter(*args: str, env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run `python -m linkletter ARGS` to completion: (wall seconds, peak RSS bytes of that child,
    its output). Raises SystemExit with the output if it fails."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "linkletter", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env or child_env(),
        )
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"linkletter {' '.join(args)} exited with {proc.returncode}:\n{text}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return elapsed, usage.ru_maxrss * scale, text


def median(values) -> float:
    return statistics.median(values)


def mb(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


def kb(size: float) -> str:
    return f"{size / 1024:.1f} KiB"


def table(header: list[str], rows: list[list]) -> str:
    cells = [header] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class CountingSmtpServer:
    """An aiosmtpd server on 127.0.0.1 in its own process (so it does not compete with the sender
    for the GIL) that answers every message with 250 OK and counts it. Use it with `with`."""

    def __enter__(self) -> CountingSmtpServer:
        self.conn, child = multiprocessing.Pipe()
        self.process = multiprocessing.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        self.port = self.conn.recv()
        return self

    def __exit__(self, *exc) -> None:
        self.conn.send("stop")
        self.process.join(10)

    def stats(self, reset: bool = False) -> tuple[int, float, float]:
        """(messages, time.monotonic() of the first and of the last); reset: count afresh after."""
        self.conn.send("reset" if reset else "stats")
        return self.conn.recv()


def _serve(conn) -> None:
    from aiosmtpd.controller import Controller

    class Counter:
        count, first, last = 0, 0.0, 0.0

        async def handle_DATA(self, server, session, envelope):
            now = time.monotonic()  # a system-wide clock on Linux and macOS: comparable across processes
            self.first = self.first or now
            self.last = now
            self.count += len(envelope.rcpt_tos)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Counter()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn.send(port)
    while (command := conn.recv()) != "stop":
        conn.send((handler.count, handler.first, handler.last))
        if command == "reset":
            handler.count, handler.first, handler.last = 0, 0.0, 0.0
    controller.stop()
