"""How problems and results are shown: one line each, repeated warnings grouped, control
characters in file names made visible."""

from __future__ import annotations

import re
import sys

from ..commands.build import BuildResult
from ..errors import NOTE, WARNING, Problem


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
