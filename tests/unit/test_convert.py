"""The one converter set: typed values from settings and front matter, problems at the right line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from linkletter.errors import ValueProblem
from linkletter.settings.schema import BUILD
from linkletter.values import convert as c
from linkletter.values.mapping import parse_mapping


def test_a_reader_converts_a_section_and_reports_each_bad_key_at_its_line():
    data, lines = parse_mapping("build:\n  feed_limit: lots\n  catgory_feeds: no\n  output: site\n", 1)
    reader = c.Reader("linkletter.yaml", lines)
    values = reader.section(data["build"], BUILD, "build.")
    assert values["output"] == "site" and values["feed_limit"] == 50  # the default after a bad value
    assert [str(p) for p in reader.problems] == [
        "linkletter.yaml:3: build.catgory_feeds: unknown key (did you mean 'build.category_feeds'?)",
        "linkletter.yaml:2: build.feed_limit: must be a whole number, got 'lots'",
    ]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2024-05-06T09:30:00+02:00", datetime(2024, 5, 6, 7, 30, tzinfo=UTC)),
        ("2024-05-06T07:30:00Z", datetime(2024, 5, 6, 7, 30, tzinfo=UTC)),
        ("2024-05-06 09:30", datetime(2024, 5, 6, 7, 30, tzinfo=UTC)),  # read in the zone
        ("2024-05-06", datetime(2024, 5, 5, 22, 0, tzinfo=UTC)),
        ("Mon, 06 May 2024 07:30:00 GMT", datetime(2024, 5, 6, 7, 30, tzinfo=UTC)),
        ("1714980600", datetime(2024, 5, 6, 7, 30, tzinfo=UTC)),
    ],
)
def test_moments_in_every_accepted_form(raw, expected):
    assert c.moment(raw, ZoneInfo("Europe/Copenhagen")) == expected


@pytest.mark.parametrize("raw", ["next tuesday", "1850-01-01", "3024-01-01", "", "2024-13-01"])
def test_implausible_or_unreadable_moments_are_refused(raw):
    with pytest.raises(ValueProblem) as caught:
        c.moment(raw, ZoneInfo("UTC"))
    assert caught.value.hint


@pytest.mark.parametrize(
    "convert, raw, message",
    [
        (c.boolean, "maybe", "must be true or false, got 'maybe'"),
        (c.boolean, ["x"], "must be true or false, got a list"),
        (c.integer(1, 10), "11", "must be between 1 and 10, got 11"),
        (c.timezone, "Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        (c.email, "not-an-address", "'not-an-address' is not an email address"),
        (c.env_name, "hunter 2", "must name an environment variable, got 'hunter 2'"),
        (c.web_url, "javascript:alert(1)", "only http and https links are allowed"),
    ],
)
def test_converters_raise_one_error_type_with_a_message(convert, raw, message):
    with pytest.raises(ValueProblem) as caught:
        convert(raw)
    assert caught.value.message.startswith(message)


def test_booleans_read_the_usual_spellings():
    assert [c.boolean(v) for v in ("yes", "On", "1", "false", "no", "0", "")] == [True] * 3 + [False] * 4
