"""Text from user files made safe and plain: characters XML cannot carry removed, tags and
entities turned into plain text, long text shortened at a word, names folded into keys."""

from __future__ import annotations

import html
import html.entities
import re
import unicodedata

import nh3

# C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF: XML 1.0 cannot carry them.
# DEL, C1 controls and U+FFFD (the mark of a failed decoding) are allowed but never meant, and
# the W3C validator warns about them ("BadCharacters").
UNWANTED_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd-\uffff]")
_SPACES = re.compile(r"\s+")
_SEPARATORS = re.compile(r"[\s_\-]+")
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
    return _SPACES.sub(" ", text).strip() if _is_plain(text) else markup_to_text(text)


def markup_to_text(text: str) -> str:
    """`plain_text` of text that may hold markup, the long way (every round of the cleaner)."""
    for _ in range(MAX_ROUNDS):
        decoded = clean_text(html.unescape(_to_text.clean(text)))
        done = decoded == text or _is_plain(decoded)  # plain text: the next round changes nothing
        text = decoded
        if done:
            break
    return _SPACES.sub(" ", _defuse(text)).strip()


MAX_ROUNDS = 12
# Text without these reads the same to the HTML cleaner (a leading BOM it drops), so the common
# case, a title without markup, skips it.
_NOT_PLAIN = re.compile("[<&\ufeff]")


def _is_plain(text: str) -> bool:
    return _NOT_PLAIN.search(text) is None


_MARKUP_START = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(#?\w+)")
_ENTITY_NAMES = frozenset(name.rstrip(";") for name in html.entities.html5)


def defused(text: str) -> str:
    """Text that is not markup, with what would still read as markup defused (`plain_text`)."""
    return _defuse(text)


def _defuse(text: str) -> str:
    text = _MARKUP_START.sub("< ", text)
    return _ENTITY_LIKE.sub(lambda m: f"& {m.group(1)}" if _reads_as_entity(m.group(1)) else m.group(), text)


def _reads_as_entity(word: str) -> bool:
    """Whether `&word` reads as markup to an HTML reader or the W3C validator: a number, a name, a
    legacy name without `;` at its start (`&ltimg` reads as `<img`), or (the validator's rule)
    anything but letters (`&x2`)."""
    return (
        word[0] == "#"
        or not word.isalpha()
        or word in _ENTITY_NAMES
        or html.unescape("&" + word) != "&" + word
    )


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def category_key(name: str) -> str:
    """What makes two category names one category: NFKC, case-folded, runs of spaces, `-` and `_`
    made one space ("AI", " ai ", "Machine-Learning" and "machine learning")."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub(" ", text).strip()
