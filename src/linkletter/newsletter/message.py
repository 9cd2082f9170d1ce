"""An edition plus one recipient becomes an `EmailMessage`; transports deliver it.

- multipart/alternative, text/plain first, then text/html, both UTF-8; quoted-printable or base64
  body lines and encoded words in headers stay within RFC 2045/2047's 76 and 75 characters;
- the recipient's unsubscribe URL is rendered by the templates for that recipient (see
  `render.Edition`): bookmark text never passes through a replace that could plant it;
- a Message-ID that depends only on (issue, recipient), so a retry carries the same one; a test
  copy (`send --to`) gets its own, and "[TEST]" in the subject;
- RFC 8058 one-click unsubscribe (`List-Unsubscribe` with an https URL and a mailto, plus
  `List-Unsubscribe-Post`); that header is written as it is (ASCII, never an encoded word, which
  one-click parsers cannot read);
- bytes are produced with CRLF line ends (policy SMTP) and handed to smtplib as they are.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formataddr, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..model import Recipient

if TYPE_CHECKING:
    from ..model import DigestSpec
    from .render import Edition

_VERBATIM = frozenset({"list-unsubscribe"})
_PRINTABLE_ASCII = "".join(chr(c) for c in range(33, 127))


class _Policy(EmailPolicy):
    """SMTP line ends and 76-character lines, except for headers that must stay verbatim."""

    def fold_binary(self, name, value):
        if name.lower() in _VERBATIM:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        if name.lower() == "subject":
            if value.isascii():
                return _fold_at_spaces(name, value, self.max_line_length, self.linesep)
            return _encoded_words(name, value, self.max_line_length, self.linesep)
        return super().fold_binary(name, value)


def _encoded_words(name: str, value: str, width: int, linesep: str) -> bytes:
    """A non-ASCII header as RFC 2047 encoded words, spaces inside them. The email package's
    folder (Python 3.11) moves the value to the next line when its first word is long, doubles a
    space before a folded encoded word and drops the one between two encoded words; the older
    `email.header.Header` encoder keeps the text exact (a property test reads every subject back)."""
    encoded = Header(value, "utf-8", header_name=name).encode(linesep=linesep, maxlinelen=width)
    return f"{name}: {encoded}{linesep}".encode("ascii")


def _fold_at_spaces(name: str, value: str, width: int, linesep: str) -> bytes:
    """An ASCII header folded at spaces, its first words always on the header's own line (the
    email package would move the whole value to the next line when its first word is long, which
    readers then show with a leading space)."""
    lines, line = [], f"{name}:"
    for word in value.split(" "):
        if len(line) + 1 + len(word) > width and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return (linesep.join(lines) + linesep).encode("ascii")


POLICY = _Policy(linesep="\r\n", max_line_length=76)


@dataclass(frozen=True)
class Unsubscribe:
    url_template: str  # may hold {email}, {token}, {issue}
    mailto: str
    secret: str | None


def sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2].lower()


def message_id(issue_slug: str, recipient: Recipient, domain: str, test: bool = False) -> str:
    kind = "test." if test else ""
    token = hashlib.sha256(f"{kind}{issue_slug}\n{recipient.key}".encode()).hexdigest()[:24]
    return f"<linkletter.{kind}{issue_slug}.{token}@{domain}>"


def unsubscribe_token(secret: str, recipient: Recipient) -> str:
    return hmac.new(secret.encode(), recipient.key.encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(unsubscribe: Unsubscribe, recipient: Recipient, issue_slug: str) -> str:
    """The recipient's URL, ASCII only: whatever is not ASCII in the template is percent-encoded."""
    token = unsubscribe_token(unsubscribe.secret, recipient) if unsubscribe.secret else ""
    filled = (
        unsubscribe.url_template.replace("{email}", quote(recipient.address, safe="@"))
        .replace("{token}", token)
        .replace("{issue}", quote(issue_slug))
    )
    return quote(filled, safe=_PRINTABLE_ASCII)


def build_message(
    edition: Edition,
    spec: DigestSpec,
    recipient: Recipient,
    unsubscribe: Unsubscribe,
    date: datetime,
    test: bool = False,
) -> EmailMessage:
    """The message for one recipient; `test` marks a test copy (own Message-ID, "[TEST]")."""
    digest = edition.digest
    url = unsubscribe_url(unsubscribe, recipient, digest.issue.slug)
    domain = sender_domain(spec.sender)
    message = EmailMessage(policy=POLICY)
    message["From"] = header_text(spec.sender)
    message["To"] = to_address(recipient)
    message["Subject"] = header_text(("[TEST] " if test else "") + digest.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(digest.issue.slug, recipient, domain, test)
    if spec.reply_to:
        message["Reply-To"] = header_text(spec.reply_to)
    message["List-Id"] = f"<{spec.path}.{domain}>"
    unsubscribe_targets = [f"<{url}>"] + (
        [f"<mailto:{unsubscribe.mailto}?subject=unsubscribe>"] if unsubscribe.mailto else []
    )
    message["List-Unsubscribe"] = ", ".join(unsubscribe_targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    markup, text = edition.render(url)
    message.set_content(text, charset="utf-8", cte=transfer_encoding(text))
    message.add_alternative(markup, subtype="html", charset="utf-8", cte=transfer_encoding(markup))
    message.set_boundary("==linkletter-" + hashlib.sha256(message["Message-ID"].encode()).hexdigest()[:32])
    return message


def to_address(recipient: Recipient) -> Address | str:
    """The To header's value. An `Address`, not `formataddr`'s text: the header would parse that
    text again, and a name such as `Zoë (work)` came back as `Zoë` with a comment."""
    name = header_text(recipient.name)
    if not name:
        return recipient.address
    try:
        return Address(display_name=name, addr_spec=recipient.address)
    except ValueError:  # an address the email package will not take apart (not ASCII): as before
        return formataddr((name, recipient.address))


def header_text(value: str) -> str:
    """Text that is safe as a header value: one line, no control characters (NUL included), and
    no `=?` that the email package would decode as an RFC 2047 encoded word (which could smuggle
    in a line break and a new header, e.g. a bookmark title `=?utf-8?q?x=0D=0ABcc:_someone?=`).
    An invisible word joiner splits it."""
    printable = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(printable.split()).replace("=?", "=\u2060?")


def transfer_encoding(content: str) -> str:
    """quoted-printable for mostly-ASCII text (readable, small); base64 when non-ASCII bytes are
    many, since quoted-printable triples each of them."""
    data = content.encode("utf-8")
    non_ascii = sum(byte > 127 for byte in data)
    return "base64" if 2 * non_ascii > len(data) // 3 else "quoted-printable"


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire: CRLF line ends, lines of at most 76 characters."""
    return message.as_bytes(policy=POLICY)
