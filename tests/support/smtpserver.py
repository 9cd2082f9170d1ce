"""A real SMTP server for tests (aiosmtpd on 127.0.0.1) whose faults are switched on per test:
4xx and 5xx replies, dropped connections, a login requirement, and hooks that run while a
message is being received."""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable
from email import message_from_bytes
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """The handler: stores every message it acknowledged, per recipient."""

    def __init__(self):
        self.received: list[tuple[str, bytes]] = []  # (recipient, raw bytes as received)
        self.lock = threading.Lock()
        self.temporary: Counter = Counter()  # recipient -> how many 451 replies to give first
        self.permanent: set[str] = set()  # recipients refused with 550
        self.drop_data: set[int] = set()  # ordinals of DATA commands during which to hang up
        self.before_ack: Callable[[int, object], bool] | None = None  # return False: do not store
        self.on_mail: Callable[[int], None] | None = None
        self.sender_reply: str | None = None  # e.g. "550 5.4.5 Daily sending quota exceeded"
        self.data_reply: str | None = None  # e.g. "554 5.7.1 message rejected": refuse every DATA
        self.closing_mail: set[int] = set()  # ordinals of MAIL commands answered 421
        self.data_count = 0
        self.mail_count = 0

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.mail_count += 1
        if self.on_mail:
            self.on_mail(self.mail_count)
        if self.mail_count in self.closing_mail:
            return "421 4.3.2 shutting down, try again later"
        if self.sender_reply:
            return self.sender_reply
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.permanent:
            return f"550 5.1.1 <{address}>: no such user"
        if self.temporary[address] > 0:
            self.temporary[address] -= 1
            return "451 4.7.1 greylisted, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_count += 1
        if self.data_count in self.drop_data:
            server.transport.close()
            return "421 closing"
        if self.data_reply:
            return self.data_reply
        if self.before_ack and self.before_ack(self.data_count, envelope) is False:
            return "451 4.3.0 not stored"
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, envelope.original_content))
        return "250 2.0.0 OK queued"

    def messages_for(self, recipient: str):
        return [message_from_bytes(raw, policy=default) for rcpt, raw in self.received if rcpt == recipient]

    def recipients(self) -> Counter:
        return Counter(rcpt for rcpt, _ in self.received)


class PipeliningMailbox(Mailbox):
    """A Mailbox whose server offers PIPELINING (RFC 2920), as Postfix and most relays do; it
    notes, for each MAIL command, whether the RCPT after it had already arrived."""

    def __init__(self):
        super().__init__()
        self.pipelined: list[bool] = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]]

    async def handle_MAIL(self, server, session, envelope, address, options):
        self.pipelined.append(b"RCPT TO:" in bytes(server._reader._buffer))  # read, not yet handled
        return await super().handle_MAIL(server, session, envelope, address, options)


class SmtpServer:
    def __init__(self, login: tuple[str, str] | None = None, pipelining: bool = False):
        self.mailbox = PipeliningMailbox() if pipelining else Mailbox()
        self.port = free_port()
        kwargs = {}
        if login:
            kwargs = dict(authenticator=_Authenticator(*login), auth_required=True, auth_require_tls=False)
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


class _Authenticator:
    def __init__(self, user: str, password: str):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok, handled=False)


class SilentServer:
    """Accepts connections and never says a word: a server that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(5)
        self.port = self.socket.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            self.connections.append(connection)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.socket.close()
        for connection in self.connections:
            connection.close()
