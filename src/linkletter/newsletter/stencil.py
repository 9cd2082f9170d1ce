"""The email rendered once per issue, with holes where each recipient's unsubscribe URL goes.

The templates render with a placeholder URL that holds a fresh random nonce
(`secrets.token_hex`), made after every bookmark was read, so no bookmark text can contain it: each
place the placeholder appears in the output is a place the template put `unsubscribe_url`. The
templates render twice, with two nonces of different lengths; the stencil is used only when both
outputs split into the same pieces around their placeholder, which proves the output depends on
the URL only by holding it verbatim there (a template that transforms the URL, measures it or
shows it twice differently gets no stencil, and every recipient's email is rendered on its own).

Filling a hole escapes the URL for HTML (attribute and text alike) in the HTML part and leaves
it as it is in the plain-text part. Bookmark text never passes through a replace, so it can
neither reach nor forge a recipient's URL (issue 8, H1).
"""

from __future__ import annotations

import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass

PLACEHOLDER_BASE = "https://unsubscribe.invalid/"


@dataclass(frozen=True)
class Stencil:
    """The HTML and text of the email, split where the unsubscribe URL goes."""

    html: tuple[str, ...]
    text: tuple[str, ...]

    def fill(self, unsubscribe_url: str) -> tuple[str, str]:
        """(html, text) for the recipient whose unsubscribe URL this is."""
        return html.escape(unsubscribe_url).join(self.html), unsubscribe_url.join(self.text)


def placeholder(nonce: str) -> str:
    return PLACEHOLDER_BASE + nonce


def find_stencil(render: Callable[[str], tuple[str, str]]) -> Stencil | None:
    """The stencil of `render(unsubscribe_url) -> (html, text)`, or None when the output does
    not hold the URL verbatim (then each recipient's email must be rendered on its own)."""
    first, second = placeholder(secrets.token_hex(16)), placeholder(secrets.token_hex(20))
    html_a, text_a = render(first)
    html_b, text_b = render(second)
    pieces = (tuple(html_a.split(first)), tuple(text_a.split(first)))
    if pieces != (tuple(html_b.split(second)), tuple(text_b.split(second))):
        return None
    return Stencil(*pieces)
