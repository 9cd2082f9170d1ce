"""Problems a user can fix, and the exception that carries them.

A `Problem` names where it is (file, line, field), what is wrong, and what to do.
Library code collects problems; only the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        what = f"{self.field}: {self.message}" if self.field else self.message
        text = f"{where}: {what}" if self.is_error else f"{where}: {self.severity}: {what}"
        return f"{text} ({self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class UserError(Exception):
    """A mistake the user can fix: bad content, configuration, templates or environment."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem("linkletter", None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ConfigError(UserError):
    """linkletter.yaml or a feed definition is wrong."""


class TemplateError(UserError):
    """A template does not compile or render."""


class OutputError(UserError):
    """dist/ cannot be written."""


class SendError(UserError):
    """Sending cannot go on."""


def kind_of(value) -> str:
    """How a message names the type of a YAML value."""
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def shown_path(path: Path, root: Path) -> str:
    """`path` as messages show it: relative to the project folder when inside it."""
    for candidate, base in ((path, root), (path.resolve(), root.resolve())):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return path.as_posix()
