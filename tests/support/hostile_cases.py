"""Every hostile or broken input linkletter is tested with, and what it does with it.

This table drives tests/test_hostile.py and generates docs/hostile-input.md
(`python tests/support/hostile_cases.py > docs/hostile-input.md`); a test fails when the document and this
table differ, or when a row names a test that does not exist.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BAD = Path(__file__).parent.parent / "fixtures" / "bad"


@dataclass(frozen=True)
class ContentCase:
    """A file (or several) dropped into content/bad/ of the fixture site, then `linkletter build`."""

    id: str
    what: str
    outcome: str
    messages: tuple[str, ...]  # exact lines on stderr, besides the fixture's own
    files: tuple[str, ...] = ()  # fixtures in tests/fixtures/bad/
    make: Callable[[Path], None] | None = None  # or build the input in content/bad/
    exit_code: int = 1
    rejected: bool = True  # the file is left out: every other output byte stays the same


@dataclass(frozen=True)
class Row:
    """A case tested by its own test function (configuration, templates, faults, output safety)."""

    group: str
    what: str
    outcome: str
    test: str  # "test_file.py::test_name"


def _big_file(path: Path) -> None:
    with (path / "fifty-megabytes.md").open("wb") as handle:
        handle.write(b"---\ntitle: Huge\nlink: https://bad.example/huge\ndate: 2024-05-01T00:00:00Z\n---\n")
        handle.truncate(50 * 2**20)  # 50 MiB, the rest zeros


def _long_line(path: Path) -> None:
    (path / "ten-megabyte-line.md").write_bytes(
        b"---\ntitle: " + b"x" * (10 * 1024 * 1024) + b"\nlink: https://bad.example/line\n---\n"
    )


def _symlink_out(path: Path) -> None:
    outside = path.parent.parent.parent / "outside.md"
    outside.write_text(
        "---\ntitle: Secret\nlink: https://bad.example/outside\ndate: 2024-05-01T00:00:00Z\n---\n"
    )
    os.symlink(outside, path / "link-outside.md")


def _directory_named_md(path: Path) -> None:
    (path / "x.md").mkdir()
    (path / "x.md" / "inner.md").write_text(
        "---\ntitle: Inside a folder named x.md\nlink: https://bad.example/in-x-md\n"
        "date: 2024-05-01T00:00:00Z\ncategories: [hostile]\n---\n"
    )


HINT_DATE = "(write e.g. 2024-05-06T09:30:00+02:00, 2024-05-06T07:30:00Z or 2024-05-06)"
HINT_LINK = "(write the full address, starting with https://)"

CONTENT_CASES: list[ContentCase] = [
    ContentCase(
        "invalid-yaml",
        "invalid YAML (an unclosed `[`)",
        "file left out; line of the YAML error",
        ("content/bad/invalid-yaml.md:3: invalid YAML: did not find expected ',' or ']'",),
        ("invalid-yaml.md",),
    ),
    ContentCase(
        "unclosed",
        "front matter never closed",
        "file left out",
        (
            "content/bad/unclosed.md:1: the front matter is never closed (add a line '---' after the last key)",
        ),
        ("unclosed.md",),
    ),
    ContentCase(
        "not-utf8",
        "a file that is not UTF-8 (Latin-1 bytes)",
        "file left out; line and byte offset",
        ("content/bad/not-utf8.md:2: is not UTF-8 text (byte 0xe9 at offset 14) (save the file as UTF-8)",),
        ("not-utf8.md",),
    ),
    ContentCase(
        "empty",
        "an empty file",
        "file left out",
        ("content/bad/empty.md: the file is empty (a bookmark starts with a '---' line)",),
        ("empty.md",),
    ),
    ContentCase(
        "no-front-matter",
        "no `---` fences at all",
        "file left out",
        (
            "content/bad/no-front-matter.md:1: no front matter: the first line must be '---' "
            "(see the README for the format)",
        ),
        ("no-front-matter.md",),
    ),
    ContentCase(
        "not-a-mapping",
        "front matter that is a list, not `key: value` lines",
        "file left out",
        ("content/bad/not-a-mapping.md:2: the front matter must be a mapping of 'key: value'",),
        ("not-a-mapping.md",),
    ),
    ContentCase(
        "fifty-megabytes",
        "a 50 MB file",
        "refused by its size before it is read (memory stays small)",
        (
            "content/bad/fifty-megabytes.md: is 50.0 MiB; a bookmark file may be at most 1 MiB "
            "(keep long notes elsewhere and link to them)",
        ),
        make=_big_file,
    ),
    ContentCase(
        "ten-megabyte-line",
        "a file with a 10 MB single line",
        "refused by its size before it is read",
        (
            "content/bad/ten-megabyte-line.md: is 10.0 MiB; a bookmark file may be at most 1 MiB "
            "(keep long notes elsewhere and link to them)",
        ),
        make=_long_line,
    ),
    ContentCase(
        "alias-bomb",
        'a YAML alias bomb ("billion laughs")',
        "refused at the first anchor, before expansion",
        ("content/bad/alias-bomb.md:2: YAML anchors and aliases are not supported (write the value out)",),
        ("alias-bomb.md",),
    ),
    ContentCase(
        "deeply-nested",
        "YAML nested 5,000 levels deep",
        "refused by the YAML parser's depth limit",
        ("content/bad/deeply-nested.md:5: invalid YAML: exceeded maximum nesting depth",),
        ("deeply-nested.md",),
    ),
    ContentCase(
        "duplicate-key",
        "the same key twice",
        "file left out (which value was meant is unknown)",
        ("content/bad/duplicate-key.md:3: title: the key 'title' appears twice",),
        ("duplicate-key.md",),
    ),
    ContentCase(
        "title-int",
        "a title that is a number (`title: 2024`)",
        "accepted: every value is read as text",
        (),
        ("title-int.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "title-list",
        "a title that is a list",
        "file left out",
        ("content/bad/title-list.md:2: title: must be text, got a list (quote the value)",),
        ("title-list.md",),
    ),
    ContentCase(
        "title-mapping",
        "a title that is a mapping",
        "file left out",
        ("content/bad/title-mapping.md:2: title: must be text, got a mapping (quote the value)",),
        ("title-mapping.md",),
    ),
    ContentCase(
        "categories-mapping",
        "categories that are a mapping",
        "file left out",
        (
            "content/bad/categories-mapping.md:5: categories: must be a list of names, got a mapping "
            "(write one '- name' line per category)",
        ),
        ("categories-mapping.md",),
    ),
    ContentCase(
        "ten-thousand-categories",
        "10,000 categories on one bookmark",
        "file left out (at most 50)",
        (
            "content/bad/ten-thousand-categories.md:5: categories: has 10000 categories; at most 50 are allowed",
        ),
        ("ten-thousand-categories.md",),
    ),
    ContentCase(
        "script-everywhere",
        "`<script>`, `onerror=`, `onclick=`, `style`, `<iframe>`, `javascript:` and `data:` URLs in title, "
        "description, body and image",
        "accepted and sanitised: tags dropped from title and description, body cleaned by nh3, "
        "only http(s) links kept, the image left out with a warning",
        (
            "content/bad/script-everywhere.md:7: warning: featuredImage: only http and https links are allowed, "
            "got 'javascript:' in 'javascript:alert(3)'; the image is left out " + HINT_LINK,
        ),
        ("script-everywhere.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "title-entity-markup",
        "entity-encoded tags (`&lt;b&gt;`, `&amp;lt;i&amp;gt;`), broken tags (`<<b>b>`), entity-like text",
        "accepted as text: tags dropped and entities decoded until stable, what still reads as markup "
        "defused (`AT&Tau` becomes `AT& Tau`), so no feed reader or validator sees HTML in it",
        (),
        ("title-entity-markup.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "title-encoded-word",
        "a title that looks like an RFC 2047 encoded word hiding a `Bcc:` header",
        "accepted as text; in the email's Subject the `=?` is split so no header can be injected",
        (),
        ("title-encoded-word.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "image-data-url",
        "a `data:` URL as featuredImage",
        "accepted without the image, with a warning",
        (
            "content/bad/image-data-url.md:6: warning: featuredImage: only http and https links are allowed, "
            "got 'data:' in 'data:image/png;base64,iVBORw0KGgo='; the image is left out " + HINT_LINK,
        ),
        ("image-data-url.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "link-javascript",
        "a `javascript:` link",
        "file left out",
        (
            "content/bad/link-javascript.md:3: link: only http and https links are allowed, got 'javascript:' in "
            "'javascript:alert(1)' " + HINT_LINK,
        ),
        ("link-javascript.md",),
    ),
    ContentCase(
        "link-data",
        "a `data:` link",
        "file left out",
        (
            "content/bad/link-data.md:3: link: only http and https links are allowed, got 'data:' in "
            "'data:text/html,<script>alert(1)</script>' " + HINT_LINK,
        ),
        ("link-data.md",),
    ),
    ContentCase(
        "link-file",
        "a `file:` link",
        "file left out",
        (
            "content/bad/link-file.md:3: link: only http and https links are allowed, got 'file:' in "
            "'file:///etc/passwd' " + HINT_LINK,
        ),
        ("link-file.md",),
    ),
    ContentCase(
        "link-no-scheme",
        "a link without a scheme (`www.example.com/page`)",
        "file left out",
        (
            "content/bad/link-no-scheme.md:3: link: only http and https links are allowed, got no scheme in "
            "'www.example.com/page' " + HINT_LINK,
        ),
        ("link-no-scheme.md",),
    ),
    ContentCase(
        "link-spaces",
        "a link with spaces",
        "read as browsers do (WHATWG): each space becomes `%20`; a note, not an error",
        (),
        ("link-spaces.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "link-ipv6",
        "a link to an IPv6 address",
        "file left out: the W3C validator refuses `[` `]` in URLs",
        (
            "content/bad/link-ipv6.md:3: link: links to IPv6 addresses ([2001:db8::1]) cannot appear in feeds "
            "(the W3C feed validator refuses '[' and ']' in URLs; link to a host name)",
        ),
        ("link-ipv6.md",),
    ),
    ContentCase(
        "link-missing",
        "no link",
        "file left out",
        ("content/bad/link-missing.md: link: missing " + HINT_LINK,),
        ("link-missing.md",),
    ),
    ContentCase(
        "category-traversal",
        "categories `../../etc/passwd`, `CON`, `.`, `!!!`, blank, and slug `../../etc/passwd`",
        "accepted: feeds `categories/etc-passwd.*` and `categories/con-<hash>.*` inside dist/; "
        "names without letters or digits ignored with a warning; the slug is never a path",
        (
            "content/bad/category-traversal.md:5: warning: categories: '.' has no letters or digits; ignored",
            "content/bad/category-traversal.md:5: warning: categories: '!!!' has no letters or digits; ignored",
            "content/bad/category-traversal.md:5: warning: categories: '  ' has no letters or digits; ignored",
        ),
        ("category-traversal.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "slug-collision",
        "two files with the same `slug`",
        "both kept: slugs name no file",
        (),
        ("slug-collision-a.md", "slug-collision-b.md"),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "symlink-outside",
        "a symbolic link to a file outside content/",
        "not followed; reported",
        (
            "content/bad/link-outside.md: is a symbolic link to a file outside the content folder; skipped "
            "(copy the file into the content folder instead)",
        ),
        make=_symlink_out,
    ),
    ContentCase(
        "directory-named-md",
        "a directory named `x.md`",
        "treated as a folder: the bookmarks in it are read",
        (),
        make=_directory_named_md,
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "control-escaped",
        "control characters (`\\x01`, DEL, C1) written as YAML escapes",
        "removed from the text, with a warning",
        (
            "content/bad/control-escaped.md:2: warning: title: control characters removed "
            "(they cannot appear in a feed)",
        ),
        ("control-escaped.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "control-raw",
        "raw control characters and a NUL byte in the file",
        "removed, with a warning",
        (
            "content/bad/control-raw.md: warning: 4 control character(s) removed (they cannot appear in a feed)",
        ),
        ("control-raw.md",),
        exit_code=0,
        rejected=False,
    ),
    ContentCase(
        "lone-surrogate",
        "a lone surrogate (`\\ud800`) in a field",
        "file left out (YAML refuses it)",
        ("content/bad/lone-surrogate.md:2: invalid YAML: found invalid Unicode character escape code",),
        ("lone-surrogate.md",),
    ),
    ContentCase(
        "date-year-1",
        "a date in year 1",
        "file left out",
        (
            "content/bad/date-year-1.md:4: date: '0001-01-01T00:00:00Z' is not a plausible date for a bookmark "
            "(use a year between 1990 and 2999)",
        ),
        ("date-year-1.md",),
    ),
    ContentCase(
        "date-year-9999",
        "a date in year 9999",
        "file left out",
        (
            "content/bad/date-year-9999.md:4: date: '9999-12-31T23:59:59-05:00' is not a plausible date for a "
            "bookmark (use a year between 1990 and 2999)",
        ),
        ("date-year-9999.md",),
    ),
    ContentCase(
        "date-unparseable",
        "an unparseable date (`next tuesday`)",
        "file left out",
        ("content/bad/date-unparseable.md:4: date: cannot read 'next tuesday' as a date " + HINT_DATE,),
        ("date-unparseable.md",),
    ),
    ContentCase(
        "date-impossible",
        "an impossible date (30 February)",
        "file left out",
        (
            "content/bad/date-impossible.md:4: date: cannot read '2024-02-30T10:00:00Z' as a date "
            + HINT_DATE,
        ),
        ("date-impossible.md",),
    ),
    ContentCase(
        "date-missing",
        "no date",
        "file left out",
        ("content/bad/date-missing.md: date: missing (add e.g. date: 2024-05-06T09:30:00+02:00)",),
        ("date-missing.md",),
    ),
    ContentCase(
        "several-problems",
        "several bad fields in one file",
        "every problem reported at once",
        (
            "content/bad/several-problems.md:3: link: only http and https links are allowed, got 'ftp:' in "
            "'ftp://bad.example/several' " + HINT_LINK,
            "content/bad/several-problems.md:4: date: cannot read 'yesterday' as a date " + HINT_DATE,
            "content/bad/several-problems.md:5: categories: must be a list of names, got a mapping "
            "(write one '- name' line per category)",
        ),
        ("several-problems.md",),
    ),
]

ROWS: list[Row] = [
    Row(
        "configuration",
        "an unknown key (`site.titel`)",
        "named with its line and the closest known key",
        "test_hostile.py::test_unknown_setting_suggests_the_close_match",
    ),
    Row(
        "configuration",
        "wrong types (`feed_limit: many`, `author: Ada`, a section that is text)",
        "each named with its line",
        "test_hostile.py::test_wrong_types_are_named",
    ),
    Row(
        "configuration",
        "a base URL without a scheme",
        "refused with a hint",
        "test_hostile.py::test_base_url_without_scheme",
    ),
    Row(
        "configuration",
        "an output folder that is `/`, the project, or inside `content/`",
        "refused",
        "test_hostile.py::test_dangerous_output_folders",
    ),
    Row(
        "configuration",
        "the state folder inside the output folder",
        "refused: the ledger is private",
        "test_hostile.py::test_dangerous_output_folders",
    ),
    Row(
        "configuration",
        "two feeds with the same slug (`python.yaml` and `python.yml`)",
        "refused",
        "test_hostile.py::test_two_feeds_with_one_slug",
    ),
    Row(
        "configuration",
        "an unknown key in a feed definition, a file name that is no slug",
        "named, with the close match",
        "test_hostile.py::test_bad_feed_definitions",
    ),
    Row(
        "configuration",
        "an unknown time zone, language code, weekday, time or email address",
        "each named with its line",
        "test_hostile.py::test_bad_values_are_named",
    ),
    Row(
        "configuration",
        "invalid YAML, a missing settings file",
        "named",
        "test_hostile.py::test_broken_settings_file",
    ),
    Row(
        "templates",
        "a template with a syntax error",
        "file and line",
        "test_digest.py::test_template_syntax_error_names_file_and_line",
    ),
    Row(
        "templates",
        "a template with an undefined variable",
        "file and line",
        "test_digest.py::test_undefined_template_variable_names_file_and_line",
    ),
    Row(
        "templates",
        "a template that links a remote stylesheet",
        "never fetched (premailer's network access is off)",
        "test_digest.py::test_premailer_never_fetches_and_cssutils_stays_quiet",
    ),
    Row(
        "configuration",
        "an SMTP password variable that is not set",
        "named before connecting",
        "test_send.py::test_a_missing_password_variable_is_reported_before_connecting",
    ),
    Row(
        "faults",
        "`dist/` not writable",
        "one clear message; files already written stay complete",
        "test_hostile.py::test_output_folder_not_writable",
    ),
    Row(
        "faults",
        "the disk fills up during a build (a 64 KB tmpfs)",
        "one clear message; old files stay complete",
        "test_hostile.py::test_disk_full_on_a_small_tmpfs",
    ),
    Row(
        "faults",
        "the disk fills up during a build (error injected at the write)",
        "one clear message; no partial file, no temporary left",
        "test_hostile.py::test_disk_full_injected_at_the_write",
    ),
    Row(
        "faults",
        "`kill -9` of a real build at random moments",
        "every file is the complete old or the complete new version; leftovers removed by the next build",
        "test_hostile.py::test_kill_9_during_build_never_leaves_a_mixed_file",
    ),
    Row(
        "faults",
        "two `send` processes at once (a `run` and a cron `send`)",
        "the second stops at once with a message; nobody is mailed twice",
        "test_send.py::test_a_second_send_at_the_same_time_stops_with_a_message",
    ),
    Row(
        "faults",
        "the server refuses the sender (550 quota exceeded)",
        "the run stops and records nobody as failed; the next run sends to all",
        "test_send.py::test_a_refused_sender_stops_the_run_and_records_nobody",
    ),
    Row(
        "faults",
        "an issue still unfinished when its deadline passes",
        "finished anyway: nobody is skipped",
        "test_send.py::test_a_started_issue_is_finished_even_after_its_deadline",
    ),
    Row(
        "templates",
        "a broken digest template at build time",
        "reported; the feeds are written all the same",
        "test_hostile.py::test_a_broken_digest_template_does_not_stop_the_feeds",
    ),
    Row(
        "templates",
        "a deleted template, an undefined variable in any template",
        "`check` renders every template",
        "test_hostile.py::test_check_renders_every_template",
    ),
    Row(
        "configuration",
        "an unsubscribe URL without `{email}`/`{token}`, not https, or with spaces",
        "refused",
        "test_hostile.py::test_unusable_unsubscribe_urls_are_refused",
    ),
    Row(
        "configuration",
        "`smtp.security: none` with a login to another host",
        "refused: the password would travel in clear",
        "test_hostile.py::test_a_password_is_never_sent_unencrypted_to_another_host",
    ),
    Row(
        "configuration",
        "no `digest.from`",
        "refused before anything is sent",
        "test_send.py::test_sending_needs_a_sender",
    ),
    Row(
        "faults",
        "an SMTP server that hangs",
        "timeout, then a clear error",
        "test_send.py::test_a_server_that_never_answers_times_out_with_a_clear_error",
    ),
    Row(
        "faults",
        "an SMTP host name that does not resolve",
        "a clear error",
        "test_send.py::test_a_host_name_that_does_not_resolve",
    ),
    Row(
        "faults",
        "`kill -9` of `send` during a message, between messages, at random moments",
        "the ledger resumes: everyone exactly once (the ambiguous instant resends the same Message-ID)",
        "test_send.py::test_kill_9_at_random_moments_never_mails_two_different_copies",
    ),
    Row(
        "output safety",
        "a symbolic link inside dist/ that points outside",
        "refused: nothing is written through it",
        "test_hostile.py::test_no_write_through_a_symlink_out_of_dist",
    ),
    Row(
        "output safety",
        "encoded words (`=?utf-8?q?...=0D=0ABcc:...?=`) in a title and a recipient's name",
        "no header injected: `=?` is split by an invisible word joiner",
        "test_hostile.py::test_an_encoded_word_cannot_inject_email_headers",
    ),
    Row(
        "output safety",
        "paths with `..`, absolute paths",
        "refused by the writer",
        "test_hostile.py::test_the_writer_refuses_paths_outside_dist",
    ),
    Row(
        "output safety",
        "hostile bookmark text in every output (feeds, web pages, email)",
        "no script, event handler, style, iframe or non-http(s) URL anywhere",
        "test_hostile.py::test_hostile_text_never_reaches_any_output",
    ),
    Row(
        "properties",
        "arbitrary front matter and whole sites (hypothesis)",
        "only the project's UserError escapes; feeds parse with bozo 0; email parses back",
        "test_properties.py",
    ),
]


def render_table() -> str:
    lines = [
        "# Hostile and broken input",
        "",
        "Generated from `tests/support/hostile_cases.py`, which also drives the tests; do not edit by hand",
        "(`python tests/support/hostile_cases.py > docs/hostile-input.md`).",
        "",
        f"{len(CONTENT_CASES)} content cases and {len(ROWS)} other cases. For every content case the rest of the",
        "build goes on: a rejected file changes no other output byte, and the exit status is 1 only when a",
        "file was rejected.",
        "",
        "## Bookmark files",
        "",
        "| case | what linkletter does | message |",
        "|---|---|---|",
    ]
    for case in CONTENT_CASES:
        message = "<br>".join(f"`{m}`" for m in case.messages) or "(none)"
        lines.append(f"| {case.what} | {case.outcome} | {message.replace('|', '&#124;')} |")
    group = None
    for row in ROWS:
        if row.group != group:
            group = row.group
            lines += [
                "",
                f"## {group.capitalize()}",
                "",
                "| case | what linkletter does | test |",
                "|---|---|---|",
            ]
        lines.append(f"| {row.what} | {row.outcome} | `{row.test}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_table(), end="")
