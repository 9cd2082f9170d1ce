"""A shown bookmark's body: Markdown rendered and sanitised (`markup`), capped in size, and the
description it implies (the body's first paragraph when the file gave none).

Only the bookmarks a feed or an issue shows need this, so `build` finishes those alone; `check`
and the digest finish every bookmark. The result depends on the bookmark's values only, so it can
be remembered (`memo`) from one build to the next under `finish_key`."""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Iterable, MutableMapping
from dataclasses import replace

from ..errors import WARNING, Problem
from ..model import Bookmark, Unrendered
from ..values.pools import forked_pool
from ..values.text import plain_text, shorten

MAX_BODY = 64 * 1024
PARALLEL_FROM = 200  # bodies to render (about 0.1 s of work); fewer are rendered in this process
CHUNK = 25

Finished = tuple[str, str, bool, tuple[Problem, ...]]  # body_html, description, in body, problems


def finish_bookmarks(
    bookmarks: Iterable[Bookmark], memo: MutableMapping[str, Finished] | None = None
) -> tuple[dict[str, Bookmark], list[Problem]]:
    """{id: finished bookmark} for bookmarks still in Markdown, and their problems. `memo` is
    read and filled in (finish_key -> result)."""
    todo = {b.id: b for b in bookmarks if b.unrendered is not None}
    keys = {i: finish_key(b) for i, b in todo.items()}
    memo = memo if memo is not None else {}
    missing = [b for i, b in todo.items() if keys[i] not in memo]
    for bookmark, result in zip(missing, render_bodies(missing), strict=True):
        memo[keys[bookmark.id]] = result
    done: dict[str, Bookmark] = {}
    problems: list[Problem] = []
    for i, bookmark in todo.items():
        body_html, description, in_body, found = memo[keys[i]]
        done[i] = replace(
            bookmark, body_html=body_html, description=description, description_in_body=in_body, unrendered=None
        )
        problems += found
    return done, problems


def render_bodies(bookmarks: list[Bookmark], workers: int | None = None) -> list[Finished]:
    """`render_body` for each, on every core when there are many (same results, same order)."""
    jobs = [(b.unrendered, b.link, b.description) for b in bookmarks]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if len(jobs) < PARALLEL_FROM or workers < 2:
        return _render_chunk(jobs)
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    from .markup import markdown_parser

    markdown_parser()  # made before the workers fork, so they inherit it instead of each importing it
    with forked_pool(workers) as pool:
        return [result for chunk in pool.map(_render_chunk, chunks) for result in chunk]


def _render_chunk(jobs: list) -> list[Finished]:
    return [render_body(body, link, description) for body, link, description in jobs]


def finish_all(bookmarks: list[Bookmark], memo: MutableMapping[str, Finished] | None = None) -> tuple[list[Bookmark], list[Problem]]:
    """Every bookmark finished, in the same order."""
    done, problems = finish_bookmarks(bookmarks, memo)
    return [done.get(b.id, b) for b in bookmarks], problems


def finish_key(bookmark: Bookmark) -> str:
    """What the finished body depends on: the Markdown, the link it is resolved against, the
    description, and the file problems are reported at."""
    body = bookmark.unrendered
    assert body is not None
    parts = (body.markdown, bookmark.link, bookmark.description, body.source, str(body.described), str(body.line))
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def render_body(body: Unrendered, link: str, description: str) -> Finished:
    from .markup import first_paragraph, render_markdown  # markdown-it: only when a body is rendered

    problems: list[Problem] = []
    body_html, too_costly = render_markdown(body.markdown, link)
    if too_costly:
        problems.append(
            _warning(body, f"{too_costly}; its start is shown as plain text", "simplify the HTML in the body")
        )
    if len(body_html) > MAX_BODY:
        problems.append(
            _warning(
                body,
                f"is {len(body_html) // 1024} KB as HTML; a feed item carries at most {MAX_BODY // 1024} KB, "
                "so its start is shown as plain text",
                "keep long notes elsewhere and link to them",
            )
        )
        body_html = f"<p>{html.escape(shorten(plain_text(body_html), 2_000))}</p>"
    if not body.described:
        description = first_paragraph(body.markdown)
    return body_html, description, _starts_with(plain_text(body_html), description), tuple(problems)


def _warning(body: Unrendered, message: str, hint: str) -> Problem:
    return Problem(body.source, message, line=body.line, field="body", hint=hint, severity=WARNING)


def _starts_with(text: str, prefix: str) -> bool:
    prefix = prefix.rstrip("….").strip()
    return bool(prefix) and text.startswith(prefix)
