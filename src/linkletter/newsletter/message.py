"""A `Digest` plus one recipient becomes an `EmailMessage`; transports deliver it.

- multipart/alternative, text/plain first, then text/html, both UTF-8 quoted-printable (premailer
  writes long lines; SMTP allows 998 characters);
- a Message-ID that depends only on (issue, recipient), so a retry carries the same one;
- RFC 8058 one-click unsubscribe (`List-Unsubscribe` with an https URL and a mailto, plus
  `List-Unsubscribe-Post`), generated with a policy whose line limit keeps the header from
  being folded into RFC 2047 encoded words;
- bytes are produced with CRLF line ends (policy SMTP) and handed to smtplib as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import html
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, parseaddr
from urllib.parse import quote

from ..model import UNSUBSCRIBE_PLACEHOLDER, Digest, DigestSpec, Issue, Recipient

POLICY = SMTP_POLICY.clone(max_line_length=998)


@dataclass(frozen=True)
class Unsubscribe:
    url_template: str  # may hold {email}, {token}, {issue}
    mailto: str
    secret: str | None


def sender_domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2].lower()


def message_id(issue_slug: str, recipient: Recipient, domain: str) -> str:
    token = hashlib.sha256(f"{issue_slug}\n{recipient.key}".encode()).hexdigest()[:24]
    return f"<linkletter.{issue_slug}.{token}@{domain}>"


def unsubscribe_token(secret: str, recipient: Recipient) -> str:
    return hmac.new(secret.encode(), recipient.key.encode(), hashlib.sha256).hexdigest()[:32]


def unsubscribe_url(unsubscribe: Unsubscribe, recipient: Recipient, issue_slug: str) -> str:
    token = unsubscribe_token(unsubscribe.secret, recipient) if unsubscribe.secret else ""
    return (
        unsubscribe.url_template.replace("{email}", quote(recipient.address, safe="@"))
        .replace("{token}", token)
        .replace("{issue}", quote(issue_slug))
    )


def build_message(
    digest: Digest, spec: DigestSpec, recipient: Recipient, unsubscribe: Unsubscribe, date: datetime
) -> EmailMessage:
    url = unsubscribe_url(unsubscribe, recipient, digest.issue.slug)
    domain = sender_domain(spec.sender)
    message = EmailMessage(policy=POLICY)
    message["From"] = header_text(spec.sender)
    name = header_text(recipient.name)
    message["To"] = formataddr((name, recipient.address)) if name else recipient.address
    message["Subject"] = header_text(digest.subject)
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id(digest.issue.slug, recipient, domain)
    if spec.reply_to:
        message["Reply-To"] = header_text(spec.reply_to)
    message["List-Id"] = f"<{spec.path}.{domain}>"
    unsubscribe_targets = [f"<{url}>"] + (
        [f"<mailto:{unsubscribe.mailto}?subject=unsubscribe>"] if unsubscribe.mailto else []
    )
    message["List-Unsubscribe"] = ", ".join(unsubscribe_targets)
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    text = digest.text.replace(UNSUBSCRIBE_PLACEHOLDER, url)
    markup = digest.html.replace(UNSUBSCRIBE_PLACEHOLDER, html.escape(url))
    message.set_content(text, charset="utf-8", cte=transfer_encoding(text))
    message.add_alternative(markup, subtype="html", charset="utf-8", cte=transfer_encoding(markup))
    message.set_boundary("==linkletter-" + hashlib.sha256(message["Message-ID"].encode()).hexdigest()[:32])
    return message


def header_text(value: str) -> str:
    """Text that is safe as a header value: one line, and no `=?` that the email package would
    decode as an RFC 2047 encoded word (which could smuggle in a line break and a new header,
    e.g. a bookmark title `=?utf-8?q?x=0D=0ABcc:_someone?=`). An invisible word joiner splits it."""
    return " ".join(value.split()).replace("=?", "=\u2060?")


def transfer_encoding(content: str) -> str:
    """quoted-printable for mostly-ASCII text (readable, small); base64 when non-ASCII bytes are
    many, since quoted-printable triples each of them."""
    data = content.encode("utf-8")
    non_ascii = sum(byte > 127 for byte in data)
    return "base64" if 2 * non_ascii > len(data) // 3 else "quoted-printable"


def message_size(spec: DigestSpec, html_part: str, text_part: str) -> int:
    """The size of a digest message as sent, for a long recipient address and unsubscribe URL."""
    probe = Digest(Issue(0, "0000-00-00", None, None, ()), "s" * 120, "", html_part, text_part, "", "")
    recipient = Recipient("r" * 64 + "@" + "d" * 60 + ".example", "N" * 40)
    unsubscribe = Unsubscribe(
        spec.unsubscribe_url or "https://example.org/u?e={email}", spec.unsubscribe_mailto, "secret"
    )
    return len(message_bytes(build_message(probe, spec, recipient, unsubscribe, datetime(2000, 1, 1))))


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire: CRLF line ends, nothing folded into encoded words."""
    return message.as_bytes(policy=POLICY)
