"""The weekly digest: goldens of both parts, the message as the email package reads it, HTML that
survives real clients, Gmail's clipping limit, issues that never repeat a bookmark."""

from __future__ import annotations

import logging
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import cssutils
import feedparser
import html5lib
import pytest

from conftest import DIGEST_HEADERS, FIXED_NOW
from linkletter.commands.digest import preview_digest
from linkletter.settings.load import load_config
from support.feedcheck import check_feed

WEEK = "2024-05-13"  # the fixture week: Monday 6 May 09:00 to Monday 13 May 09:00, Copenhagen


def preview(run, project: Path, *extra: str):
    out = project / "preview"
    code, stdout, stderr = run("digest", "-C", project, "--date", WEEK, "--out", out, *extra)
    assert code == 0, stderr
    return out, stdout, stderr


def test_email_parts_match_golden(project, run, golden):
    out, stdout, _ = preview(run, project)
    assert "issue 1 (2024-05-13): 6 links" in stdout
    golden("digest__email.html", (out / "email.html").read_text(encoding="utf-8"))
    golden("digest__email.txt", (out / "email.txt").read_text(encoding="utf-8"))
    message = message_from_bytes((out / "message.eml").read_bytes(), policy=default)
    assert list(message.keys()) == list(DIGEST_HEADERS)
    headers = "".join(f"{name}: {message[name]}\n" for name in DIGEST_HEADERS)
    golden("digest__headers.txt", headers)


def test_message_structure_as_the_email_package_reads_it(project, run):
    out, _, _ = preview(run, project)
    raw = (out / "message.eml").read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b""), "every line ends in CRLF"
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = message_from_bytes(raw, policy=default)
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    assert re.fullmatch(r"<linkletter\.2024-05-13\.[0-9a-f]{24}@example\.org>", message["Message-ID"])
    assert message["From"] == "Ada Example <news@example.org>"
    assert message["Subject"].startswith("Fixture Weekly #1: ")
    assert message["Date"]
    unsubscribe = [line for line in raw.split(b"\r\n") if line.startswith(b"List-Unsubscribe:")][0]
    assert b"=?" not in unsubscribe, "the header is not RFC 2047-encoded"
    assert unsubscribe.startswith(b"List-Unsubscribe: <https://links.example.org/unsubscribe?email=")
    assert b"<mailto:unsubscribe@example.org?subject=unsubscribe>" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def html_tree(text: str):
    return html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False)


def test_html_survives_strict_clients(project, run):
    out, _, _ = preview(run, project)
    html = (out / "email.html").read_text(encoding="utf-8")
    tree = html_tree(html)
    body = tree.find("body")
    first = body[0]
    assert first.tag == "div" and "display:none" in first.get("style").replace(" ", "")
    assert first.text.startswith("6 links this week: ")
    assert tree.xpath("//meta[@name='color-scheme']/@content") == ["light dark"]
    assert tree.xpath("//table[@role='presentation']"), "table layout for Outlook"
    assert not tree.xpath("//script | //form | //input | //iframe | //object | //embed")
    for href in tree.xpath("//a/@href"):
        assert href.startswith(("https://", "http://")), href
    for image in tree.xpath("//img"):
        assert image.get("src").startswith("https://") and image.get("alt") and image.get("width")
    styles = tree.xpath("//style/text()")
    assert len(styles) == 1
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", styles[0]).strip() == "", (
        "only @media rules stay in <style>"
    )
    assert "!important" in styles[0]
    assert tree.xpath("//td[@class='item']/@style"), "styles are inlined"
    unsubscribe = tree.xpath("//a[text()='Unsubscribe']/@href")
    assert unsubscribe and unsubscribe[0].startswith("https://links.example.org/unsubscribe?email=subscriber")


def test_bookmark_text_is_escaped_in_both_parts(project, run):
    config = project / "linkletter.yaml"
    config.write_text(config.read_text().replace("max_per_category: 2", "max_per_category: 10"))
    out, _, _ = preview(run, project)
    html = (out / "email.html").read_text(encoding="utf-8")
    text = (out / "email.txt").read_text(encoding="utf-8")
    assert (
        "Tom &amp; Jerry say &quot;hi&quot; &amp; 👋" in html or 'Tom &amp; Jerry say "hi" &amp; 👋' in html
    )
    assert "Less-than &lt; and ampersand &amp; survive" in html
    assert "<script" not in html and "javascript:" not in html
    assert 'Tom & Jerry say "hi" & 👋' in text
    assert "مرحبا بالعالم" in html and "مرحبا بالعالم" in text


def test_sections_are_capped_with_a_link_to_the_rest(project, run):
    out, _, _ = preview(run, project)
    tree = html_tree((out / "email.html").read_text(encoding="utf-8"))
    more = tree.xpath("//p[@class='more']/a")
    assert [(a.text, a.get("href")) for a in more] == [
        ("and 1 more in python", "https://links.example.org/sub/digest/2024-05-13.html#python")
    ]
    web = html_tree((out / "web.html").read_text(encoding="utf-8"))
    assert len(web.xpath("//td[@class='item']")) == 6
    assert not web.xpath("//p[@class='more']")


