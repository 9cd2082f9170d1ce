"""The command line: the only place that prints, reads argv and the environment, reads the clock,
and exits."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ..commands import end_of_day, load_project, parse_now
from ..commands.build import build_site, check_site
from ..commands.importing import import_export, shown
from ..errors import Problem, UserError
from ..model import Config
from .parser import COMMANDS, DESCRIPTION, build_parser
from .report import counts, print_problems, summary

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_TEMPFAIL = 75  # EX_TEMPFAIL: someone is left for a later run


def make_parser() -> argparse.ArgumentParser:
    handlers = {"init": run_init, "build": run_build, "check": run_check, "digest": run_digest}
    handlers |= {"send": run_send, "run": run_scheduler, "serve": run_serve, "suppressions": run_suppressions}
    return build_parser(handlers | {"import": run_import})


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


def load(args: argparse.Namespace) -> tuple[Config, datetime]:
    config = load_project(args.project.resolve(), args.config.resolve() if args.config else None)
    now = parse_now(args.now, config) if args.now else clock_now().replace(microsecond=0)
    if getattr(args, "date", None):
        now = end_of_day(args.date, config)
    return config, now


def run_init(args) -> int:
    from ..commands.init import init_project, parse_init_now

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
    gc.disable()  # a build makes next to no cyclic garbage, and this process ends with it
    config, now = load(args)
    with progress_bar() as progress:
        result = build_site(
            config, now, allow_shrink=args.allow_shrink, use_cache=not args.no_cache, progress=progress
        )
    print_problems(result.problems, verbose=args.verbose)
    print(summary(result))
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def run_check(args) -> int:
    from ..commands.send import check_mail

    config, now = load(args)
    result = check_site(config, now, use_cache=not args.no_cache)
    result.problems += check_mail(config, read_secret(config.digest.unsubscribe_secret_env))
    print_problems(result.problems, notes=True, verbose=args.verbose)
    print(
        f"checked {len(result.bookmarks)} bookmarks and {len(result.feeds)} feeds: {counts(result.problems)}"
    )
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def run_digest(args) -> int:
    from ..commands.digest import preview_digest  # the mail rooms load only when mail is made

    config, now = load(args)
    outcome = preview_digest(config, now, publish=args.publish, out=args.out)
    print_problems(outcome.problems)
    print(outcome.message)
    return EXIT_PROBLEMS if any(p.is_error for p in outcome.problems) else EXIT_OK


def run_send(args) -> int:
    from ..commands.send import SendOptions, send_current

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
    from ..commands.suppressions import list_suppressions

    config, _ = load(args)
    print(list_suppressions(config, args.lift).message)
    return EXIT_OK


def run_scheduler(args) -> int:
    from ..commands.run import Runner

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
def progress_bar() -> Iterator[Callable[[str, int, int], None] | None]:
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
    from ..commands.send import StopFlag

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
    from ..commands.serve import Round, serve

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


__all__ = ["COMMANDS", "DESCRIPTION", "main", "make_parser"]
