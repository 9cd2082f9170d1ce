"""The one set of converters for user values (settings, front matter, recipients), and the
`Reader` that applies them to one file, collecting a `Problem` (file, line, field) per bad value.

A converter takes the raw value (text, list, mapping or None, see `mapping.parse_mapping`) and
returns the typed value or raises `ValueProblem` with a message and a hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ERROR, WARNING, Problem, ValueProblem, kind_of
from .links import is_email_address, parse_web_url
from .text import plain_text

T = TypeVar("T")
EARLIEST_YEAR = 1990
LATEST_YEAR = 2999
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0", ""})


@dataclass(frozen=True)
class Key:
    convert: Callable
    default: object = None
    required: bool = False


class Reader:
    """Reads the values of one file (settings, a feed definition, a bookmark's front matter),
    collecting a problem per bad value instead of stopping at the first."""

    def __init__(self, path: str, lines: dict[str, int]):
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    @property
    def failed(self) -> bool:
        return any(p.is_error for p in self.problems)

    def value(self, field: str, convert: Callable[..., T], *args: Any) -> T | None:
        """`convert(*args)`, or None and a problem at `field` when it raises ValueProblem."""
        try:
            return convert(*args)
        except ValueProblem as exc:
            self.problem(exc.field or field, exc.message, exc.hint)
            return None

    def section(self, data: Any, schema: dict[str, Key], prefix: str = "") -> dict[str, Any]:
        """Every key of `schema` converted (its default when missing or bad); unknown keys are
        reported with the closest known one."""
        if data is None:
            data = {}
        if not isinstance(data, dict):
            self.problem(prefix.rstrip("."), "must be a mapping of 'key: value' lines")
            data = {}
        for key in data:
            if key not in schema:
                close = difflib.get_close_matches(key, list(schema), n=1)
                hint = f"did you mean '{prefix}{close[0]}'?" if close else f"known keys: {', '.join(schema)}"
                self.problem(f"{prefix}{key}", "unknown key", hint)
        values = {}
        for key, spec in schema.items():
            raw = data.get(key)
            if raw is None:
                if spec.required:
                    self.problem(f"{prefix}{key}", "missing", "this key is required")
                values[key] = spec.default
                continue
            converted = self.value(f"{prefix}{key}", spec.convert, raw)
            values[key] = spec.default if converted is None else converted
        return values

    def problem(self, field: str, message: str, hint: str | None = None, severity: str = ERROR) -> None:
        """A problem at `field`'s line, or its nearest enclosing section's if it has none."""
        parts = field.split(".")
        line = next(
            (
                self.lines[".".join(parts[:n])]
                for n in range(len(parts), 0, -1)
                if ".".join(parts[:n]) in self.lines
            ),
            None,
        )
        self.problems.append(
            Problem(self.path, message, line=line, field=field or None, hint=hint, severity=severity)
        )

    def warn(self, field: str, message: str, hint: str | None = None) -> None:
        self.problem(field, message, hint, WARNING)


def text(raw) -> str:
    if not isinstance(raw, str):
        raise ValueProblem(f"must be text, got {kind_of(raw)}", "quote the value")
    return raw.strip()


def display_text(raw) -> str:
    """Text shown in feeds and email (titles, names): as plain as a bookmark's title."""
    return plain_text(text(raw))


def text_list(raw) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise ValueProblem("must be a list of names", "write [a, b] or one '- name' per line")
    return tuple(v.strip() for v in raw if v.strip())


def boolean(raw) -> bool:
    """true/yes/on/1 or false/no/off/0 (an empty value is false)."""
    if raw is None:
        return False
    value = raw.strip().lower() if isinstance(raw, str) else None
    if value is None or value not in _TRUE | _FALSE:
        raise ValueProblem(f"must be true or false, got {_show(raw)}")
    return value in _TRUE


def integer(low: int, high: int) -> Callable:
    def convert(raw) -> int:
        try:
            value = int(text(raw))
        except ValueError:
            raise ValueProblem(f"must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueProblem(f"must be between {low} and {high}, got {value}")
        return value

    return convert


def number(low: float, high: float) -> Callable:
    def convert(raw) -> float:
        try:
            value = float(text(raw))
        except ValueError:
            raise ValueProblem(f"must be a number, got {raw!r}") from None
        if not low <= value <= high:
            raise ValueProblem(f"must be between {low:g} and {high:g}, got {value:g}")
        return value

    return convert


def choice(*options: str) -> Callable:
    def convert(raw) -> str:
        value = text(raw).lower()
        if value not in options:
            raise ValueProblem(f"must be one of {', '.join(options)}, got {raw!r}")
        return value

    return convert


def web_url(raw) -> str:
    return parse_web_url(text(raw))


def base_url(raw) -> str:
    url = web_url(raw)
    return url if url.endswith("/") else url + "/"


def timezone(raw) -> ZoneInfo:
    name = text(raw)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueProblem(
            f"unknown time zone {name!r}", "use a name like Europe/Copenhagen or UTC"
        ) from None


def language(raw) -> str:
    value = text(raw)
    if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*", value):
        raise ValueProblem(f"{value!r} is not a language code", "use a code like en or en-GB")
    return value


def email(raw) -> str:
    value = text(raw)
    if not is_email_address(value):
        raise ValueProblem(f"{value!r} is not an email address", "write e.g. links@example.org")
    return value


def mailbox(raw) -> str:
    """'Name <addr@example.org>' or a bare address."""
    value = text(raw)
    _, address = parseaddr(value)
    email(address)
    return value


def clock_time(raw) -> str:
    value = text(raw)
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ValueProblem(f"must be a time like 09:00, got {value!r}")
    return value


def env_name(raw) -> str:
    value = text(raw)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise ValueProblem(
            f"must name an environment variable, got {value!r}",
            "write the variable's name (e.g. LINKLETTER_SMTP_PASSWORD), never the password",
        )
    return value


def mapping(raw) -> dict:
    if not isinstance(raw, dict):
        raise ValueProblem(f"must be a mapping, got {kind_of(raw)}")
    return raw


def moment(raw, zone) -> datetime:
    """An aware datetime in UTC from ISO 8601 (`Z`, an offset, no zone or a date alone: read in
    `zone`), an RFC 822 date or a Unix timestamp; years outside 1990-2999 are refused."""
    if raw is None:
        raise ValueProblem("missing", "add e.g. date: 2024-05-06T09:30:00+02:00")
    value = text(raw)
    try:
        if re.fullmatch(r"\d{9,11}", value):
            result = datetime.fromtimestamp(int(value), UTC)
        else:
            result = _parse_moment_text(value)
        if result.tzinfo is None:
            result = result.replace(tzinfo=zone)
    except (ValueError, OverflowError, OSError):
        raise ValueProblem(
            f"cannot read {value!r} as a date",
            "write e.g. 2024-05-06T09:30:00+02:00, 2024-05-06T07:30:00Z or 2024-05-06",
        ) from None
    if EARLIEST_YEAR <= result.year <= LATEST_YEAR:
        result = result.astimezone(UTC)
    if not EARLIEST_YEAR <= result.year <= LATEST_YEAR:
        raise ValueProblem(
            f"{value!r} is not a plausible date for a bookmark",
            f"use a year between {EARLIEST_YEAR} and {LATEST_YEAR}",
        )
    return result


def _parse_moment_text(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        result = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        raise ValueError(value) from None
    if result.tzinfo is None and re.search(r"[-+]0000\s*$", value):
        result = result.replace(tzinfo=UTC)  # RFC 5322: -0000 is UTC (Python reads it as no zone)
    return result


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else kind_of(value)
