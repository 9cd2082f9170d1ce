"""How big a digest message is as sent, and word-boundary shortening of what can be shortened."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..model import DigestSpec, Recipient
from .message import Unsubscribe

if TYPE_CHECKING:
    from .render import Edition

MAX_FIELD = 80  # characters of a brand or category name shown in the email
LONG_RECIPIENT = Recipient("r" * 64 + "@" + "d" * 60 + ".example", "N" * 40)


def message_size(spec: DigestSpec, edition: Edition) -> int:
    """The size of the edition's message as sent, for a long recipient address and unsubscribe URL."""
    unsubscribe = Unsubscribe(
        spec.unsubscribe_url or "https://example.org/u?t={token}&e={email}", spec.unsubscribe_mailto, "secret"
    )
    from .splice import Splicer  # splice imports message, which render (importing this) needs first

    return len(Splicer(edition, spec, unsubscribe).message(LONG_RECIPIENT, datetime(2000, 1, 1)).data)


def shorten_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis; a single
    word longer than that is cut where it must be."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > 0 and not text[limit - 1].isspace():
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"
