"""Shared fixtures: a copy of the fixture project per test, a pinned clock, the CLI in-process
and as a real subprocess."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkletter.cli import main as cli_main

TESTS = Path(__file__).parent
REPO = TESTS.parent
FIXTURES = TESTS / "fixtures"
TEMPLATES = REPO / "src/linkletter/templates"  # the packaged defaults
GOLDEN = TESTS / "golden"
FIXED_NOW = datetime(2024, 5, 13, 8, 0, tzinfo=UTC)
FIXED_NOW_ARG = "2024-05-13T08:00:00Z"
# Every header a digest message carries, in the order linkletter writes them.
DIGEST_HEADERS = (
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
)


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite the golden files from the current output"
    )


@pytest.fixture
def project(tmp_path) -> Path:
    """A fresh copy of tests/fixtures/site, with copies of the packaged templates to edit."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", target)
    shutil.copytree(TEMPLATES, target / "templates")
    return target


@pytest.fixture
def corpus_project(tmp_path) -> Path:
    """A project whose content is the 432-bookmark MIT corpus (content/niqdev-my-awesome, MIT)."""
    target = tmp_path / "corpus-site"
    shutil.copytree(FIXTURES / "site", target, ignore=shutil.ignore_patterns("content", "feeds"))
    shutil.copytree(REPO / "content" / "niqdev-my-awesome", target / "content")
    shutil.copytree(TEMPLATES, target / "templates")
    (target / "recipients.csv").write_text("email,name\nreader@example.org,A Reader\n")
    return target


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def invoke(*args: str):
        code = cli_main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def run_process(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120):
    """Run `python -m linkletter` as a real process."""
    # This checkout's package, whatever the cwd (a relative PYTHONPATH=src would find another copy).
    paths = [str(REPO / "src"), os.environ.get("PYTHONPATH", "")]
    full_env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths)), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "linkletter", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def golden(request):
    """Compare text with tests/golden/NAME; --update-golden rewrites it. A missing golden fails."""
    update = request.config.getoption("--update-golden")

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8", newline="")
            return
        if not path.exists():
            pytest.fail(f"golden file {path.relative_to(TESTS)} is missing; run pytest --update-golden")
        expected = path.read_text(encoding="utf-8")
        if expected != actual:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    actual.splitlines(keepends=True),
                    f"golden/{name}",
                    "actual",
                )
            )
            pytest.fail(f"output differs from golden/{name}:\n{diff}")

    return compare


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The files parsed (not taken from the cache) by builds in this process."""
    seen: list[str] = []
    from linkletter.content import parse

    real = parse.parse_bookmark

    def counting(text, shown, site):
        seen.append(shown)
        return real(text, shown, site)

    monkeypatch.setattr(parse, "parse_bookmark", counting)
    return seen
