"""Hostile and broken input, faults and output safety (the cases are listed in hostile_cases.py
and published as docs/hostile-input.md)."""

from __future__ import annotations

import ast
import errno
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FIXED_NOW, FIXED_NOW_ARG, REPO, TESTS
from linkletter.commands.build import build_site
from linkletter.errors import UserError
from linkletter.publish import output as output_module
from linkletter.publish.output import safe_join, write_if_changed
from linkletter.settings.load import load_config
from support.feedcheck import check_feed
from support.hostile_cases import BAD, CONTENT_CASES, ROWS, render_table

FIXTURE_NOISE = (
    "content/2024/seed-style.md:9: warning: featuredImage: the signed image URL expired on 2019-05-09;",
    "content/2024/future.md: warning: date: dated 2030-01-01, more than 31 days from now;",
)


def dist_bytes(project: Path) -> dict[str, bytes]:
    return {
        p.relative_to(project / "dist").as_posix(): p.read_bytes()
        for p in sorted((project / "dist").rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def clean_dist(tmp_path_factory) -> dict[str, bytes]:
    """The fixture site's dist/ without any hostile file."""
    root = tmp_path_factory.mktemp("clean") / "site"
    shutil.copytree(TESTS / "fixtures/site", root)
    build_site(load_config(root), FIXED_NOW)
    return dist_bytes(root)


@pytest.mark.parametrize("case", CONTENT_CASES, ids=lambda c: c.id)
def test_content_case(project, run, clean_dist, case):
    bad = project / "content/bad"
    bad.mkdir()
    for name in case.files:
        shutil.copy(BAD / name, bad / name)
    if case.make:
        case.make(bad)
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    lines = [line for line in err.splitlines() if not line.startswith(FIXTURE_NOISE)]
    assert lines == list(case.messages)
    assert code == case.exit_code
    assert "Traceback" not in err
    produced = dist_bytes(project)
    if case.rejected:
        assert produced == clean_dist, "a rejected file changes nothing else"
    else:
        for relpath in clean_dist:
            if relpath not in ("index.html", "feeds/everything.rss.xml", "feeds/everything.atom.xml"):
                assert relpath in produced, relpath
    for relpath, data in produced.items():
        assert (project / "dist" / relpath).resolve().is_relative_to((project / "dist").resolve())
        if relpath.endswith(".xml"):
            assert check_feed(data, f"https://links.example.org/sub/{relpath}", FIXED_NOW) == [], relpath


def test_symlinked_bookmark_inside_content_is_read(project, run):
    target = project / "content/2024/old.md"
    (project / "content/alias.md").symlink_to(target)
    code, out, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert "content/alias.md: note: link: the same link as content/2024/old.md; merged into one item" in err
    assert "symbolic link" not in err


def test_category_traversal_stays_inside_dist(project, run):
    (project / "content/bad").mkdir()
    shutil.copy(BAD / "category-traversal.md", project / "content/bad/")
    run("build", "-C", project, "--now", FIXED_NOW_ARG)
    names = sorted(p.name for p in (project / "dist/categories").iterdir())
    assert "etc-passwd.rss.xml" in names
    assert any(re.fullmatch(r"con-[0-9a-f]{8}\.rss\.xml", n) for n in names)
    assert not (project / "etc").exists() and not (project.parent / "etc").exists()


def test_hostile_text_never_reaches_any_output(project, run):
    (project / "content/bad").mkdir()
    shutil.copy(BAD / "script-everywhere.md", project / "content/bad/")
    shutil.copy(BAD / "image-data-url.md", project / "content/bad/")
    run("digest", "-C", project, "--date", "2024-05-06", "--publish", "--out", project / "preview")
    run("build", "-C", project, "--now", "2024-05-13T08:00:00Z")
    outputs = [*(project / "dist").rglob("*.*"), *(project / "preview").iterdir()]
    assert any(p.name == "2024-05-06.html" for p in outputs)
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        lowered = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').lower()
        for needle in (
            "<script",
            "<iframe",
            "<style>body",
            "onerror=",
            "onclick=",
            "onmouseover=",
            "onload=",
        ):
            assert needle not in lowered, (path.name, needle)
        assert 'style="color:red"' not in text
        for url in re.findall(r'(?:href|src|url|cite)="([^"]+)"', text):
            assert url.startswith(("https://", "http://")), (path.name, url)  # no javascript: or data:
    atom = (project / "dist/categories/hostile.atom.xml").read_text()
    assert "<title>Scripted title</title>" in atom
    assert "A description with tags" in atom
    assert "a fine link" in atom and "https://ok.example/page" in atom


def test_a_link_made_title_never_reads_as_markup(project, run):
    """A bookmark without a title is titled by its link; `&0` or `&copy` in the link's path must
    not read as an entity to a feed reader (the W3C validator: ContainsUndeclaredHTML). Found by
    the build property."""
    (project / "content/untitled.md").write_text(
        "---\ntitle: ''\nlink: https://example.org/a&copy/&0?x=1&lt=2\ndate: 2024-05-12T00:00:00Z\n"
        "categories: [python]\n---\n"
    )
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert "Traceback" not in err
    for path in sorted((project / "dist").rglob("*.xml")):
        relpath = path.relative_to(project / "dist").as_posix()
        assert check_feed(path.read_bytes(), f"https://links.example.org/sub/{relpath}", FIXED_NOW) == [], (
            relpath
        )
    atom = (project / "dist/feeds/everything.atom.xml").read_text()
    assert "<title>example.org/a&amp; copy/&amp; 0?x=1&amp; lt=2</title>" in atom


def test_an_encoded_word_cannot_inject_email_headers(project, run):
    shutil.copy(BAD / "title-encoded-word.md", project / "content/")
    recipients = project / "recipients.csv"
    recipients.write_text(
        'email,name\nmallory@example.org,"=?utf-8?q?M=0D=0ABcc:_evil2?="\n'
        'eve@example.org,"=?utf-8?q?M=0D=0ABcc:_evil2@example.org?="\n'
    )
    code, _, err = run(
        "send", "-C", project, "--now", FIXED_NOW_ARG, "--dry-run", "--outbox", project / "out"
    )
    assert code == 1, err
    assert "recipients.csv:3: the name of eve@example.org holds an address" in err  # refused outright
    from email import message_from_bytes
    from email.policy import default

    (raw,) = [path.read_bytes() for path in (project / "out").glob("*.eml")]
    message = message_from_bytes(raw, policy=default)
    assert "Bcc" not in message and b"\nBcc:" not in raw
    assert (
        message["Subject"] == "Fixture Weekly #1: =\u2060?utf-8?q?a=0D=0ABcc:_evil@example.org?= and 6 more"
    )
    assert message["To"].addresses[0].addr_spec == "mallory@example.org"


# --- configuration -------------------------------------------------------------------------


def edit_config(project: Path, old: str, new: str) -> None:
    path = project / "linkletter.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def build_errors(run, project: Path) -> list[str]:
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1 and "Traceback" not in err
    return err.splitlines()


def test_unknown_setting_suggests_the_close_match(project, run):
    edit_config(project, "  title: Fixture Links", "  titel: Fixture Links")
    assert build_errors(run, project) == [
        "linkletter.yaml:1: site.title: missing (this key is required)",
        "linkletter.yaml:2: site.titel: unknown key (did you mean 'site.title'?)",
    ]


def test_wrong_types_are_named(project, run):
    edit_config(project, "  feed_limit: 20", "  feed_limit: many")
    edit_config(project, "  author:\n    name: Ada Example\n    email: ada@example.org", "  author: Ada")
    edit_config(project, "smtp:\n", "schedule: every day\nsmtp:\n")
    assert build_errors(run, project) == [
        "linkletter.yaml:5: site.author: must be a mapping, got text",
        "linkletter.yaml:10: build.feed_limit: must be a whole number, got 'many'",
        "linkletter.yaml:22: schedule: must be a mapping, got text",
    ]


def test_base_url_without_scheme(project, run):
    edit_config(project, "https://links.example.org/sub/", "links.example.org/sub/")
    assert build_errors(run, project) == [
        "linkletter.yaml:4: site.base_url: only http and https links are allowed, got no scheme in "
        "'links.example.org/sub/' (write the full address, starting with https://)"
    ]


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "/",
            "build.output: '/' would put generated files over the project (use a folder of its own, such as dist)",
        ),
        (
            ".",
            "build.output: '.' would put generated files over the project (use a folder of its own, such as dist)",
        ),
        (
            "content/dist",
            "build.output: the output folder and the content folder overlap (keep dist/ and content/ apart)",
        ),
    ],
)
def test_dangerous_output_folders(project, run, value, message):
    edit_config(project, "build:\n", f"build:\n  output: {value}\n")
    errors = build_errors(run, project)
    assert f"linkletter.yaml:12: {message}" in errors
    edit_config(project, f"  output: {value}\n", "  state: dist/state\n")
    assert build_errors(run, project) == [
        "linkletter.yaml:12: build.state: the state folder must not be inside the output folder "
        "(the send ledger is private; use .linkletter)"
    ]


