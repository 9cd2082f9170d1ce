"""HTML from bookmarks: Markdown rendering and sanitising.

Everything that leaves here is safe to put into XML and HTML: characters XML forbids are removed,
HTML is sanitised by nh3 (ammonia) with an allowlist, and only absolute http(s) URLs survive.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

from ..values.text import clean_text, plain_text, shorten

_IMG_WITHOUT_SRC = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")

ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br cite code dd del dl dt em h1 h2 h3 h4 h5 h6 hr i img ins kbd li ol p pre "
    "q s small strong sub sup table tbody td tfoot th thead tr u ul".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
_URL_ATTRIBUTES = frozenset({"href", "src", "cite"})

_MARKDOWN: list = []


def markdown_parser():
    """The Markdown parser, made on first use (importing markdown-it costs a rebuild that renders
    nothing)."""
    if not _MARKDOWN:
        from markdown_it import MarkdownIt

        _MARKDOWN.append(MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]))
    return _MARKDOWN[0]


def is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def absolute_web_url(value: str, base: str | None) -> str | None:
    """`value` resolved against `base`, if the result is an absolute http(s) URL."""
    value = value.strip()
    try:
        url = urljoin(base, value) if base else value
    except ValueError:
        return None
    return url if is_web_url(url) else None


def sanitise_html(fragment: str, base: str | None = None) -> str:
    """Allowlisted HTML only; relative URLs resolved against `base`; other schemes dropped."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return absolute_web_url(value, base)
        return value

    cleaner = nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=keep,
        url_schemes={"http", "https"},
        clean_content_tags={"script", "style"},
        link_rel="noopener noreferrer",
    )
    cleaned = cleaner.clean(clean_text(fragment))
    return clean_text(_IMG_WITHOUT_SRC.sub("", cleaned)).strip()


MAX_TAGS = 5_000
MAX_DEPTH = 64
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*?(/?)>")
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def render_markdown(source: str, base: str | None = None) -> tuple[str, str | None]:
    """Markdown (CommonMark, tables, strikethrough, inline HTML) to sanitised HTML, and why it
    was shown as plain text instead: sanitising costs time that grows quadratically with the
    nesting, so a body with too many tags or too deep a nesting is not sanitised but reduced to
    text (escaped) first."""
    if not source.strip():
        return "", None
    rendered = markdown_parser().render(clean_text(source))
    problem = too_much_markup(rendered)
    if problem:
        text = html.escape(
            shorten(_SPACES.sub(" ", html.unescape(_ANY_TAG.sub(" ", rendered))).strip(), 2_000)
        )
        return f"<p>{text}</p>", problem
    return sanitise_html(rendered, base), None


_ANY_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def too_much_markup(fragment: str) -> str | None:
    """Why this HTML is too costly to sanitise, or None."""
    depth = deepest = tags = 0
    for match in _TAG.finditer(fragment):
        tags += 1
        if match.group(1):
            depth = max(depth - 1, 0)
        elif not match.group(3) and match.group(2).lower() not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
        if tags > MAX_TAGS:
            return f"has more than {MAX_TAGS} HTML tags"
    return f"nests HTML {deepest} levels deep (at most {MAX_DEPTH})" if deepest > MAX_DEPTH else None


def first_paragraph(source: str, limit: int = 300) -> str:
    """The plain text of the first paragraph of a Markdown body, shortened at a word."""
    markdown = markdown_parser()
    tokens = markdown.parse(clean_text(source))
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            inline = tokens[index + 1]
            rendered = markdown.renderer.render(inline.children or [], markdown.options, {})
            return shorten(plain_text(rendered), limit)
    return ""
