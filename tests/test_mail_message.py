"""Issue 8, mail: what one message holds. The unsubscribe URL rendered per recipient (H1), RFC 2045
line lengths and folded subjects, numeric image widths, decorative images, word-boundary
descriptions, the size budget, recipients files, settings, previews and SpamAssassin."""

from __future__ import annotations

import re
import shutil
import subprocess
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from conftest import FIXED_NOW
from linkletter.commands.send import SendOptions, send_current
from linkletter.newsletter.recipients import load_recipients
from linkletter.newsletter.sizes import shorten_words
from linkletter.settings.load import load_config
from mail_fixtures import write_unicode_week
from test_send import SECRET, Recorder

PLACEHOLDER = "https://unsubscribe.invalid/linkletter-recipient"


def bookmark(project: Path, name: str, **fields: str) -> None:
    lines = "".join(f"{key}: {value}\n" for key, value in fields.items())
    (project / "content/2024" / f"{name}.md").write_text(f"---\n{lines}---\n", encoding="utf-8")


def dry_run(project: Path, **options) -> list:
    outbox = project / "outbox"
    send_current(
        load_config(project),
        FIXED_NOW,
        SendOptions(dry_run=True, outbox=outbox, unsubscribe_secret=SECRET, **options),
        lambda: FIXED_NOW,
        sleep=Recorder().sleep,
    )
    return [message_from_bytes(p.read_bytes(), policy=default) for p in sorted(outbox.glob("*.eml"))]


def raw_messages(project: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted((project / "outbox").glob("*.eml"))]


def test_bookmark_text_holding_the_old_placeholder_never_gets_a_recipients_link(project):
    bookmark(
        project,
        "harvest",
        title="Harvest",
        link=f'"{PLACEHOLDER}"',
        date="2024-05-10T10:00:00Z",
        description=f'"see {PLACEHOLDER} now"',
        featuredImage=f'"{PLACEHOLDER}?img"',
    )
    for message in dry_run(project):
        token = re.search(r"token=([0-9a-f]{32})", message["List-Unsubscribe"]).group(1)
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert html.count(token) == 1 and text.count(token) == 1, "only the footer carries it"
        assert f"see {PLACEHOLDER} now" in text


def test_body_lines_and_encoded_words_stay_within_rfc_limits(tmp_path):
    project = write_unicode_week(tmp_path / "unicode")
    dry_run(project)
    (raw,) = raw_messages(project)
    head, _, body = raw.partition(b"\r\n\r\n")
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    words = re.findall(rb"=\?utf-8\?[bq]\?[^?]*\?=", head)
    assert words and max(len(word) for word in words) <= 75
    message = message_from_bytes(raw, policy=default)
    assert message["Subject"].startswith("Ünïcode Weekly #1: ")
    assert "=?" not in message["List-Unsubscribe"]


def test_images_keep_a_numeric_width_and_are_decorative(tmp_path):
    project = write_unicode_week(tmp_path / "unicode")
    (message,) = dry_run(project)
    images = re.findall(r"<img [^>]*>", message.get_body(("html",)).get_content())
    assert images and all('width="552"' in image and 'alt=""' in image for image in images)


def test_a_non_ascii_unsubscribe_url_is_percent_encoded(project):
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace(
            "https://links.example.org/unsubscribe?", "https://links.example.org/désabonner?"
        ),
        encoding="utf-8",
    )
    message = dry_run(project)[0]
    assert message["List-Unsubscribe"].startswith("<https://links.example.org/d%C3%A9sabonner?email=")


def test_descriptions_are_cut_at_a_word_boundary():
    text = "word " * 80
    assert shorten_words(text, 300).endswith("word…")
    assert shorten_words("goes on and on", 9) == "goes on…"


def test_an_item_too_big_for_the_email_is_left_out_and_reported(project):
    bookmark(
        project,
        "huge",
        title="Huge",
        link="https://example.org/" + "a" * 60_000,
        date="2024-05-10T10:00:00Z",
    )
    config = load_config(project)
    outcome = send_current(
        config,
        FIXED_NOW,
        SendOptions(dry_run=True, outbox=project / "outbox", unsubscribe_secret=SECRET),
        lambda: FIXED_NOW,
    )
    assert any(
        p.path == "content/2024/huge.md" and "too big for the email" in p.message for p in outcome.problems
    )
    assert all(len(raw) < 102_000 for raw in raw_messages(project))


