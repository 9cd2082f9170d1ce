"""Weekly send moments ("slots"), computed in the digest's time zone so 09:00 stays 09:00 across
daylight-saving changes. Pure; the clock is a parameter."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..model import WEEKDAYS


def latest_slot(now: datetime, weekday: str, hhmm: str, zone: ZoneInfo) -> datetime:
    """The most recent weekly send moment at or before `now`, in UTC."""
    local = now.astimezone(zone)
    days_back = (local.weekday() - WEEKDAYS.index(weekday)) % 7
    slot = _at(local.date() - timedelta(days=days_back), hhmm, zone)
    if slot > now:
        slot = _at(slot.astimezone(zone).date() - timedelta(days=7), hhmm, zone)
    return slot


def next_slot(now: datetime, weekday: str, hhmm: str, zone: ZoneInfo) -> datetime:
    """The first weekly send moment after `now`, in UTC."""
    last = latest_slot(now, weekday, hhmm, zone).astimezone(zone)
    return _at(last.date() + timedelta(days=7), hhmm, zone)


def _at(day, hhmm: str, zone: ZoneInfo) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)