def test_category_order_is_configurable(project, run):
    config = project / "linkletter.yaml"
    config.write_text(
        config.read_text().replace(
            "  max_per_category: 2", "  max_per_category: 2\n  category_order: [Machine Learning, arabic]"
        )
    )
    out, _, _ = preview(run, project)
    tree = html_tree((out / "email.html").read_text(encoding="utf-8"))
    names = tree.xpath("//h2[@class='section-title']/text()")
    assert names[:2] == ["Machine Learning", "Arabic"]


@pytest.mark.parametrize(
    "words", ["A long bookmark title ", "日本語のとても長いタイトル🎉 ", "Ærø & «quotes» "]
)
@pytest.mark.process
def test_email_stays_under_gmail_clipping_for_any_number_of_bookmarks(project, run, words):
    big = project / "content/big"
    big.mkdir()
    for i in range(1500):
        (big / f"b{i}.md").write_text(
            f'---\ntitle: "{words * 20}{i}"\nlink: https://big.example.org/{i}\n'
            f"date: 2024-05-{8 + i % 4:02d}T10:{i % 60:02d}:00Z\ncategories: [c{i % 40}]\n"
            f'description: "{words * 30}"\nfeaturedImage: https://img.example.org/{i}.jpg\n---\n',
            encoding="utf-8",
        )
    out, stdout, _ = preview(run, project)
    assert "1506 links" in stdout
    message = (out / "message.eml").read_bytes()
    assert len(message) < 100 * 1024, "the whole message as sent stays under Gmail's ~102 KB"
    parsed = message_from_bytes(message, policy=default)
    html = parsed.get_body(("html",)).get_content()
    shown = len(
        html5lib.parse(html, treebuilder="lxml", namespaceHTMLElements=False).xpath("//td[@class='item']")
    )
    assert 5 <= shown <= 40
    assert "more in c" in html, "what the email leaves out is linked"
    web = html_tree((out / "web.html").read_text(encoding="utf-8"))
    assert len(web.xpath("//td[@class='item']")) == 1506


def test_nothing_new_means_no_issue(project, run):
    out = project / "preview"
    code, stdout, _ = run("digest", "-C", project, "--date", "2024-06-17", "--out", out)
    assert code == 0
    assert "nothing new since 2024-06-10 07:00 UTC; no issue for 2024-06-17" in stdout
    assert not out.exists()


def test_a_bookmark_never_appears_in_two_issues(project, run):
    code, _, err = run("digest", "-C", project, "--date", WEEK, "--publish", "--out", project / "p1")
    assert code == 0, err
    path = project / "content/2024/entities.md"
    path.write_text(path.read_text().replace("2024-05-07T10:00:00+02:00", "2024-05-15T10:00:00+02:00"))
    (project / "content/new.md").write_text(
        "---\ntitle: New\nlink: https://new.example.org/\ndate: 2024-05-16T10:00:00Z\n---\n"
    )
    code, stdout, err = run(
        "digest", "-C", project, "--date", "2024-05-20", "--publish", "--out", project / "p2"
    )
    assert code == 0, err
    assert "issue 2 (2024-05-20): 1 link;" in stdout
    first = (project / "dist/digest/2024-05-13.html").read_text(encoding="utf-8")
    second = (project / "dist/digest/2024-05-20.html").read_text(encoding="utf-8")
    assert "example.com/tom" in first and "example.com/tom" not in second


def test_published_issues_get_an_archive_and_a_feed(project, run):
    code, stdout, err = run("digest", "-C", project, "--date", WEEK, "--publish", "--out", project / "p")
    assert code == 0, err
    assert "published https://links.example.org/sub/digest/2024-05-13.html" in stdout
    dist = project / "dist/digest"
    assert sorted(p.name for p in dist.iterdir()) == ["2024-05-13.html", "atom.xml", "index.html"]
    index = html_tree((dist / "index.html").read_text(encoding="utf-8"))
    assert index.xpath("//li/a/@href") == ["https://links.example.org/sub/digest/2024-05-13.html"]
    data = (dist / "atom.xml").read_bytes()
    feed = feedparser.parse(data)
    assert feed.bozo == 0 and len(feed.entries) == 1
    assert feed.entries[0].link == "https://links.example.org/sub/digest/2024-05-13.html"
    assert check_feed(data, "https://links.example.org/sub/digest/atom.xml", FIXED_NOW) == []
    # publishing wrote the digest's pages and nothing else: no bookmark feed, no index
    assert sorted(p.relative_to(project / "dist").as_posix() for p in (project / "dist").rglob("*.*")) == [
        "digest/2024-05-13.html",
        "digest/atom.xml",
        "digest/index.html",
    ]
    # `build` keeps the archive byte for byte, and rewrites nothing the second time
    archive = {p.name: p.read_bytes() for p in dist.iterdir()}
    code, stdout, _ = run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert "30 file(s) written, 3 unchanged" in stdout
    assert {p.name: p.read_bytes() for p in dist.iterdir()} == archive
    code, stdout, _ = run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert "0 file(s) written" in stdout