# --- recipients (H2, plain lines, NUL, comments) ----------------------------------------------


def recipients_of(tmp_path: Path, text: str):
    path = tmp_path / "recipients.csv"
    path.write_text(text, encoding="utf-8")
    recipients, problems = load_recipients(path, "recipients.csv")
    return [r.address for r in recipients], [str(p) for p in problems]


def test_a_stray_quote_swallows_nobody(tmp_path):
    addresses, problems = recipients_of(
        tmp_path, 'email,name\nalice@example.org,"Alice\nbob@example.org,Bob\ncarol@example.org,Carol\n'
    )
    assert addresses == ["bob@example.org", "carol@example.org"]
    assert problems == ["recipients.csv:2: a quoted field does not end on its line (a stray quote?); skipped"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a@example.org,x@evil.org", "the name of a@example.org holds an address ('x@evil.org')"),
        ("a@example.org,Nul\0Name", "holds a control character (CR or NUL)"),
        ("a@example.org,Bob, Jr.", "has 3 fields, the header has 2 (quote a name that holds a comma)"),
        ("a@example.org," + "x" * 200_000, "cannot be read as CSV: field larger than field limit"),
    ],
)
def test_bad_csv_rows_are_errors_naming_the_row(tmp_path, line, message):
    addresses, problems = recipients_of(
        tmp_path, f"email,name\n# a comment, with a comma\n{line}\nok@example.org,Ok\n"
    )
    assert addresses == ["ok@example.org"]
    assert len(problems) == 1 and problems[0].startswith("recipients.csv:3: ") and message in problems[0]


def test_plain_lines_hold_one_address_each(tmp_path):
    addresses, problems = recipients_of(
        tmp_path,
        "alice@example.org Alice\na@x.org, b@x.org\nBob <bob@example.org>\n# c, d\nplain@example.org\n",
    )
    assert addresses == ["bob@example.org", "plain@example.org"]
    assert [p.split(": ", 1)[0] for p in problems] == ["recipients.csv:1", "recipients.csv:2"]
    assert "is not one address" in problems[0]


# --- settings, previews, dates ------------------------------------------------------------------


def test_recipients_inside_the_output_folder_are_refused(project, run):
    shutil.copy(project / "recipients.csv", project / "dist-recipients.csv")
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace("recipients: recipients.csv", "recipients: dist/recipients.csv")
    )
    code, out, err = run("check", "-C", project)
    assert code == 1
    assert "digest.recipients: the recipients file must not be inside the output folder" in err


def test_a_secret_pasted_into_an_env_setting_is_not_printed(project, run):
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace("digest:\n", "digest:\n  unsubscribe_secret_env: hunter2 s3cr3t!\n")
    )
    code, out, err = run("check", "-C", project)
    assert code == 1 and "digest.unsubscribe_secret_env" in err
    assert "s3cr3t" not in err


def test_check_and_dry_run_say_the_unsubscribe_secret_is_unset(project, run, monkeypatch):
    monkeypatch.delenv("LINKLETTER_UNSUBSCRIBE_SECRET", raising=False)
    code, out, err = run("check", "-C", project)
    assert (
        "LINKLETTER_UNSUBSCRIBE_SECRET is not set; every unsubscribe link would carry an empty token" in err
    )
    code, out, err = run("send", "-C", project, "--dry-run", "--date", "2024-05-13")
    assert "LINKLETTER_UNSUBSCRIBE_SECRET is not set" in err


