"""Split a bookmark file into its front matter and its Markdown body. The front matter is YAML
between `---` lines (the seed's format), TOML between `+++` lines, or a JSON object at the very
start of the file (both as Hugo writes them)."""

from __future__ import annotations

import json
import re

from ..errors import ValueProblem

FENCE = "---"
TOML_FENCE = "+++"


def front_matter_kind(text: str) -> str:
    """'yaml', 'toml' or 'json', from the file's first line."""
    first = _first_line(text.lstrip("\ufeff")).rstrip()
    if first == TOML_FENCE:
        return "toml"
    return "json" if first.startswith("{") else "yaml"


def split_document(text: str) -> tuple[str, int, str, int]:
    """Return (front matter, its first line, body, body's first line). Text has LF line ends."""
    if not text or text.isspace():
        raise ValueProblem("the file is empty", "a bookmark starts with a '---' line")
    kind = front_matter_kind(text)
    if kind == "json":
        return _split_json(text)
    fence = TOML_FENCE if kind == "toml" else FENCE
    if _first_line(text).rstrip() != fence:
        raise ValueProblem(
            "no front matter: the first line must be '---'", "see the README for the format", line=1
        )
    start = text.find("\n")
    closing = _CLOSING[kind].search(text, start) if start >= 0 else None
    if closing is None:
        raise ValueProblem("the front matter is never closed", f"add a line '{fence}' after the last key", line=1)
    front = text[start + 1 : closing.start()]
    return front, 2, text[closing.end() + 1 :], text.count("\n", 0, closing.start() + 1) + 2


# The line break before a line that closes the front matter: the fence (YAML also `...`) and
# nothing but spaces after it (`\s` is what `str.rstrip` strips).
_CLOSING = {
    "yaml": re.compile(r"\n(?:---|\.\.\.)[^\S\n]*(?=\n|\Z)"),
    "toml": re.compile(r"\n\+\+\+[^\S\n]*(?=\n|\Z)"),
}


def _first_line(text: str) -> str:
    end = text.find("\n")
    return text if end < 0 else text[:end]


def _split_json(text: str) -> tuple[str, int, str, int]:
    """A JSON object at the start of the file, then the body."""
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as exc:
        raise ValueProblem(f"invalid JSON: {exc.msg}", line=exc.lineno) from None
    except RecursionError:
        raise ValueProblem("JSON nested too deeply", line=1) from None
    rest = text[end:]
    skipped = rest[: len(rest) - len(rest.lstrip(" \t"))]
    if rest.lstrip(" \t")[:1] not in ("", "\n"):
        line = text[:end].count("\n") + 1
        raise ValueProblem(
            "the JSON front matter must end its line", "start the body on the next line", line=line
        )
    body = rest[len(skipped) + 1 :]
    return text[:end], 1, body, text[:end].count("\n") + 2
