"""Issue 10, send: the email rendered once per issue (a stencil with a random placeholder) and
each recipient's message spliced from bytes made once, parsed back with the email package and
compared with the email rendered and built for that recipient alone; several SMTP connections
to a real aiosmtpd server; `smtp.rate_per_second: 0`."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import random
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from conftest import FIXED_NOW
from linkletter.commands.build import load_site
from linkletter.model import Recipient
from linkletter.newsletter.issues import plan_issue, slot_for
from linkletter.newsletter.message import Unsubscribe, build_message, message_bytes
from linkletter.newsletter.render import render_issue
from linkletter.newsletter.splice import (
    Part,
    Splicer,
    crlf_lines,
    encode_base64,
    encode_qp,
    header_line,
    to_line,
)
from linkletter.publish.templates import Templates
from linkletter.settings.load import load_config
from mail_fixtures import write_unicode_week
from support.smtpserver import SmtpServer
from test_mail_message import dry_run
from test_send import SECRET, configure_smtp, ledger_rows, send

READERS = [
    Recipient("alice@example.org", "Alice Ålander"),
    Recipient("o'brien+news@example.net", 'Pat "the Cat" O\'Brien, Jr.'),
    Recipient("zoe@example.com", "Zoë 日本語 🙂 " + "long name " * 8),
    Recipient("plain@example.org"),
    Recipient("jørgen@exämple.org"),
    Recipient("zoe.work@example.com", "Zoë (work), Ålander"),
    Recipient("x" * 60 + "@" + "sub." * 10 + "example.org", "=?utf-8?q?forged?="),
] + [Recipient(f"reader{i}@example.org", f"Reader {i}") for i in range(40)]


def edition_of(project: Path):
    config = load_config(project)
    bookmarks = load_site(config, FIXED_NOW)[0]
    issue = plan_issue(config, bookmarks, [], slot_for(config, FIXED_NOW), FIXED_NOW)
    return config, render_issue(config, Templates(config.build.templates_dir, config.root), issue)


def parsed(data: bytes):
    message = message_from_bytes(data, policy=default)
    parts = {kind: message.get_body((kind,)).get_content() for kind in ("plain", "html")}
    return [(k, str(v)) for k, v in message.items() if k.lower() != "content-type"], parts


def long_lines(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\r\n") if len(line) > 76]


@pytest.mark.process
@pytest.mark.parametrize("kind", ["fixture", "unicode"])
@pytest.mark.parametrize("test_copy", [False, True])
def test_spliced_messages_read_like_the_ones_rendered_for_each_recipient(project, tmp_path, kind, test_copy):
    root = project if kind == "fixture" else write_unicode_week(tmp_path / "unicode")
    config, edition = edition_of(root)
    assert edition.stencil is not None
    alone = dataclasses.replace(edition, stencil=None)  # the templates render for each recipient
    unsubscribe = Unsubscribe(config.digest.unsubscribe_url, "unsub@example.org", SECRET)
    splicer = Splicer(edition, config.digest, unsubscribe, test_copy)
    for reader in READERS:
        wire = splicer.message(reader, FIXED_NOW)
        reference = build_message(alone, config.digest, reader, unsubscribe, FIXED_NOW, test_copy)
        assert parsed(wire.data) == parsed(message_bytes(reference)), reader
        assert wire.message_id == reference["Message-ID"]
        assert long_lines(wire.data) == long_lines(message_bytes(reference)), "only what cannot fold"
        assert b"\n" not in wire.data.replace(b"\r\n", b"")


def test_a_plain_address_skips_the_header_parser_and_gets_the_same_line():
    for address in ["plain@example.org", "o'brien+news@example.net", "a.b-c_d@sub.example.com"]:
        assert to_line(Recipient(address)) == header_line("To", address)


@pytest.mark.parametrize("seed", range(20))
def test_a_part_is_encoded_as_encoding_it_whole_would(seed):
    rng = random.Random(seed)
    alphabet = ["a", "b ", " ", "=", ".", "\n", "\r\n", "\t", "é", "日本", "🙂", "x" * 90, "&amp;"]
    pieces = tuple(
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400))) for _ in range(rng.randint(1, 4))
    )
    url = "https://links.example.org/u?email=a@example.org&token=" + "f" * rng.randint(0, 200)
    part = Part.build("plain", pieces)
    whole = crlf_lines(url.join(pieces))
    whole += b"" if whole.endswith(b"\r\n") else b"\r\n"
    body = part.body(url.encode())
    assert body == (encode_base64(whole) if part.cte == "base64" else encode_qp(whole))
    decoded = base64.b64decode(body) if part.cte == "base64" else binascii.a2b_qp(body)
    assert decoded == whole
    assert all(len(line) <= 76 for line in body.split(b"\r\n"))


def test_a_bookmark_holding_a_stencil_like_placeholder_harvests_nothing(project):
    fake = "https://unsubscribe.invalid/" + "0123456789abcdef" * 2
    (project / "content/2024/fake.md").write_text(
        f'---\ntitle: "Harvest {fake}"\nlink: "{fake}"\ndate: 2024-05-10T10:00:00Z\n'
        f'description: "see {fake} and https://links.example.org/unsubscribe?email=x&token=y"\n---\n',
        encoding="utf-8",
    )
    for message in dry_run(project):
        token = re.search(r"token=([0-9a-f]{32})", message["List-Unsubscribe"]).group(1)
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert html.count(token) == 1 and text.count(token) == 1, "only the footer carries it"
        assert f"see {fake}" in text and "unsubscribe.invalid/0123" in html


def test_a_template_that_transforms_the_url_renders_for_each_recipient(project):
    templates = project / "templates"
    text = (templates / "digest.txt.j2").read_text(encoding="utf-8")
    (templates / "digest.txt.j2").write_text(
        text.replace("Unsubscribe: {{ unsubscribe_url }}", "Unsubscribe: {{ unsubscribe_url | upper }}"),
        encoding="utf-8",
    )
    assert edition_of(project)[1].stencil is None
    for message in dry_run(project):
        url = re.search(r"<(https://[^>]+)>", message["List-Unsubscribe"]).group(1)
        assert f"Unsubscribe: {url.upper()}" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
def test_several_connections_deliver_each_message_once_and_keep_the_rules(project, pipelining):
    addresses = [f"reader{i:02d}@example.org" for i in range(30)]
    (project / "recipients.csv").write_text("".join(f"{a}\n" for a in addresses))
    with SmtpServer(pipelining=pipelining) as server:
        configure_smtp(project, server.port, connections=4, rate_per_second=0)
        server.mailbox.permanent.add("reader07@example.org")
        server.mailbox.temporary["reader11@example.org"] = 2
        outcome = send(project)
        assert "sent 29, 0 already had it, 1 failed, 0 deferred, 1 newly suppressed" in outcome.message
        assert sorted(server.mailbox.recipients().values()) == [1] * 29
        assert dict(ledger_rows(project)) == {
            a: "failed" if a.endswith("07@example.org") else "sent" for a in addresses
        }
        again = send(project)
        assert "sent 0, 29 already had it" in again.message and len(server.mailbox.received) == 29


def test_rate_per_second_0_sends_without_waiting(project):
    with SmtpServer() as server:
        configure_smtp(project, server.port, rate_per_second=0)
        assert load_config(project).smtp.rate_per_second == 0
        from test_send import Recorder

        recorder = Recorder()
        send(project, recorder)
        assert recorder.slept == [] and len(server.mailbox.received) == 3