def test_out_and_outbox_naming_a_file_are_clear_errors(project, run, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    (project / "afile").write_text("x")
    code, out, err = run("digest", "-C", project, "--date", "2024-05-13", "--out", project / "afile")
    assert code == 1 and "--out: " in err and "is a file, not a folder" in err
    code, out, err = run(
        "send", "-C", project, "--date", "2024-05-13", "--dry-run", "--outbox", project / "afile"
    )
    assert code == 1 and "--outbox: " in err and "Traceback" not in err


@pytest.mark.parametrize("day", ["0001-01-01", "1989-12-31"])
def test_absurd_dates_are_refused(project, run, day):
    code, out, err = run("digest", "-C", project, "--date", day)
    assert code == 1 and err.startswith("--date: ") and "Traceback" not in err


def test_a_real_send_of_a_future_issue_is_refused(project, run, monkeypatch):
    monkeypatch.setenv("LINKLETTER_UNSUBSCRIBE_SECRET", SECRET)
    code, out, err = run("send", "-C", project, "--date", "2999-05-20")
    assert code == 1 and "is not due yet; nothing sent" in err


def test_a_corrupted_ledger_is_a_message_not_a_traceback(project, run):
    (project / ".linkletter").mkdir()
    (project / ".linkletter/ledger.sqlite").write_bytes(b"this is not a database" * 100)
    code, out, err = run("digest", "-C", project, "--date", "2024-05-13")
    assert code == 1 and "cannot use the send ledger" in err and "Traceback" not in err


# --- SpamAssassin ---------------------------------------------------------------------------------


def spam_score(raw: bytes) -> float:
    result = subprocess.run(["spamassassin", "-L", "-t"], input=raw, capture_output=True, timeout=300)
    return float(re.search(rb"Content analysis details:\s+\((-?[\d.]+) points", result.stdout).group(1))


@pytest.mark.process
@pytest.mark.skipif(shutil.which("spamassassin") is None, reason="spamassassin is not installed")
def test_an_issue_of_60_non_ascii_links_scores_at_most_half_a_point(tmp_path):
    project = write_unicode_week(tmp_path / "unicode")
    dry_run(project)
    (raw,) = raw_messages(project)
    assert spam_score(raw) <= 0.5


@pytest.mark.parametrize(
    "subject",
    [
        "Fixture Weekly #1: 0000000000000/%F0%90%80%80%F0%90%80%80 and 1 more",
        "Weekly #2: " + "x" * 90,
        "Weekly #3: Ærø og " + "é" * 60,
        # the email package's own folder got these wrong (a leading space, a doubled space, a lost one)
        "x" * 70 + " \U00018d00",
        "x" * 70 + " \U00018d00 " + "y" * 80,
        "Weekly #4: 😀 " + "y" * 30 + " 中文 a b " + "q" * 80,
    ],
)
def test_a_long_subject_folds_without_a_leading_space(subject):
    from email.message import EmailMessage

    from linkletter.newsletter.message import POLICY

    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message.set_content("x")
    raw = message.as_bytes(policy=POLICY)
    first = raw.split(b"\r\n")[0]
    assert first.startswith(b"Subject: ") and len(first) > len(b"Subject: ")
    assert message_from_bytes(raw, policy=default)["Subject"] == subject
    header = raw.split(b"\r\n\r\n")[0].split(b"\r\n")
    longest_word = max(len(word) for word in subject.split(" "))  # an ASCII word is never split
    assert max(len(line) for line in header) <= max(76, len("Subject: ") + longest_word)
    assert all(len(word) <= 75 for word in re.findall(rb"=\?[^?]+\?[bqBQ]\?[^?]*\?=", raw))


@pytest.mark.parametrize("name", ["Zoë (work)", "Ålander, Alice", 'Pat "the Cat" O\'Brien, Jr.', "日本語 🙂"])
def test_a_recipient_name_reads_back_whole(name):
    """formataddr's text was parsed again by the header: `Zoë (work)` came back as `Zoë`."""
    from email.message import EmailMessage

    from linkletter.model import Recipient
    from linkletter.newsletter.message import POLICY, to_address

    message = EmailMessage(policy=POLICY)
    message["To"] = to_address(Recipient("reader@example.org", name))
    message.set_content("x")
    (address,) = message_from_bytes(message.as_bytes(policy=POLICY), policy=default)["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "reader@example.org")
