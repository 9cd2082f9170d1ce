"""Starting a site: `linkletter init`, the packaged templates, and what a project may leave out."""

from __future__ import annotations

import feedparser

from conftest import FIXED_NOW, FIXED_NOW_ARG, TEMPLATES, run_process
from linkletter.publish.templates import packaged_templates
from support.feedcheck import check_feed

STARTER = ["linkletter.yaml", "feeds/all.yaml", "content/jsonfeed-version-1-1.md", ".gitignore"]


def test_init_writes_a_project_and_builds_it(tmp_path, run):
    site = tmp_path / "new-site"
    code, out, err = run("init", site, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert [line.removeprefix("wrote ") for line in out.splitlines()[:4]] == STARTER
    assert not (site / "templates").exists()
    assert "1 bookmarks, 1 feeds" in out
    rss = (site / "dist/feeds/all.rss.xml").read_bytes()
    assert check_feed(rss, "https://example.org/links/feeds/all.rss.xml", FIXED_NOW) == []
    parsed = feedparser.parse(rss)
    assert parsed.bozo == 0 and parsed.entries[0].link == "https://www.jsonfeed.org/version/1.1/"
    assert (site / "dist/index.html").exists()


def test_check_names_every_placeholder_still_to_fill(tmp_path, run):
    run("init", tmp_path, "--now", FIXED_NOW_ARG)
    code, out, err = run("check", "-C", tmp_path, "--now", FIXED_NOW_ARG)
    assert code == 0 and "0 error(s), 3 warning(s)" in out
    for key, value in [
        ("site.base_url", "https://example.org/links/"),
        ("site.author.name", "Your Name"),
        ("site.author.email", "you@example.org"),
    ]:
        assert f"linkletter.yaml: warning: {key}: still the placeholder {value!r}, set it" in err
    settings = tmp_path / "linkletter.yaml"
    settings.write_text(
        settings.read_text()
        .replace("https://example.org/links/", "https://me.example.net/")
        .replace("Your Name", "Me")
        .replace("    email: you@example.org\n", "")
    )
    code, out, err = run("check", "-C", tmp_path, "--now", FIXED_NOW_ARG)
    assert code == 0 and "0 error(s), 0 warning(s)" in out, err


def test_init_never_overwrites_and_reports_what_it_skipped(tmp_path, run):
    (tmp_path / "content").mkdir()
    (tmp_path / "linkletter.yaml").write_text(
        "site:\n  title: Mine\n  base_url: https://mine.example.net/\n  author:\n    name: Me\n"
    )
    code, out, err = run("init", "-C", tmp_path, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert "skipped linkletter.yaml: it exists already" in err
    assert "Mine" in (tmp_path / "linkletter.yaml").read_text()
    assert "wrote content/jsonfeed-version-1-1.md" in out
    (tmp_path / "feeds/all.yaml").write_text("title: Edited\n")
    code, out, err = run("init", tmp_path, "--templates", "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert all(f"skipped {name}: it exists already" in err for name in STARTER)
    assert (tmp_path / "feeds/all.yaml").read_text() == "title: Edited\n"


def test_init_templates_copies_every_packaged_template(tmp_path, run):
    code, out, _ = run("init", tmp_path, "--templates", "--now", FIXED_NOW_ARG)
    assert code == 0
    copied = sorted(p.name for p in (tmp_path / "templates").iterdir())
    assert copied == [p.name for p in packaged_templates()]
    assert {"digest.html.j2", "digest.css", "index.html.j2"} <= set(copied)
    assert (tmp_path / "templates/digest.css").read_bytes() == (TEMPLATES / "digest.css").read_bytes()


def test_a_project_needs_only_settings_and_bookmarks(tmp_path):
    (tmp_path / "linkletter.yaml").write_text(
        "site:\n  title: Tiny\n  base_url: https://tiny.example.net/\n  author:\n    name: T\n"
    )
    (tmp_path / "content").mkdir()
    (tmp_path / "content/a.md").write_text(
        "---\ntitle: A\nlink: https://a.example.net/\ndate: 2024-05-01\n---\n"
    )
    build = run_process("build", "--now", FIXED_NOW_ARG, cwd=tmp_path)
    assert build.returncode == 0, build.stderr
    check = run_process("check", "--now", FIXED_NOW_ARG, cwd=tmp_path)
    assert check.returncode == 0 and "0 error(s)" in check.stdout, check.stderr
    assert "Tiny" in (tmp_path / "dist/index.html").read_text()


def test_a_project_template_overrides_only_that_file(project, run):
    for path in (project / "templates").iterdir():
        if path.name != "index.html.j2":
            path.unlink()
    index = project / "templates/index.html.j2"
    index.write_text(
        index.read_text().replace("<h1>{{ site.title }}</h1>", "<h1>Restyled {{ site.title }}</h1>")
    )
    code, _, err = run("build", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 0, err
    assert "<h1>Restyled Fixture Links</h1>" in (project / "dist/index.html").read_text()
    code, out, err = run("digest", "-C", project, "--date", "2024-05-13", "--out", project / "preview")
    assert code == 0, err
    assert "Fixture Weekly" in (project / "preview/web.html").read_text()


def test_an_error_in_an_override_names_the_project_file(project, run):
    css = project / "templates/digest.txt.j2"
    css.write_text("{{ titel }}\n")
    code, _, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    assert code == 1 and "templates/digest.txt.j2:1: 'titel' is undefined" in err


def test_every_packaged_template_is_declared_as_package_data():
    import fnmatch
    import tomllib

    from conftest import REPO

    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "linkletter"
    ]
    for path in TEMPLATES.iterdir():
        assert any(fnmatch.fnmatch(f"templates/{path.name}", g) for g in globs), path.name
