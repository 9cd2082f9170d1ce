"""The user's verbs (build, check, digest, send, run): the only place that combines stages. Each
returns results; `cli` prints them."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import Problem, UserError, ValueProblem, shown_path
from ..model import Config, Issue
from ..newsletter.issues import digest_zone
from ..settings.load import load_config
from ..values.convert import moment
from .namespace import apply_recorded_namespace

if TYPE_CHECKING:
    from ..newsletter.delivery import SendReport


@dataclass
class Outcome:
    message: str
    problems: list[Problem] = field(default_factory=list)
    report: SendReport | None = None


def load_project(root: Path, config_path: Path | None = None) -> Config:
    """The project's settings and feed definitions; UserError lists every problem."""
    if not root.is_dir():
        raise UserError(Problem(str(root), "no such folder", hint="-C names the project folder"))
    config, _ = apply_recorded_namespace(load_config(root, config_path))  # build says when it differs
    quiet_css_warnings()
    return config


def quiet_css_warnings() -> None:
    """cssutils (under premailer) reports every CSS property it does not know (dark-mode and
    Outlook ones) on stderr; configured once, at start-up."""
    logging.getLogger("CSSUTILS").setLevel(logging.CRITICAL)


def parse_now(value: str, config: Config) -> datetime:
    """`--now`: a moment, read as bookmark dates are (a moment without zone is in site.timezone)."""
    try:
        return moment(value, config.site.timezone)
    except ValueProblem as exc:
        raise UserError(exc.at("--now", field=None)) from None


def moment_problem(value: str) -> str | None:
    """Why `value` cannot be a moment (for the command line's own check), or None."""
    try:
        moment(value, UTC)
    except ValueProblem as exc:
        return f"{exc.message} ({exc.hint})"
    return None


def end_of_day(value: str, config: Config) -> datetime:
    """`--date YYYY-MM-DD`: the last second of that day in the digest's time zone."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise UserError(
            Problem("--date", f"{value!r} is not a date", hint="write e.g. --date 2024-05-13")
        ) from None
    try:
        return datetime.combine(day, time(23, 59, 59), tzinfo=digest_zone(config)).astimezone(UTC)
    except OverflowError:
        raise UserError(
            Problem("--date", f"{value!r} is out of range", hint="write e.g. --date 2024-05-13")
        ) from None


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def nothing_new(issue: Issue) -> str:
    return f"nothing new since {issue.start:%Y-%m-%d %H:%M} UTC; no issue for {issue.slug}"


def config_name(config: Config) -> str:
    return shown_path(config.path, config.root) if config.path else "linkletter.yaml"
