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
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple
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


class Run(NamedTuple):
    wall: float  # seconds
    rss: int  # peak resident bytes of that child
    output: str
    cpu: float  # user + system seconds of that child


def run_linkletter(*args: str, env: dict[str, str] | None = None, profile: Path | None = None) -> Run:
    """Run `python -m linkletter ARGS` to completion. Raises SystemExit with the output if it
    fails. `profile`: run it under cProfile, the statistics written to that file."""
    profiling = ["-m", "cProfile", "-o", str(profile)] if profile else []
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *profiling, "-m", "linkletter", *args],
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
    return Run(elapsed, usage.ru_maxrss * scale, text, usage.ru_utime + usage.ru_stime)


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


SMTP_SINK = "/usr/sbin/smtp-sink"  # Postfix's test server (Debian: apt-get install postfix)
_RCPT = re.compile(rb"rcpt to:\s*<([^>]*)>", re.IGNORECASE)


def smtp_server(name: str) -> CountingSmtpServer | SmtpSink:
    """The counting server called `name` ("smtp-sink", "aiosmtpd" or "best": smtp-sink where it
    is installed); SystemExit with a message when it cannot run here."""
    if name == "best":
        name = "smtp-sink" if sink_path() else "aiosmtpd"
    if name == "smtp-sink":
        if not sink_path():
            raise SystemExit(
                "smtp-sink is not installed (Debian/Ubuntu: apt-get install --no-install-recommends postfix)"
            )
        return SmtpSink()
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        raise SystemExit("aiosmtpd is not installed (pip install aiosmtpd)") from None
    return CountingSmtpServer()


def sink_path() -> str | None:
    found = shutil.which("smtp-sink") or SMTP_SINK
    return found if os.access(found, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CountingSmtpServer:
    """An aiosmtpd server on 127.0.0.1 in its own process (so it does not compete with the sender
    for the GIL) that answers every message with 250 OK and counts it. Use it with `with`."""

    name = "aiosmtpd"

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
        return self.conn.recv()[:3]

    def recipients(self) -> Counter[str]:
        """How many accepted messages each recipient got since the last reset."""
        self.conn.send("stats")
        return self.conn.recv()[3]


def _serve(conn) -> None:
    from aiosmtpd.controller import Controller

    class Handler:
        count, first, last = 0, 0.0, 0.0
        rcpts: Counter[str] = Counter()

        async def handle_DATA(self, server, session, envelope):
            now = time.monotonic()  # a system-wide clock on Linux and macOS: comparable across processes
            self.first = self.first or now
            self.last = now
            self.count += len(envelope.rcpt_tos)
            self.rcpts.update(envelope.rcpt_tos)
            return "250 OK"

    port = free_port()
    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn.send(port)
    while (command := conn.recv()) != "stop":
        conn.send((handler.count, handler.first, handler.last, handler.rcpts))
        if command == "reset":
            handler.count, handler.first, handler.last, handler.rcpts = 0, 0.0, 0.0, Counter()
    controller.stop()


class SmtpSink:
    """Postfix's smtp-sink on 127.0.0.1: a C server made to measure SMTP clients, which accepts
    and discards every message. Its running counter (`-c`, one line per message received) is
    read as it comes and time-stamped here; its log of the conversation (`-v`, one line per
    command) tells which recipients were sent (`recipients`). Use it with `with`."""

    name = "smtp-sink"

    def __enter__(self) -> SmtpSink:
        self.port = free_port()
        self.log = tempfile.TemporaryFile()
        user = ["-u", "nobody"] if os.geteuid() == 0 else []  # it refuses to run as root without -u
        command = [sink_path() or SMTP_SINK, *user, "-c", "-v", f"127.0.0.1:{self.port}", "1024"]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self.log)
        self.lock = threading.Lock()
        self.total, self.base, self.first, self.last, self.offset = 0, 0, 0.0, 0.0, 0
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"smtp-sink did not start: {' '.join(command)}") from None
                time.sleep(0.05)

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        self.process.wait(10)
        self.log.close()

    def _read(self) -> None:
        """Each counter line is `sess=S quit=Q mesg=M` ended by a carriage return."""
        stream, rest = self.process.stdout, b""
        assert stream is not None
        while chunk := stream.read1(65536):
            now = time.monotonic()
            *lines, rest = (rest + chunk).split(b"\r")
            if not lines:
                continue
            count = int(lines[-1].rpartition(b"mesg=")[2] or 0)
            with self.lock:
                if count > self.total:
                    if self.total == self.base:
                        self.first = now
                    self.total, self.last = count, now

    def stats(self, reset: bool = False) -> tuple[int, float, float]:
        """(messages, time.monotonic() of the first and of the last); reset: count afresh after."""
        time.sleep(0.05)  # let the last counter line arrive
        with self.lock:
            figures = (self.total - self.base, self.first, self.last)
            if reset:
                self.base, self.first, self.last = self.total, 0.0, 0.0
                self.offset = self.log.seek(0, os.SEEK_END)
        return figures

    def recipients(self) -> Counter[str]:
        """How many times each recipient was named (RCPT TO) since the last reset. With the
        message count of `stats`, this tells whether everyone got exactly one message."""
        time.sleep(0.05)
        self.log.seek(self.offset)
        return Counter(m.decode("utf-8", "replace") for m in _RCPT.findall(self.log.read()))


def send_raw(port: int, data: bytes, count: int) -> None:
    """`count` messages of `data` (CRLF line ends) to 127.0.0.1:port, one recipient each, as fast
    as a client can: the dot-stuffing done once, MAIL, RCPT and DATA pipelined when the server
    offers it (RFC 2920). The ceiling a server allows, without Python's smtplib costs."""
    stuffed = (b"." if data.startswith(b".") else b"") + data.replace(b"\n.", b"\n..")
    stuffed += (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock, sock.makefile("rb") as replies:

        def reply() -> bytes:
            while (line := replies.readline())[3:4] == b"-":
                pass
            if line[:1] not in (b"2", b"3"):
                raise SystemExit(f"the server refused: {line!r}")
            return line

        reply()
        sock.sendall(b"EHLO bench.invalid\r\n")
        features = []
        while (line := replies.readline())[3:4] == b"-":
            features.append(line[4:].strip().upper())
        pipelining = b"PIPELINING" in features
        for i in range(count):
            commands = [
                b"MAIL FROM:<links@example.org>\r\n",
                f"RCPT TO:<reader{i:06d}@example.org>\r\n".encode(),
                b"DATA\r\n",
            ]
            if pipelining:
                sock.sendall(b"".join(commands))
                for _ in commands:
                    reply()
            else:
                for command in commands:
                    sock.sendall(command)
                    reply()
            sock.sendall(stuffed)
            reply()
        sock.sendall(b"QUIT\r\n")
