"""Split a bookmark file into its YAML front matter and its Markdown body."""

from __future__ import annotations

from ..errors import ValueProblem

FENCE = "---"


def split_document(text: str) -> tuple[str, int, str, int]:
    """Return (front matter, its first line, body, body's first line). Text has LF line ends."""
    if not text.strip():
        raise ValueProblem("the file is empty", "a bookmark starts with a '---' line")
    lines = text.split("\n")
    if lines[0].rstrip() != FENCE:
        raise ValueProblem(
            "no front matter: the first line must be '---'", "see the README for the format", line=1
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, 2, body, index + 2
    raise ValueProblem("the front matter is never closed", "add a line '---' after the last key", line=1)