def test_two_feeds_with_one_slug(project, run):
    shutil.copy(project / "feeds/python.yaml", project / "feeds/python.yml")
    assert build_errors(run, project) == [
        "feeds/python.yml: a second feed with the slug 'python' (also feeds/python.yaml) (rename one of the files)"
    ]


def test_bad_feed_definitions(project, run):
    (project / "feeds/typo.yaml").write_text("title: Typo\ncatgories: [python]\n")
    (project / "feeds/Bad Name.yaml").write_text("title: X\n")
    assert build_errors(run, project) == [
        "feeds/Bad Name.yaml: the file name 'Bad Name' cannot be a feed slug "
        "(use lower-case letters, digits, - and _ (e.g. python.yaml))",
        "feeds/typo.yaml:2: catgories: unknown key (did you mean 'categories'?)",
    ]


def test_bad_values_are_named(project, run):
    edit_config(project, "Europe/Copenhagen", "Mars/Olympus")
    edit_config(project, "language: en", "language: english!")
    edit_config(project, "weekday: monday", "weekday: someday")
    edit_config(project, 'time: "09:00"', 'time: "9am"')
    edit_config(project, "email: ada@example.org", "email: ada-at-example")
    assert build_errors(run, project) == [
        "linkletter.yaml:7: site.author.email: 'ada-at-example' is not an email address (write e.g. links@example.org)",
        "linkletter.yaml:8: site.language: 'english!' is not a language code (use a code like en or en-GB)",
        "linkletter.yaml:9: site.timezone: unknown time zone 'Mars/Olympus' (use a name like Europe/Copenhagen or UTC)",
        "linkletter.yaml:21: digest.weekday: must be one of monday, tuesday, wednesday, thursday, friday, saturday, "
        "sunday, got 'someday'",
        "linkletter.yaml:22: digest.time: must be a time like 09:00, got '9am'",
    ]


