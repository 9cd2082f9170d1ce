"""`linkletter serve`: a local preview that links to itself, rebuilds on every change, reports
problems without stopping, serves the week's digest preview, and ends cleanly."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import urllib.request
from datetime import UTC, datetime

import pytest

from conftest import FIXED_NOW, REPO
from linkletter.commands.serve import serve

pytestmark = pytest.mark.process


class Preview:
    """`serve` on a thread; rounds and the served URL arrive on queues."""

    def __init__(self, project, clock=lambda: FIXED_NOW):
        self.rounds: queue.Queue = queue.Queue()
        self.urls: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.thread = threading.Thread(
            target=serve,
            args=(project, None, 0, clock, self.rounds.put, self.stop, self.urls.put),
            daemon=True,
        )

    def __enter__(self):
        self.thread.start()
        self.first = self.rounds.get(timeout=60)
        self.url = self.urls.get(timeout=30)
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "serve did not stop"

    def get(self, path: str) -> tuple[int, str, str]:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()

    def next_round(self):
        return self.rounds.get(timeout=60)


def test_the_preview_links_to_itself_and_keeps_the_real_output_untouched(project):
    with Preview(project) as preview:
        assert preview.url.startswith("http://127.0.0.1:")
        status, kind, index = preview.get("")
        assert status == 200 and kind.startswith("text/html")
        assert f'href="{preview.url}feeds/python.atom.xml"' in index
        assert "links.example.org" not in index
        status, kind, atom = preview.get("feeds/python.atom.xml")
        assert kind.startswith("application/xml") and f'href="{preview.url}feeds/python.atom.xml"' in atom
        assert not (project / "dist").exists()


def test_it_serves_the_digest_preview_of_the_current_week(project):
    with Preview(project) as preview:
        assert "digest preview" in preview.first.message
        status, _, web = preview.get("digest-preview/web.html")
        assert status == 200 and "Fixture Weekly" in web


def test_a_change_rebuilds_and_a_broken_file_is_reported_without_stopping(project):
    bookmark = project / "content/2024/old.md"
    with Preview(project) as preview:
        assert not [p for p in preview.first.problems if p.is_error]
        bookmark.write_text(bookmark.read_text().replace("An old one", "An old one, renamed"))
        round_ = preview.next_round()
        assert "An old one, renamed" in preview.get("categories/python.rss.xml")[2], round_
        bookmark.write_text("---\ntitle: broken\n")
        round_ = preview.next_round()
        assert any(p.path == "content/2024/old.md" and p.is_error for p in round_.problems), round_
        assert preview.get("")[0] == 200  # still serving


def test_the_command_serves_until_ctrl_c_and_exits_cleanly(project):
    process = subprocess.Popen(
        [sys.executable, "-m", "linkletter", "serve", "-C", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    lines_out: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines_out.put(line) for line in process.stdout], daemon=True).start()
    try:
        lines = [lines_out.get(timeout=60) for _ in range(2)]  # the first build's line, then the address
        assert "built 9 feeds from 12 bookmarks" in lines[0], lines
        assert lines[1].startswith("serving http://127.0.0.1:"), lines
        url = lines[1].split()[1]
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and url in response.read().decode()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
    assert "Traceback" not in process.stderr.read()


def test_serve_refuses_now(run, project):
    with pytest.raises(SystemExit) as exit_info:
        run("serve", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert exit_info.value.code == 2


def test_settings_saved_by_rename_are_still_watched(project):
    """Editors (and `sed -i`) save by writing a new file and renaming it over the old one."""
    settings = project / "linkletter.yaml"
    with Preview(project) as preview:
        replacement = project / "linkletter.yaml.new"
        replacement.write_text(settings.read_text().replace("Fixture Links", "Renamed Links", 1))
        replacement.replace(settings)
        preview.next_round()
        assert "Renamed Links" in preview.get("")[2]
        with settings.open("a") as handle:  # a second save, now to the new file
            handle.write("\n# edited again\n")
        settings.write_text(settings.read_text().replace("Renamed Links", "Again Renamed Links", 1))
        preview.next_round()
        assert "Again Renamed Links" in preview.get("")[2]


def test_no_digest_due_means_no_preview_claimed_and_a_new_port_means_no_warning(project):
    quiet_week = datetime(2031, 6, 2, 12, 0, tzinfo=UTC)  # nothing was saved that week
    for _ in range(2):  # a second start gets another port
        preview = Preview(project, clock=lambda: quiet_week)
        with preview:
            assert "no digest this week, so no preview" in preview.first.message
            assert not [p for p in preview.first.problems if "base_url" in str(p)], preview.first.problems
