"""The command line: the only place that prints, reads argv and the environment, reads the clock,
and exits."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import sys
import threading
import traceback
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from . import __version__
from .commands import end_of_day, load_project, parse_now
from .commands.build import BuildResult, build_site, check_site
from .commands.importing import IMPORT_FORMATS, import_export, shown
from .errors import NOTE, WARNING, Problem, UserError
from .model import Config

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: someone is left for a later run


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.command in ("run", "serve") and args.now:
        parser.error(f"{args.command} always uses the real clock; --now does not apply to it")
    try:
        return args.handler(args)
    except UserError as exc:
        print_problems(exc.problems, verbose=args.verbose)
        if args.debug:
            traceback.print_exc()
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


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


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="linkletter", description=DESCRIPTION, parents=[_common_options()])
    parser.add_argument("--version", action="version", version=f"linkletter {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The same options after the command; SUPPRESS keeps a value given before it.
    common = _common_options(argparse.SUPPRESS)
    handlers = {"init": run_init, "build": run_build, "check": run_check, "digest": run_digest}
    handlers |= {"send": run_send, "run": run_scheduler, "serve": run_serve, "suppressions": run_suppressions}
    handlers |= {"import": run_import}
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
        "--port", type=int, default=8000, help="the port on 127.0.0.1 (default 8000; 0 picks a free one)"
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


def load(args: argparse.Namespace) -> tuple[Config, datetime]:
    config = load_project(args.project.resolve(), args.config.resolve() if args.config else None)
    now = parse_now(args.now, config) if args.now else clock_now().replace(microsecond=0)
    if getattr(args, "date", None):
        now = end_of_day(args.date, config)
    return config, now


def run_init(args) -> int:
    from .commands.init import init_project, parse_init_now

    folder = (args.folder or args.project).resolve()
    now = clock_now().replace(microsecond=0)
    if args.now:
        now = parse_init_now(args.now)
    result = init_project(folder, now, templates=args.templates)
    for relpath in result.written:
        print(f"wrote {relpath}")
    for relpath in result.skipped:
        print(f"skipped {relpath}: it exists already", file=sys.stderr)
    print_problems(result.build.problems)
    print(summary(result.build))
    print(f"next: edit {folder / 'linkletter.yaml'}, then run `linkletter check -C {folder}`")
    return EXIT_PROBLEMS if result.build.failed else EXIT_OK


def run_build(args) -> int:
    config, now = load(args)
    with progress_bar() as progress:
        result = build_site(
            config, now, allow_shrink=args.allow_shrink, use_cache=not args.no_cache, progress=progress
        )
    print_problems(result.problems, verbose=args.verbose)
    print(summary(result))
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def run_check(args) -> int:
    from .commands.send import check_mail

    config, now = load(args)
    result = check_site(config, now, use_cache=not args.no_cache)
    result.problems += check_mail(config, read_secret(config.digest.unsubscribe_secret_env))
    print_problems(result.problems, notes=True, verbose=args.verbose)
    print(
        f"checked {len(result.bookmarks)} bookmarks and {len(result.feeds)} feeds: {counts(result.problems)}"
    )
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def run_digest(args) -> int:
    from .commands.digest import preview_digest  # the mail rooms load only when mail is made

    config, now = load(args)
    outcome = preview_digest(config, now, publish=args.publish, out=args.out)
    print_problems(outcome.problems)
    print(outcome.message)
    return EXIT_PROBLEMS if any(p.is_error for p in outcome.problems) else EXIT_OK


def run_send(args) -> int:
    from .commands.send import SendOptions, send_current

    config, now = load(args)
    options = SendOptions(
        dry_run=args.dry_run,
        outbox=args.outbox,
        to=args.to,
        ignore_deadline=args.ignore_deadline,
        retry_failed=args.retry_failed,
        password=read_secret(config.smtp.password_env),
        unsubscribe_secret=read_secret(config.digest.unsubscribe_secret_env),
    )
    with stop_on_signals() as stop:
        outcome = send_current(config, now, options, clock_now, should_stop=stop)
    print_problems(outcome.problems)
    print(outcome.message)
    if any(p.is_error for p in outcome.problems):
        return EXIT_PROBLEMS
    return EXIT_TEMPFAIL if outcome.report and outcome.report.incomplete else EXIT_OK


def run_suppressions(args) -> int:
    from .commands.suppressions import list_suppressions

    config, _ = load(args)
    print(list_suppressions(config, args.lift).message)
    return EXIT_OK


def run_scheduler(args) -> int:
    from .commands.run import Runner

    config, _ = load(args)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    runner = Runner(
        config,
        clock_now,
        password=read_secret(config.smtp.password_env),
        unsubscribe_secret=read_secret(config.digest.unsubscribe_secret_env),
    )
    with stop_on_signals() as stop:
        runner.run_forever(stop)
    return EXIT_OK


@contextmanager
def progress_bar():
    """A progress bar on stderr (tqdm) for parsing and writing, shown only when stderr is a
    terminal and the step lasts more than a second; None (quiet) otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm  # type: ignore[import-untyped]

    bars: dict[str, tqdm] = {}

    def progress(what: str, done: int, total: int) -> None:
        if what not in bars:
            for bar in bars.values():
                bar.close()
            bars[what] = tqdm(total=total, desc=what, unit="file", delay=1.0, leave=False, file=sys.stderr)
        bars[what].update(done - bars[what].n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()


@contextmanager
def stop_on_signals():
    """SIGTERM and Ctrl-C ask the work to stop at the next safe point (between two messages,
    never inside a ledger write); yields the function that tells whether to stop."""
    from .commands.send import StopFlag

    requested = StopFlag()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def ask(signum, frame):
        if requested():  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        requested.set()
        print("stopping after the current step...", file=sys.stderr)

    for sig in previous:
        signal.signal(sig, ask)
    try:
        yield requested
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_import(args) -> int:
    config, now = load(args)
    report = import_export(config, args.format, args.file.resolve(), now, args.include_private, args.dry_run)
    print_problems(report.refused + report.warnings, verbose=args.verbose)
    for path in report.added:
        print(f"{'would add' if args.dry_run else 'added'} {shown(config, path)}")
    print(report.summary())
    return EXIT_PROBLEMS if report.refused else EXIT_OK


def run_serve(args) -> int:
    from .commands.serve import Round, serve

    stop = threading.Event()

    def report(round_: Round) -> None:
        print_problems(round_.problems, verbose=args.verbose)
        print(f"{clock_now():%H:%M:%S} {round_.message}", flush=True)

    def started(url: str) -> None:
        print(f"serving {url} (Ctrl-C to stop)", flush=True)

    with stop_on_signals() as requested:
        requested.on_stop(stop.set)
        try:
            serve(args.project.resolve(), _config_path(args), args.port, clock_now, report, stop, started)
        except OSError as exc:
            raise UserError(
                Problem(f"127.0.0.1:{args.port}", f"cannot serve: {exc.strerror or exc}")
            ) from None
    return EXIT_OK


def _config_path(args: argparse.Namespace) -> Path | None:
    return args.config.resolve() if args.config else None


def read_secret(name: str | None) -> str | None:
    return os.environ.get(name) if name else None


def clock_now() -> datetime:
    return datetime.now(UTC)


def summary(result: BuildResult) -> str:
    removed = f", {len(result.removed)} removed" if result.removed else ""
    return (
        f"{result.bookmark_count} bookmarks, {result.feed_count} feeds: "
        f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged{removed}; "
        f"{counts(result.problems)}"
    )


def counts(problems: list[Problem]) -> str:
    errors = sum(p.is_error for p in problems)
    warnings = sum(p.severity == WARNING for p in problems)
    return f"{errors} error(s), {warnings} warning(s)"


def print_problems(problems: list[Problem], notes: bool = False, verbose: bool = False) -> None:
    """Errors one by one; a warning (or note) repeated in more than GROUP_AFTER files is shown once,
    with a count and the first few files, unless `verbose`. Control characters in names are shown
    escaped, so a file name cannot forge a line."""
    shown = [p for p in problems if p.severity != NOTE or notes]
    for line in problem_lines(shown, verbose):
        print(printable(line), file=sys.stderr)


def problem_lines(problems: list[Problem], verbose: bool) -> list[str]:
    groups: dict[tuple, list[Problem]] = {}
    for problem in problems:
        groups.setdefault(group_key(problem) if not verbose else (id(problem),), []).append(problem)
    lines = []
    for group in groups.values():
        first = group[0]
        if len(group) <= GROUP_AFTER:
            lines += [str(p) for p in group]
            continue
        others = ", ".join(p.path for p in group[1 : 1 + GROUP_AFTER])
        lines.append(f"{first} [and {len(group) - 1} more like it: {others}, ...; --verbose lists all]")
    return lines


GROUP_AFTER = 3
_VARYING = re.compile(r"'[^']*'|\"[^\"]*\"|\d+([-:.T]\d+)*")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def group_key(problem: Problem) -> tuple:
    """Warnings that differ only in quoted values, numbers and dates are the same warning;
    errors are never grouped."""
    if problem.is_error:
        return (id(problem),)
    return (problem.severity, problem.field, _VARYING.sub("_", problem.message), problem.hint)


def printable(line: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), line)


if __name__ == "__main__":
    sys.exit(main())