def test_broken_settings_file(project, run):
    (project / "linkletter.yaml").write_text("site: [unclosed\n")
    assert build_errors(run, project) == ["linkletter.yaml:2: invalid YAML: did not find expected ',' or ']'"]
    (project / "linkletter.yaml").unlink()
    assert build_errors(run, project) == [
        "linkletter.yaml: not found (run linkletter in the project folder, or pass --config)"
    ]


# --- faults ---------------------------------------------------------------------------------


def can_mount() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


def mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return result.returncode == 0


def unmount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True)


def test_output_folder_not_writable(project, run):
    dist = project / "dist"
    if os.geteuid() != 0:
        dist.mkdir()
        dist.chmod(0o555)
        expected = "Permission denied"
    elif can_mount() and mount_tmpfs(dist, "ro,size=64k"):
        expected = "Read-only file system"
    else:
        pytest.skip("running as root without permission to mount: permissions cannot be enforced")
    try:
        code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    finally:
        unmount(dist) if os.geteuid() == 0 else dist.chmod(0o755)
    assert code == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if not line.startswith(FIXTURE_NOISE)]
    assert lines[0].startswith("dist/")
    assert lines[0].endswith(
        f": cannot write: {expected} "
        "(check that the output folder exists, is writable and the disk is not full)"
    )
    assert re.fullmatch(
        r"dist: \d+ file\(s\) were not written; the ones already in place are complete "
        r"\(fix the cause and build again\)",
        lines[1],
    )
    assert len(lines) == 2


def test_disk_full_on_a_small_tmpfs(project, run, clean_dist):
    dist = project / "dist"
    if not can_mount() or not mount_tmpfs(dist, "size=64k"):
        pytest.skip("cannot mount a tmpfs here; test_disk_full_injected_at_the_write covers the same path")
    try:
        (dist / "feeds").mkdir()
        (dist / "feeds/everything.atom.xml").write_bytes(b"old complete version")
        (dist / "filler").write_bytes(b"x" * (64 * 1024 - 12 * 1024))
        code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
        assert code == 1
        assert "cannot write: No space left on device" in err
        for path in dist.rglob("*"):
            if path.is_file() and path.name != "filler":
                data = path.read_bytes()
                relpath = path.relative_to(dist).as_posix()
                assert not path.name.startswith("."), "no temporary file is left behind"
                assert data in (clean_dist.get(relpath), b"old complete version"), relpath
    finally:
        unmount(dist)


