"""Issue 10, send: `transport.deliver` does what smtplib's `sendmail` does for one recipient, with
the dot-stuffing done in one pass and the commands pipelined where the server offers it. A real
SMTP server (aiosmtpd on 127.0.0.1, with and without PIPELINING) receives both."""

from __future__ import annotations

import re
import smtplib

import pytest

from linkletter.newsletter.transport import deliver, dot_stuffed
from support.smtpserver import PipeliningMailbox, SmtpServer

SENDER = "links@example.org"
BODIES = [
    b"Subject: plain\r\n\r\nno dots at all\r\n",
    b"Subject: dots\r\n\r\n.starts with a dot\r\n..two dots\r\n.\r\nthe line above is a lone dot\r\n",
    b".a message whose first line starts with a dot\r\n\r\nbody\r\n",
    b"Subject: no line end at the end\r\n\r\nlast line without CRLF\r\n.",
    b"Subject: a dot after a bare LF\r\n\r\nline\n.dot\r\n",
]


@pytest.fixture(params=[False, True], ids=["one by one", "pipelined"])
def server(request):
    with SmtpServer(pipelining=request.param) as smtp:
        yield smtp


@pytest.fixture
def client(server):
    connection = smtplib.SMTP("127.0.0.1", server.port)
    yield connection
    if connection.sock is not None:
        connection.quit()


@pytest.mark.parametrize("data", BODIES)
def test_the_server_receives_what_sendmail_would_have_sent(server, client, data):
    client.sendmail(SENDER, ["by-smtplib@example.org"], data)
    deliver(client, SENDER, "by-deliver@example.org", data)
    received = dict(server.mailbox.received)
    assert received["by-deliver@example.org"] == received["by-smtplib@example.org"]
    if b"\n" not in data.replace(b"\r\n", b""):  # CRLF only, as linkletter's messages: intact
        assert received["by-deliver@example.org"].rstrip(b"\r\n") == data.rstrip(b"\r\n")


@pytest.mark.parametrize("data", BODIES + [b"", b".", b"\r\n.", b"..\r\n\r\n.\r\n"])
def test_dot_stuffing_doubles_every_dot_that_starts_a_line(data):
    stuffed = re.sub(rb"(?m)^\.", b"..", data)  # the rule as smtplib writes it
    assert dot_stuffed(data) == stuffed + (b"" if stuffed.endswith(b"\r\n") else b"\r\n") + b".\r\n"


REFUSALS = [
    # (what the server is told to refuse, its reply, the exception, the code, the recipient)
    ("sender_reply", "451 4.3.2 try later", smtplib.SMTPSenderRefused, 451, "alice@example.org"),
    ("permanent", "gone@example.org", smtplib.SMTPRecipientsRefused, 550, "gone@example.org"),
    ("data_reply", "554 5.7.1 rejected as spam", smtplib.SMTPDataError, 554, "carol@example.org"),
]


@pytest.mark.parametrize(
    ("fault", "setting", "error", "code", "refused"), REFUSALS, ids=["MAIL", "RCPT", "DATA"]
)
def test_a_refusal_raises_what_smtplib_raises_and_the_next_message_gets_through(
    server, client, fault, setting, error, code, refused
):
    if fault == "permanent":
        server.mailbox.permanent.add(setting)
    else:
        setattr(server.mailbox, fault, setting)
    with pytest.raises(error) as caught:
        deliver(client, SENDER, refused, BODIES[1])
    if error is smtplib.SMTPRecipientsRefused:
        assert list(caught.value.recipients) == [refused]
        assert caught.value.recipients[refused][0] == code
    else:
        assert caught.value.smtp_code == code
    if fault != "permanent":
        setattr(server.mailbox, fault, None)
    deliver(client, SENDER, "bob@example.org", BODIES[1])
    assert server.mailbox.recipients() == {"bob@example.org": 1}, "the connection is still usable"


def test_a_421_closes_the_connection(server, client):
    server.mailbox.closing_mail.add(1)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        deliver(client, SENDER, "dave@example.org", BODIES[0])
    assert refused.value.smtp_code == 421
    assert client.sock is None, "closed: the transport opens a new connection for the next message"
    assert server.mailbox.recipients() == {}


def test_the_commands_go_out_together_only_where_the_server_offers_pipelining(server, client):
    deliver(client, SENDER, "erin@example.org", BODIES[0])
    deliver(client, SENDER, "frank@example.org", BODIES[0])
    offered = isinstance(server.mailbox, PipeliningMailbox)
    assert client.has_extn("pipelining") == offered
    assert getattr(server.mailbox, "pipelined", [False, False]) == [offered, offered]
    assert server.mailbox.recipients() == {"erin@example.org": 1, "frank@example.org": 1}
