"""Problems a user can fix, and the two exceptions that carry them.

- `ValueProblem`: one value cannot be used (what is wrong, what to do). Raised by the converters
  in `values`; the reader that knows the file, line and field turns it into a `Problem`.
- `UserError`: one or more `Problem`s that stop a command. The CLI prints them without a
  traceback.

Library code collects problems; only the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ERROR, WARNING, NOTE = "error", "warning", "note"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None
    severity: str = ERROR  # ERROR, WARNING or NOTE

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {what}" if self.is_error else f"{where}: {self.severity}: {what}"
        return f"{text} ({self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


class ValueProblem(ValueError):
    """A value that cannot be used. `line` and `field` are filled in when the raiser knows them."""

    def __init__(
        self, message: str, hint: str | None = None, *, line: int | None = None, field: str | None = None
    ):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line
        self.field = field

    def at(
        self, path: str, line: int | None = None, field: str | None = None, severity: str = ERROR
    ) -> Problem:
        """This problem in `path` (the line and field given here win over the raiser's)."""
        return Problem(
            path,
            self.message,
            line=line if line is not None else self.line,
            field=field or self.field,
            hint=self.hint,
            severity=severity,
        )


class UserError(Exception):
    """A mistake the user can fix: bad content, configuration, templates or environment."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("linkletter", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def kind_of(value: object) -> str:
    """How a message names the type of a YAML value."""
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "text"}
    return names.get(type(value), type(value).__name__)


def shown_path(path: Path, root: Path) -> str:
    """`path` as messages show it: relative to the project folder when inside it."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
