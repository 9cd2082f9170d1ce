"""The command line: the only place that prints, reads argv and the environment, reads the clock,
and exits."""

from __future__ import annotations

import argparse
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from .build import BuildResult, build_site
from .config import load_config
from .errors import Problem, UserError
from .fields import parse_date
from .model import Config

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UserError as exc:
        print_problems(exc.problems)
        if args.debug:
            traceback.print_exc()
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-C",
        "--project",
        type=Path,
        default=Path("."),
        help="the project folder (default: the current folder)",
    )
    common.add_argument(
        "--config", type=Path, default=None, help="the settings file (default: PROJECT/linkletter.yaml)"
    )
    common.add_argument(
        "--now",
        default=None,
        help="pretend it is this moment (ISO 8601), for previews and reproducible builds",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    parser = argparse.ArgumentParser(prog="linkletter", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    build = commands.add_parser("build", parents=[common], help="write the feeds into dist/")
    build.set_defaults(handler=run_build)
    check = commands.add_parser("check", parents=[common], help="check settings and content; write nothing")
    check.set_defaults(handler=run_check)
    return parser


def load(args) -> tuple[Config, datetime]:
    root = args.project.resolve()
    config = load_config(root, args.config.resolve() if args.config else None)
    return config, read_now(args.now, config)


def read_now(value: str | None, config: Config) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_date(value, config.site.timezone)
    except ValueError as exc:
        raise UserError(Problem("--now", None, None, str(exc), "e.g. --now 2024-05-06T09:00:00Z")) from None


def run_build(args) -> int:
    config, now = load(args)
    result = build_site(config, now)
    print_problems(result.problems)
    print(summary(result))
    return EXIT_PROBLEMS if result.failed else EXIT_OK


def run_check(args) -> int:
    config, now = load(args)
    result = build_site(config, now, write=False)
    print_problems(result.problems, notes=True)
    errors = sum(p.is_error for p in result.problems)
    warnings = sum(p.severity == "warning" for p in result.problems)
    print(
        f"checked {len(result.bookmarks)} bookmarks and {len(result.feeds)} feeds: "
        f"{errors} error(s), {warnings} warning(s)"
    )
    return EXIT_PROBLEMS if errors else EXIT_OK


def summary(result: BuildResult) -> str:
    errors = sum(p.is_error for p in result.problems)
    text = (
        f"{len(result.bookmarks)} bookmarks, {len(result.feeds)} feeds: "
        f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged"
    )
    return text + (f"; {errors} problem(s) above" if errors else "")


def print_problems(problems: list[Problem], notes: bool = False) -> None:
    for problem in problems:
        if problem.severity != "note" or notes:
            print(problem, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