def test_pages_of_many_published_issues_are_made_by_a_child_forked_with_them(
    project, run, monkeypatch, tmp_path
):
    """Past a few issues, their bookmarks are not sent to the child that waited for them: a child
    forked once they are known shares them. The pages are the same either way."""
    from linkletter.commands import build as build_module

    code, _, err = run("digest", "-C", project, "--date", WEEK, "--publish", "--out", project / "p")
    assert code == 0, err
    code, _, err = run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert code == 0, err
    dist = project / "dist"
    first = {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    assert "digest/2024-05-13.html" in first and "index.html" in first

    calls = tmp_path / "calls"  # made in a forked child: it notes how it was called in a file
    real = build_module.render_pages

    def noting(*args):
        with calls.open("a") as out:
            out.write(f"{len(args)} {len(args[2])}\n")
        return real(*args)

    monkeypatch.setattr(build_module, "render_pages", noting)
    monkeypatch.setattr(build_module, "GIVEN_AT_MOST", 0)
    for path in ("index.html", "feeds.opml", "digest/index.html", "digest/2024-05-13.html"):
        (dist / path).unlink()
    code, _, err = run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    assert code == 0, err
    shown = calls.read_text().split()
    assert shown[0] == "4" and int(shown[1]) > 0, "forked with the issue's bookmarks and the memo"
    again = {p.relative_to(dist).as_posix(): p.read_bytes() for p in dist.rglob("*") if p.is_file()}
    assert again == first


def test_template_syntax_error_names_file_and_line(project, run):
    template = project / "templates/digest.html.j2"
    lines = template.read_text().splitlines()
    lines[20] = "{% if %}"
    template.write_text("\n".join(lines))
    code, _, err = run("digest", "-C", project, "--date", WEEK, "--out", project / "p")
    assert code == 1
    assert "templates/digest.html.j2:21: syntax error: " in err
    assert "Traceback" not in err


def test_undefined_template_variable_names_file_and_line(project, run):
    template = project / "templates/digest.txt.j2"
    template.write_text(template.read_text().replace("{{ title }} - issue", "{{ titel }} - issue"))
    code, _, err = run("digest", "-C", project, "--date", WEEK, "--out", project / "p")
    assert code == 1
    assert "templates/digest.txt.j2:2: 'titel' is undefined" in err


def test_premailer_never_fetches_and_cssutils_stays_quiet(project, run, capsys):
    template = project / "templates/digest.html.j2"
    template.write_text(
        template.read_text().replace(
            "<style>", '<link rel="stylesheet" href="https://127.0.0.1:9/remote.css">\n<style>'
        )
    )
    css = project / "templates/digest.css"
    css.write_text(
        css.read_text() + "\n.item { mso-line-height-rule: exactly; -webkit-text-size-adjust: 100%; }\n"
    )
    handlers_before = len(cssutils.log._log.handlers)
    for _ in range(3):
        preview_digest(load_config(project), FIXED_NOW, out=project / "p")
    captured = capsys.readouterr()
    assert "mso-line-height-rule" not in captured.err and "WARNING" not in captured.err
    assert len(cssutils.log._log.handlers) == handlers_before
    assert cssutils.log._log.level >= logging.CRITICAL


@pytest.mark.parametrize("relpath", ["digest/index.html"])
def test_no_preview_is_published_without_asking(project, run, relpath):
    preview(run, project)
    assert not (project / "dist" / relpath).exists()


def test_a_preview_renders_the_bodies_of_its_issue_only(project, run, monkeypatch):
    """Rendering every bookmark's body took 3 s for a preview at 10,000 bookmarks; an issue needs
    its own bookmarks' bodies and those of the issues already published (the archive)."""
    from linkletter.content import finish

    rendered: list[str] = []
    real = finish.render_bodies

    def recording(bookmarks, workers=None):
        rendered.extend(b.source for b in bookmarks)
        return real(bookmarks, workers)

    for n in range(20):  # older bookmarks with bodies: in no issue
        (project / f"content/older-{n}.md").write_text(
            f"---\ntitle: Older {n}\nlink: https://older.example.org/{n}\ndate: 2023-01-{n + 1:02d}T10:00:00Z\n"
            f"---\nA *body* with [a link](https://older.example.org/{n}/more).\n"
        )
    monkeypatch.setattr(finish, "render_bodies", recording)
    out, stdout, _ = preview(run, project)
    assert "issue 1 (2024-05-13): 6 links" in stdout
    assert 0 < len(rendered) <= 6, rendered
    assert not any("older-" in source for source in rendered)
    assert len(set(rendered)) == len(rendered), "each body rendered once"
    rendered.clear()
    code, _, err = run("digest", "-C", project, "--date", WEEK, "--publish", "--out", project / "p")
    assert code == 0, err
    assert len(rendered) <= 6, rendered
