"""Text and HTML from bookmarks: Markdown rendering, sanitising, and plain text.

Everything that leaves here is safe to put into XML and HTML: characters XML forbids are removed,
HTML is sanitised by nh3 (ammonia) with an allowlist, and only absolute http(s) URLs survive.
"""

from __future__ import annotations

import html
import html.entities
import re
from urllib.parse import urljoin, urlsplit

import nh3
from markdown_it import MarkdownIt

# C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF: XML 1.0 cannot carry them.
# DEL, C1 controls and U+FFFD (the mark of a failed decoding) are allowed but never meant, and
# the W3C validator warns about them ("BadCharacters").
UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd-\uffff]")
_SPACES = re.compile(r"\s+")
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

_markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_to_text = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})


def clean_text(value: str) -> str:
    """Drop the characters that XML 1.0 forbids and the ones feeds should not carry."""
    return UNWANTED_CHARACTERS.sub("", value)


def plain_text(value: str) -> str:
    """Text from something that may hold tags and entities: tags dropped and entities decoded
    until neither changes anything (`&lt;b&gt;` is a tag too), whitespace collapsed, and what
    would still read as markup defused (`<a` becomes `< a`, `&copy` `& copy`). A title is text,
    not HTML; feed readers and the W3C validator must not see HTML in it."""
    text = clean_text(value)
    for _ in range(5):
        decoded = clean_text(html.unescape(_to_text.clean(text)))
        if decoded == text:
            break
        text = decoded
    return _SPACES.sub(" ", _defuse(text)).strip()


_MARKUP_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(#[xX0-9]|[A-Za-z][A-Za-z0-9]*)")
_ENTITY_NAMES = frozenset(name.rstrip(";") for name in html.entities.html5)


def _defuse(text: str) -> str:
    text = _MARKUP_START.sub("< ", text)
    return _ENTITY_LIKE.sub(
        lambda m: (
            f"& {m.group(1)}" if m.group(1).startswith("#") or m.group(1) in _ENTITY_NAMES else m.group(0)
        ),
        text,
    )


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


def render_markdown(source: str, base: str | None = None) -> str:
    """Markdown (CommonMark, tables, strikethrough, inline HTML) to sanitised HTML."""
    if not source.strip():
        return ""
    return sanitise_html(_markdown.render(clean_text(source)), base)


def first_paragraph(source: str, limit: int = 300) -> str:
    """The plain text of the first paragraph of a Markdown body, shortened at a word."""
    tokens = _markdown.parse(clean_text(source))
    for index, token in enumerate(tokens):
        if token.type == "paragraph_open" and index + 1 < len(tokens):
            inline = tokens[index + 1]
            rendered = _markdown.renderer.render(inline.children or [], _markdown.options, {})
            return shorten(plain_text(rendered), limit)
    return ""


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"
