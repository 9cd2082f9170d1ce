"""The jinja2 templates: the project's `templates/` folder first, then the ones linkletter ships.
A project overrides only the files it holds; every error names the template's file and line."""

from __future__ import annotations

import os
import re
import traceback
from pathlib import Path

import jinja2

from ..errors import Problem, UserError
from ..model import Config

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
    """The project's jinja2 templates over the packaged ones; errors name the file and line.
    `compiled`: a folder (in the state folder) to keep them compiled in."""

    def __init__(self, folder: Path, root: Path | None = None, compiled: Path | None = None):
        self.folder = folder
        self.root = root or folder.parent
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), jinja2.FileSystemLoader(PACKAGED)]),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml.j2")),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            bytecode_cache=_Compiled(str(compiled)) if compiled is not None else None,
        )
        self.env.filters["without_mso"] = without_mso

    def render(self, name: str, **context) -> str:
        try:
            return self.env.get_template(name).render(**context)
        except jinja2.TemplateNotFound as exc:
            raise UserError(self._not_found(name, exc)) from None
        except jinja2.TemplateSyntaxError as exc:
            where = exc.name or name
            raise UserError(
                Problem(self._rel(where), f"syntax error: {exc.message}", line=exc.lineno)
            ) from None
        except UnicodeDecodeError:
            raise UserError(self._not_utf8(name)) from None
        except Exception as exc:
            frame = _template_frame(exc)
            if frame is None:  # not the template's doing: a bug, keep the traceback
                raise
            raise UserError(_runtime_problem(self._rel_path(frame.filename), frame.lineno, exc)) from None

    def _not_found(self, name: str, exc: jinja2.TemplateNotFound) -> Problem:
        missing = exc.name or name
        if missing == name:
            return Problem(
                self._rel(name), "template not found", hint=f"restore {name} in the templates folder"
            )
        frame = _template_frame(exc)
        where = self._rel_path(frame.filename) if frame else self._rel(name)
        return Problem(
            where,
            f"includes {missing!r}, which is not found",
            line=frame.lineno if frame else None,
            hint="check the name, or add the file to the templates folder",
        )

    def _not_utf8(self, name: str) -> Problem:
        return Problem(self._rel(name), "is not UTF-8 text", hint="save the template as UTF-8")

    def _rel_path(self, filename: str) -> str:
        path = Path(filename)
        for base in (self.folder, PACKAGED):
            if path.is_relative_to(base):
                return self._rel(path.relative_to(base).as_posix())
        return path.name

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
        except UnicodeDecodeError:
            raise UserError(self._not_utf8(name)) from None

    def _rel(self, name: str) -> str:
        path = self.folder / name
        if not path.exists() and (PACKAGED / name).exists():
            return f"(built-in) templates/{name}"
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def project_templates(config: Config) -> Templates:
    """The project's templates, kept compiled in its state folder."""
    return Templates(config.build.templates_dir, config.root, config.build.state_dir / "compiled-templates")


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Compiled templates, each under its name, file and source's checksum (compiling the index
    page costs about as much as rendering it for 4,561 feeds); best effort: a folder that cannot
    be written keeps nothing."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _template_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of the traceback that runs template code (jinja2 names it after the
    template's file), or None when the template was not running."""
    frames = [
        f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".j2", ".xsl", ".css"))
    ]
    return frames[-1] if frames else None


def _runtime_problem(where: str, line: int | None, exc: BaseException) -> Problem:
    if isinstance(exc, RecursionError):
        message = "recurses without end (a macro or include that calls itself)"
    elif isinstance(exc, jinja2.UndefinedError):
        message = str(exc)
    else:
        message = f"fails while rendering: {type(exc).__name__}: {exc}"
    return Problem(where, message, line=line, hint="see the README for the variables templates can use")
