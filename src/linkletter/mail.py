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
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from urllib.parse import quote

from .model import UNSUBSCRIBE_PLACEHOLDER, Digest, DigestSpec, Issue, Recipient, SmtpSpec

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


# --- transports ------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A reply or failure for one message. `permanent` (5xx) is not retried."""

    def __init__(self, detail: str, permanent: bool):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


class ConnectionFailure(Exception):
    """The server could not be reached or dropped the connection; worth retrying."""


class FatalSendError(Exception):
    """Retrying cannot help (authentication refused, TLS impossible)."""


class SmtpTransport:
    """One SMTP connection, opened lazily and reopened after it drops."""

    def __init__(self, spec: SmtpSpec, password: str | None):
        self.spec = spec
        self.password = password
        self.client: smtplib.SMTP | None = None

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        client = self._connect()
        try:
            client.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise DeliveryError(_reply(code, reply), permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            reply = _reply(exc.smtp_code, exc.smtp_error)
            if exc.smtp_code >= 500:  # about the sender, not this recipient: nobody can be mailed
                raise FatalSendError(f"the server refused the sender {sender}: {reply}") from None
            raise DeliveryError(reply, permanent=False) from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                _reply(exc.smtp_code, exc.smtp_error), permanent=exc.smtp_code >= 500
            ) from None
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop()
            raise ConnectionFailure(f"the connection was lost: {exc}") from None

    def _connect(self) -> smtplib.SMTP:
        if self.client is not None:
            return self.client
        spec = self.spec
        try:
            if spec.security == "tls":
                client = smtplib.SMTP_SSL(
                    spec.host, spec.port, timeout=spec.timeout, context=ssl.create_default_context()
                )
            else:
                client = smtplib.SMTP(spec.host, spec.port, timeout=spec.timeout)
            if spec.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if spec.user:
                client.login(spec.user, self.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            raise FatalSendError(
                f"the server refused the login for user {spec.user!r}: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise FatalSendError(f"{spec.host}:{spec.port} does not support {exc}") from None
        except socket.gaierror as exc:
            raise ConnectionFailure(f"cannot resolve the host name {spec.host!r}: {exc.strerror}") from None
        except ssl.SSLError as exc:
            raise FatalSendError(f"TLS with {spec.host}:{spec.port} failed: {exc.reason}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailure(f"cannot talk to {spec.host}:{spec.port}: {_describe(exc)}") from None
        self.client = client
        return client

    def _drop(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            finally:
                self.client = None

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self._drop()


class OutboxTransport:
    """--dry-run: each message becomes an .eml file in a folder instead of being sent."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        safe = "".join(ch if ch.isalnum() or ch in "@.-_" else "_" for ch in recipient)
        (self.folder / f"{self.count:05d}-{safe}.eml").write_bytes(data)

    def close(self) -> None:
        pass


def _reply(code, reply) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"{code} {text}".strip()


def _describe(exc: BaseException) -> str:
    cause = exc
    while cause is not None:
        if isinstance(cause, TimeoutError | socket.timeout):
            return "no answer before the timeout"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        cause = cause.__context__
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
