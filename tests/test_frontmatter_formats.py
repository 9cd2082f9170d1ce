"""Bookmarks with TOML (`+++`) or JSON front matter, as Hugo writes them: the same fields, the
same "every value is text" rule, and errors with a line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIXED_NOW, FIXED_NOW_ARG
from linkletter.commands.build import load_site
from linkletter.content.frontmatter import front_matter_kind, split_document
from linkletter.errors import ValueProblem
from linkletter.settings.load import load_config
from linkletter.values.mapping import parse_front_matter

TOML = """+++
title = "Hugo in TOML"
link = "https://toml.example.org/post"
date = 2024-05-10T10:00:00+02:00
categories = ["python", "Hugo"]
description = 2024
draft = false
[source]
name = "Hugo"
+++
The body of a **TOML** bookmark.
"""

JSON = """{
  "title": "Hugo in JSON",
  "link": "https://json.example.org/post",
  "date": "2024-05-09",
  "categories": ["python"],
  "description": 3.5,
  "draft": false,
  "featuredImage": "https://json.example.org/a.png"
}
The body of a *JSON* bookmark.
"""


def built(project, run, name: str, text: str):
    (project / "content" / name).write_text(text, encoding="utf-8")
    code, out, err = run("check", "-C", project, "--now", FIXED_NOW_ARG)
    return code, err


def bookmark(project, link: str):

    bookmarks, problems = load_site(load_config(project), FIXED_NOW)
    return next(b for b in bookmarks if b.link == link), problems


def test_toml_front_matter_is_read_like_yaml(project):
    (project / "content/hugo.md").write_text(TOML)
    found, _ = bookmark(project, "https://toml.example.org/post")
    assert found.title == "Hugo in TOML"
    assert found.date.isoformat() == "2024-05-10T08:00:00+00:00"
    assert [c.name for c in found.categories] == ["python", "Hugo"]
    assert found.description == "2024"  # a TOML number becomes text, as in YAML
    assert "<strong>TOML</strong>" in found.body_html


def test_json_front_matter_is_read_like_yaml(project):
    (project / "content/hugo.md").write_text(JSON)
    found, _ = bookmark(project, "https://json.example.org/post")
    assert found.title == "Hugo in JSON" and found.description == "3.5"
    assert found.date.date().isoformat() == "2024-05-08"  # midnight in Europe/Copenhagen, in UTC
    assert found.image == "https://json.example.org/a.png"
    assert "<em>JSON</em>" in found.body_html


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '+++\ntitle = "x"\nlink = "https://a.example.org/"\ndate = 2024-05-10\ntitle = "y"\n+++\n',
            "hugo.md:5: invalid TOML: ",
        ),
        ('+++\ntitle = "x"\nlink = https://a.example.org/\n+++\n', "hugo.md:3: invalid TOML: "),
        (
            '+++\ntitle = "x"\n',
            "hugo.md:1: the front matter is never closed (add a line '+++' after the last key)",
        ),
        (
            '{\n  "title": "x",\n  "link": "https://a.example.org/",\n  "title": "y"\n}\n',
            "hugo.md:4: title: the key 'title' appears twice",
        ),
        (
            '{\n  "title": "x",\n  "link": "https://a.example.org/"\n  "date": "2024-05-10"\n}\n',
            "hugo.md:4: invalid JSON: Expecting ',' delimiter",
        ),
        (
            '{"title": "x", "link": "https://a.example.org/"} trailing\n',
            "hugo.md:1: the JSON front matter must end its line",
        ),
        (
            '{\n  "title": "x",\n  "link": "https://a.example.org/",\n  "date": true\n}\n',
            "hugo.md:4: date: cannot read 'true' as a date",
        ),
        (
            '+++\ntitle = "x"\nlink = "https://a.example.org/"\ndate = "2024-05-10"\ncategories = [[[[[[[[["deep"]]]]]]]]]\n+++\n',
            "hugo.md:2: nested deeper than 8 levels",
        ),
    ],
)
def test_errors_name_the_file_and_line(project, run, text, message):
    code, err = built(project, run, "hugo.md", text)
    assert code == 1
    assert f"content/{message}" in err, err
    assert "Traceback" not in err


def test_a_toml_draft_is_left_out(project):
    (project / "content/hugo.md").write_text(TOML.replace("draft = false", "draft = true"))

    bookmarks, _ = load_site(load_config(project), FIXED_NOW)
    assert "https://toml.example.org/post" not in {b.link for b in bookmarks}


toml_or_json = st.one_of(
    st.builds(
        lambda s: f"+++\n{s}\n+++\nbody", st.text(alphabet="abc =[]{}\"'.,\n0123456789-:TZ#+", max_size=80)
    ),
    st.builds(lambda s: "{" + s, st.text(alphabet='abc "{}[]:,\n0123456789.-truefalsn\\', max_size=80)),
    st.builds(lambda s: f"+++\n{s}\n+++\n", st.text(max_size=40)),
)


@settings(max_examples=300, deadline=None)
@given(toml_or_json)
def test_any_toml_or_json_front_matter_gives_text_or_a_value_problem(text):
    try:
        front, line, _, _ = split_document(text)
        data, _ = parse_front_matter(front, line, front_matter_kind(text))
    except ValueProblem as exc:
        assert exc.message and (exc.line is None or exc.line >= 1)
        return
    assert isinstance(data, dict)
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            assert all(isinstance(k, str) for k in value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        else:
            assert value is None or isinstance(value, str)
