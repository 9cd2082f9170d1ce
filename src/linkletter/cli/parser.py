"""The command line's words: every command, option and its one-sentence help."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .. import __version__
from ..commands import moment_problem
from ..commands.importing import IMPORT_FORMATS

DESCRIPTION = "Turn a folder of bookmarks into RSS, Atom and JSON feeds and a weekly email digest."
COMMANDS = [
    ("init", "start a project: write settings, an example bookmark and feed, then build it"),
    ("build", "write the feeds, the index page and the digest archive into dist/"),
    ("check", "check settings, content, templates and recipients, and write nothing"),
    ("digest", "render this week's digest as a preview, without sending it"),
    ("send", "mail the current digest issue to every recipient who has not had it yet"),
    ("run", "keep running: rebuild the feeds regularly and send the digest weekly"),
    ("serve", "preview the site on this machine, rebuilt whenever a file changes"),
    ("import", "turn another service's bookmark export into bookmark files in content/"),
    ("suppressions", "list the addresses skipped after a hard bounce, or lift one"),
]


def build_parser(handlers: dict[str, Callable[[argparse.Namespace], int]]) -> argparse.ArgumentParser:
    """The whole command line; `handlers` maps each command to the function that runs it."""
    parser = argparse.ArgumentParser(prog="linkletter", description=DESCRIPTION, parents=[_common_options()])
    parser.add_argument("--version", action="version", version=f"linkletter {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The same options after the command; SUPPRESS keeps a value given before it.
    common = _common_options(argparse.SUPPRESS)
    extra = {
        "init": _init_options,
        "build": _build_options,
        "digest": _digest_options,
        "send": _send_options,
        "serve": _serve_options,
        "import": _import_options,
        "suppressions": _suppressions_options,
    }
    for name, sentence in COMMANDS:
        command = commands.add_parser(
            name, parents=[common], help=sentence, description=sentence[0].upper() + sentence[1:] + "."
        )
        command.set_defaults(handler=handlers[name])
        if name in extra:
            extra[name](command)
    return parser


def _common_options(default=None) -> argparse.ArgumentParser:
    """-C, --config, --now and --debug; before the command with defaults, after it without."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path(".") if default is None else default,
        help="the project folder (default: the current folder)",
    )
    common.add_argument(
        "--config", type=Path, default=default, help="the settings file (default: PROJECT/linkletter.yaml)"
    )
    common.add_argument(
        "--now",
        type=moment_text,
        default=default,
        help="pretend it is this moment (ISO 8601), for previews and reproducible builds",
    )
    common.add_argument(
        "--debug", action="store_true", default=False if default is None else default, help="show tracebacks"
    )
    common.add_argument(
        "--no-cache",
        action="store_true",
        default=False if default is None else default,
        help="parse every bookmark file and build everything again, ignoring (and rewriting) the parse cache",
    )
    common.add_argument(
        "--verbose",
        action="store_true",
        default=False if default is None else default,
        help="list every repeated warning instead of grouping them",
    )
    return common


def port(value: str) -> int:
    """argparse type of --port: 0 to 65535 (exit 2 otherwise)."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port; write a number from 0 to 65535")
    return number


def moment_text(value: str) -> str:
    """argparse type of --now: a moment linkletter can read (exit 2 otherwise). It is read again
    with the site's time zone once the settings are known."""
    problem = moment_problem(value)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return value


def iso_day(value: str) -> str:
    """argparse type of --date: a calendar day written YYYY-MM-DD (exit 2 otherwise)."""
    try:
        date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; write e.g. 2024-05-13") from None
    return value


def _init_options(init: argparse.ArgumentParser) -> None:
    init.add_argument(
        "folder",
        nargs="?",
        type=Path,
        metavar="DIR",
        help="where to start (default: -C or the current folder)",
    )
    init.add_argument(
        "--templates",
        action="store_true",
        help="also copy the packaged templates into DIR/templates to restyle",
    )


def _build_options(build: argparse.ArgumentParser) -> None:
    build.add_argument(
        "--allow-shrink",
        action="store_true",
        help="write the feeds even if read errors or a vanished content folder would empty or halve them",
    )


def _import_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "format", choices=IMPORT_FORMATS, metavar="FORMAT", help=f"one of {', '.join(IMPORT_FORMATS)}"
    )
    command.add_argument("file", type=Path, metavar="FILE", help="the export file")
    command.add_argument("--include-private", action="store_true", help="also import private bookmarks")
    command.add_argument(
        "--dry-run", action="store_true", help="report what would be imported; write nothing"
    )


def _serve_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--port", type=port, default=8000, help="the port on 127.0.0.1 (default 8000; 0 picks a free one)"
    )


def _suppressions_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--lift", metavar="ADDRESS", help="mail ADDRESS again from the next issue on")


def _digest_options(digest: argparse.ArgumentParser) -> None:
    digest.add_argument(
        "--date", type=iso_day, help="preview the issue sent on or before this day (YYYY-MM-DD)"
    )
    digest.add_argument(
        "--publish",
        action="store_true",
        help="record the issue and write its web page, the archive and the issue feed into dist/",
    )
    digest.add_argument(
        "--out", type=Path, help="where to write the preview (default: .linkletter/preview/ISSUE)"
    )


def _send_options(send: argparse.ArgumentParser) -> None:
    send.add_argument("--date", type=iso_day, help="send the issue due on or before this day (YYYY-MM-DD)")
    send.add_argument(
        "--dry-run", action="store_true", help="write .eml files into an outbox instead of sending"
    )
    send.add_argument(
        "--outbox", type=Path, help="the outbox for --dry-run (default: .linkletter/outbox/ISSUE)"
    )
    send.add_argument("--to", metavar="ADDRESS", help="send one test copy to ADDRESS; records nothing")
    send.add_argument(
        "--ignore-deadline",
        action="store_true",
        help="send even if digest.deadline_hours have passed since the send time",
    )
    send.add_argument(
        "--retry-failed",
        action="store_true",
        help="try again the recipients this issue recorded as failed (suppressed addresses stay skipped)",
    )
