"""Weekly send moments keep their local time across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from linkletter.newsletter.slots import latest_slot, next_slot

CPH = ZoneInfo("Europe/Copenhagen")


def test_the_latest_slot_is_this_weeks_when_it_has_passed():
    now = datetime(2024, 5, 13, 8, 30, tzinfo=UTC)  # Monday 10:30 in Copenhagen
    assert latest_slot(now, "monday", "09:00", CPH) == datetime(2024, 5, 13, 7, 0, tzinfo=UTC)


def test_before_the_slot_the_latest_is_last_weeks():
    now = datetime(2024, 5, 13, 6, 59, tzinfo=UTC)  # Monday 08:59 in Copenhagen
    assert latest_slot(now, "monday", "09:00", CPH) == datetime(2024, 5, 6, 7, 0, tzinfo=UTC)


def test_nine_stays_nine_across_the_spring_and_autumn_changes():
    spring = next_slot(datetime(2024, 3, 26, tzinfo=UTC), "monday", "09:00", CPH)  # after 31 March
    autumn = next_slot(datetime(2024, 10, 29, tzinfo=UTC), "monday", "09:00", CPH)  # after 27 October
    assert spring.astimezone(CPH).hour == 9 and spring.utcoffset() is not None
    assert (spring.hour, autumn.hour) == (7, 8)


def test_next_slot_is_a_week_after_the_latest():
    now = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)
    assert (next_slot(now, "friday", "18:30", CPH) - latest_slot(now, "friday", "18:30", CPH)).days == 7