def test_disk_full_injected_at_the_write(project, clean_dist, monkeypatch):
    config = load_config(project)
    build_site(config, FIXED_NOW)
    before = dist_bytes(project)
    path = project / "content/2024/old.md"
    path.write_text(path.read_text().replace("An old one", "An old one, renamed"))
    real_write = output_module._write_bytes
    writes = []

    def full_disk(fd, data):
        writes.append(len(data))
        if len(writes) >= 2:
            real_write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(fd, data)

    monkeypatch.setattr(output_module, "_write_bytes", full_disk)
    result = build_site(config, FIXED_NOW)
    messages = [str(p) for p in result.problems if p.is_error]
    assert len(messages) == 2 and "cannot write: No space left on device" in messages[0]
    after = dist_bytes(project)
    assert set(after) == set(before), "no temporary file is left behind"
    changed = [p for p in after if after[p] != before[p]]
    assert len(changed) == 1, "only the file written before the disk filled has changed"


@pytest.mark.process
def test_kill_9_during_build_never_leaves_a_mixed_file(corpus_project, tmp_path):
    """Build version A, then build version B and kill it at random moments: every file is always
    all-A or all-B."""
    build_site(load_config(corpus_project), FIXED_NOW)
    old = dist_bytes(corpus_project)
    for path in (corpus_project / "content").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", "---\ndescription: Changed.\n", 1), encoding="utf-8")
    reference = tmp_path / "reference"
    shutil.copytree(corpus_project, reference, ignore=shutil.ignore_patterns("dist"))
    build_site(load_config(reference), FIXED_NOW)
    new = dist_bytes(reference)
    assert set(old) == set(new) and sum(old[p] != new[p] for p in old) > 100
    generator = random.Random(4287)
    partial_runs = 0
    for _ in range(8):
        process = subprocess.Popen(
            [sys.executable, "-m", "linkletter", "build", "-C", str(corpus_project), "--now", FIXED_NOW_ARG],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(generator.uniform(0.2, 0.9))
        process.kill()
        process.wait()
        state = dist_bytes(corpus_project)
        for relpath, data in state.items():
            if Path(relpath).name.startswith("."):
                continue  # a temporary file the killed process did not get to rename
            assert data in (old.get(relpath), new.get(relpath)), f"{relpath} is neither version"
        visible = {p: d for p, d in state.items() if not Path(p).name.startswith(".")}
        partial_runs += any(visible.get(p) == new[p] for p in new) and any(
            visible.get(p) == old[p] != new[p] for p in old
        )
        for relpath in list(visible):
            if visible[relpath] == new.get(relpath):
                (corpus_project / "dist" / relpath).write_bytes(old[relpath])  # back to A for the next round
    assert partial_runs >= 1, "at least one kill landed while files were being replaced"
    build_site(load_config(corpus_project), FIXED_NOW)
    assert dist_bytes(corpus_project) == new, "the next build completes the job and removes leftovers"


# --- output safety --------------------------------------------------------------------------


def test_the_writer_refuses_paths_outside_dist(tmp_path):
    root = tmp_path / "dist"
    root.mkdir()
    for bad in ("../escape.xml", "/etc/passwd", "a/../../escape.xml", "", ".", "feeds/../../x.xml"):
        with pytest.raises(UserError):
            write_if_changed(root, bad, b"x")
    assert not (tmp_path / "escape.xml").exists()
    assert safe_join(root, "feeds/all.rss.xml") == root / "feeds" / "all.rss.xml"


def test_no_write_through_a_symlink_out_of_dist(project, run, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "dist").mkdir()
    (project / "dist/categories").symlink_to(outside, target_is_directory=True)
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1
    assert "refusing to write outside the output folder" in err
    assert list(outside.iterdir()) == []


def test_no_write_through_a_file_symlink_out_of_dist(project, run, tmp_path):
    outside = tmp_path / "outside.xml"
    outside.write_bytes(b"not linkletter's")
    (project / "dist/feeds").mkdir(parents=True)
    (project / "dist/feeds/everything.rss.xml").symlink_to(outside)
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1
    assert "refusing to write outside the output folder" in err
    assert outside.read_bytes() == b"not linkletter's"
    assert (project / "dist/feeds/everything.atom.xml").is_file(), "the other files are written"


def test_a_fifo_in_dist_is_replaced_not_read(tmp_path):
    root = tmp_path / "dist"
    root.mkdir()
    os.mkfifo(root / "index.html")  # reading it would wait for a writer forever
    assert write_if_changed(root, "index.html", b"<p>page</p>") == "written"
    assert (root / "index.html").read_bytes() == b"<p>page</p>"


def test_a_symlink_inside_dist_is_replaced_by_the_file(tmp_path):
    root = tmp_path / "dist"
    (root / "feeds").mkdir(parents=True)
    (root / "feeds/old.xml").write_bytes(b"old")
    (root / "feeds/all.xml").symlink_to(root / "feeds/old.xml")
    assert write_if_changed(root, "feeds/all.xml", b"new") == "written"
    assert not (root / "feeds/all.xml").is_symlink()
    assert (root / "feeds/all.xml").read_bytes() == b"new"
    assert (root / "feeds/old.xml").read_bytes() == b"old"


# --- the published table ----------------------------------------------------------------------


def test_the_published_table_is_current():
    assert (REPO / "docs/hostile-input.md").read_text(encoding="utf-8") == render_table()


def test_every_row_names_an_existing_test():
    for row in ROWS:
        module, _, name = row.test.partition("::")
        source = (TESTS / module).read_text(encoding="utf-8")
        if name:
            functions = {n.name for n in ast.walk(ast.parse(source)) if isinstance(n, ast.FunctionDef)}
            assert name in functions, row.test


def test_check_reports_templates_and_recipients_without_writing(project, run):
    template = project / "templates/archive.html.j2"
    template.write_text(template.read_text().replace("{%- endfor %}", "", 1))
    code, out, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1
    assert "templates/archive.html.j2:" in err and "syntax error: Unexpected end of template" in err
    assert "recipients.csv:7: 'not-an-address' is not an email address; skipped" in err
    assert not (project / "dist").exists()


def test_a_broken_digest_template_does_not_stop_the_feeds(project, run):
    code, _, err = run("digest", "-C", project, "--date", "2024-05-13", "--publish", "--out", project / "p")
    assert code == 0, err
    page = (project / "dist/digest/2024-05-13.html").read_bytes()
    template = project / "templates/digest.html.j2"
    template.write_text(template.read_text().replace("{{ title }}</h1>", "{{ titel }}</h1>"))
    (project / "content/2024/old.md").write_text(
        (project / "content/2024/old.md").read_text().replace("An old one", "An old one, renamed")
    )
    # a build copies the issue page stored at publishing: the digest template is not needed
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert (project / "dist/digest/2024-05-13.html").read_bytes() == page
    # without the stored page the build renders it again, reports the template, and still writes the feeds
    (project / ".linkletter/issues/2024-05-13.html").unlink()
    (project / "content/2024/old.md").write_text(
        (project / "content/2024/old.md")
        .read_text()
        .replace("An old one, renamed", "An old one, renamed twice")
    )
    code, out, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1
    assert "templates/digest.html.j2:" in err and "'titel' is undefined" in err
    assert "An old one, renamed twice" in (project / "dist/categories/python.rss.xml").read_text()
    assert "written" in out


def test_check_renders_every_template(project, run):
    index = project / "templates/index.html.j2"
    index.write_text(index.read_text().replace("{{ site.title }}</h1>", "{{ site.nom }}</h1>"))
    code, _, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1 and "templates/index.html.j2:" in err


def test_a_one_column_csv_of_recipients(project, run):
    (project / "recipients.csv").write_text("email\nalice@example.org\nbob@example.net\n")
    code, out, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert "recipients.csv" not in err


@pytest.mark.parametrize(
    "url, message",
    [
        ("https://links.example.org/unsubscribe", "must contain {token}"),
        ("https://links.example.org/unsubscribe?email={email}", "must contain {token}"),
        ("http://links.example.org/u?t={token}", "must be an https:// URL"),
        ("https://e.org/u?x={token} >, <javascript:alert(1)", "contains spaces"),
    ],
)
def test_unusable_unsubscribe_urls_are_refused(project, run, url, message):
    edit_config(project, "https://links.example.org/unsubscribe?email={email}&token={token}", url)
    errors = build_errors(run, project)
    assert len(errors) == 1 and errors[0].startswith("linkletter.yaml:19: digest.unsubscribe_url: ")
    assert message in errors[0]


def test_a_password_is_never_sent_unencrypted_to_another_host(project, run):
    edit_config(project, "  host: 127.0.0.1", "  host: mail.example.org\n  user: ada\n  password_env: PW")
    assert build_errors(run, project) == [
        "linkletter.yaml:29: smtp.security: 'none' would send the password to mail.example.org unencrypted "
        "(use starttls or tls)"
    ]
