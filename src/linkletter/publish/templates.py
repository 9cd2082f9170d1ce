"""The jinja2 templates: the project's `templates/` folder first, then the ones linkletter ships.
A project overrides only the files it holds; every error names the template's file and line."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

import jinja2

from ..errors import Problem, UserError

_MSO = re.compile(r"(?<![\w-])mso-[\w-]+\s*:[^;}]*;?[ \t]*")
PACKAGED = Path(__file__).resolve().parent.parent / "templates"


def packaged_templates() -> list[Path]:
    """The templates and stylesheet linkletter ships (what `init --templates` copies)."""
    return sorted(p for p in PACKAGED.iterdir() if p.suffix in (".j2", ".css", ".xsl"))


def without_mso(css: str) -> str:
    """The CSS without Outlook's `mso-` properties, which web pages do not need (and the Nu HTML
    checker reports as errors)."""
    return _MSO.sub("", css)


class Templates:
    """The project's jinja2 templates over the packaged ones; errors name the file and line."""

    def __init__(self, folder: Path, root: Path | None = None):
        self.folder = folder
        self.root = root or folder.parent
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), jinja2.FileSystemLoader(PACKAGED)]),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml.j2")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )
        self.env.filters["without_mso"] = without_mso

    def render(self, name: str, **context) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound:
            raise UserError(
                Problem(self._rel(name), "template not found", hint=f"restore {name} in the templates folder")
            ) from None
        except jinja2.TemplateSyntaxError as exc:
            raise UserError(
                Problem(self._rel(name), f"syntax error: {exc.message}", line=exc.lineno)
            ) from None
        except (jinja2.UndefinedError, TypeError, ValueError) as exc:
            raise UserError(
                Problem(
                    self._rel(name),
                    str(exc),
                    line=_template_line(exc, name),
                    hint="see the README for the variables templates can use",
                )
            ) from None

    def check(self) -> list[Problem]:
        """A problem for every template (the project's or a packaged one it uses) that does not compile."""
        problems = []
        for name in sorted(n for n in self.env.list_templates() if n.endswith(".j2")):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                problems.append(Problem(self._rel(name), f"syntax error: {exc.message}", line=exc.lineno))
        return problems

    def read(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None, "set in __init__"
        try:
            return loader.get_source(self.env, name)[0]
        except jinja2.TemplateNotFound:
            raise UserError(Problem(self._rel(name), "template not found")) from None

    def _rel(self, name: str) -> str:
        path = self.folder / name
        if not path.exists() and (PACKAGED / name).exists():
            return f"(built-in) templates/{name}"
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def _template_line(exc: BaseException, name: str) -> int | None:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(name)]
    return frames[-1].lineno if frames else None
