"""Transports deliver a message's bytes: SMTP (one connection, reopened after it drops) or an
outbox folder of .eml files for `send --dry-run`."""

from __future__ import annotations

import smtplib
import socket
import ssl
from pathlib import Path

from ..model import SmtpSpec


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
