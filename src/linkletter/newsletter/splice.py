"""Each recipient's message spliced from bytes made once per issue.

`message.build_message` builds a message with the email package, which takes milliseconds per
recipient. A `Splicer` builds what every recipient shares once (From, Subject, List-Id, the part
headers, and each body part encoded up to the line, or the 57-byte base64 group, before the first
unsubscribe URL) and writes per recipient only To, Date, Message-ID, List-Unsubscribe, the MIME
boundary (from the Message-ID, as `build_message` does) and the rest of each part, encoded as
encoding the whole part would encode it. Header lines are folded by the same policy as
`build_message`'s; the bodies are the edition's stencil (see stencil.py) filled with the
recipient's URL. An edition without a stencil falls back to `build_message`.
"""

from __future__ import annotations

import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.utils import format_datetime
from html import escape
from typing import TYPE_CHECKING, NamedTuple

from .message import (
    POLICY,
    Unsubscribe,
    build_message,
    header_text,
    message_bytes,
    message_id,
    sender_domain,
    to_address,
    transfer_encoding,
    unsubscribe_url,
)

if TYPE_CHECKING:
    from ..model import DigestSpec, Recipient
    from .render import Edition

CRLF = b"\r\n"
LINE = 76  # POLICY.max_line_length
BASE64_GROUP = 57  # bytes per 76-character base64 line
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class Wire(NamedTuple):
    """One recipient's message as it goes to the server."""

    data: bytes
    message_id: str


def header_line(name: str, value: str | Address) -> bytes:
    """The header as the email package writes it with `POLICY` (folded, encoded words)."""
    return POLICY.fold_binary(name, POLICY.header_store_parse(name, value)[1])


def short_line(name: str, value: str) -> bytes:
    """`header_line` for an ASCII value that fits on one line, without the parsing."""
    line = f"{name}: {value}"
    if len(line) <= LINE and value.isascii() and value.isprintable():
        return line.encode("ascii") + CRLF
    return header_line(name, value)


def to_line(recipient: Recipient) -> bytes:
    name = header_text(recipient.name)
    if not name and _PLAIN_ADDRESS.fullmatch(recipient.address):
        return short_line("To", recipient.address)
    return header_line("To", to_address(recipient))


def crlf_lines(text: str) -> bytes:
    """UTF-8 with CRLF line ends (from CR, LF or CRLF), as the email package writes a body."""
    return text.encode("utf-8").replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", CRLF)


def encode_qp(data: bytes) -> bytes:
    return binascii.b2a_qp(data, istext=True)


def encode_base64(data: bytes) -> bytes:
    return b"".join(
        binascii.b2a_base64(data[i : i + BASE64_GROUP], newline=False) + CRLF
        for i in range(0, len(data), BASE64_GROUP)
    )


@dataclass(frozen=True)
class Part:
    """A text part: its headers, the encoded start everyone shares, and the rest, split where
    the recipient's URL goes."""

    head: bytes
    cte: str
    fixed: bytes
    rest: tuple[bytes, ...]

    @classmethod
    def build(cls, subtype: str, pieces: tuple[str, ...]) -> Part:
        chunks = [crlf_lines(piece) for piece in pieces]
        if not chunks[-1].endswith(CRLF):
            chunks[-1] += CRLF
        cte = transfer_encoding("".join(pieces))
        first = chunks[0]
        if len(chunks) == 1:
            cut = len(first)
        elif cte == "base64":
            cut = len(first) // BASE64_GROUP * BASE64_GROUP
        else:
            cut = first.rfind(CRLF) + 2 if CRLF in first else 0
        head = f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'
        part = cls(head.encode("ascii"), cte, b"", (first[cut:], *chunks[1:]))
        return cls(part.head, cte, part.encode(first[:cut]), part.rest)

    def encode(self, data: bytes) -> bytes:
        return encode_base64(data) if self.cte == "base64" else encode_qp(data)

    def body(self, url: bytes) -> bytes:
        return self.fixed + self.encode(url.join(self.rest))


class Splicer:
    """Messages of one edition for any recipient; `test` marks test copies (as build_message)."""

    def __init__(self, edition: Edition, spec: DigestSpec, unsubscribe: Unsubscribe, test: bool = False):
        self.edition, self.spec, self.unsubscribe, self.test = edition, spec, unsubscribe, test
        self.domain = sender_domain(spec.sender)
        self.slug = edition.digest.issue.slug
        stencil = edition.stencil
        self.parts = None
        if stencil is not None:
            self.parts = (Part.build("plain", stencil.text), Part.build("html", stencil.html))
        subject = header_text(("[TEST] " if test else "") + edition.digest.subject)
        self.from_line = header_line("From", header_text(spec.sender))
        self.subject_line = header_line("Subject", subject)
        reply_to = header_line("Reply-To", header_text(spec.reply_to)) if spec.reply_to else b""
        self.list_lines = reply_to + short_line("List-Id", f"<{spec.path}.{self.domain}>")
        self.mailto = f", <mailto:{unsubscribe.mailto}?subject=unsubscribe>" if unsubscribe.mailto else ""

    def message(self, recipient: Recipient, date: datetime) -> Wire:
        """The message for `recipient`, dated `date`."""
        if self.parts is None:
            built = build_message(self.edition, self.spec, recipient, self.unsubscribe, date, self.test)
            return Wire(message_bytes(built), built["Message-ID"])
        url = unsubscribe_url(self.unsubscribe, recipient, self.slug)
        identifier = message_id(self.slug, recipient, self.domain, self.test)
        boundary = ("==linkletter-" + hashlib.sha256(identifier.encode()).hexdigest()[:32]).encode("ascii")
        text, markup = self.parts
        head = b"".join(
            (
                self.from_line,
                to_line(recipient),
                self.subject_line,
                short_line("Date", format_datetime(date)),
                short_line("Message-ID", identifier),
                self.list_lines,
                f"List-Unsubscribe: <{url}>{self.mailto}\r\n".encode("ascii"),
                b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\n",
                b'Content-Type: multipart/alternative;\r\n boundary="' + boundary + b'"\r\n\r\n',
            )
        )
        delimiter = b"--" + boundary
        raw, escaped = url.encode("ascii"), escape(url).encode("ascii")
        data = b"".join(
            (
                head,
                delimiter + CRLF + text.head + text.body(raw),
                CRLF + delimiter + CRLF + markup.head + markup.body(escaped),
                CRLF + delimiter + b"--" + CRLF,
            )
        )
        return Wire(data, identifier)
