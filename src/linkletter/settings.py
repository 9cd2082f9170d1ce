"""Typed reading of settings mappings: each key has a converter; unknown keys get a suggestion.

A converter takes the raw value (text, list, mapping or None, see frontmatter.parse_mapping) and
returns the typed value or raises SettingError with a message and a hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import Problem, kind_of
from .markup import plain_text
from .urls import LinkError, is_email_address, parse_web_url


class SettingError(ValueError):
    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class Key:
    convert: Callable
    default: object = None
    required: bool = False


class Reader:
    """Reads one settings file, collecting problems instead of stopping at the first."""

    def __init__(self, path: str, lines: dict[str, int]):
        self.path = path
        self.lines = lines
        self.problems: list[Problem] = []

    def section(self, data, schema: dict[str, Key], prefix: str = "") -> dict:
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
            try:
                values[key] = spec.convert(raw)
            except SettingError as exc:
                self.problem(f"{prefix}{key}", exc.message, exc.hint)
                values[key] = spec.default
        return values

    def problem(self, field: str, message: str, hint: str | None = None) -> None:
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
        self.problems.append(Problem(self.path, line, field or None, message, hint))


def text(raw) -> str:
    if not isinstance(raw, str):
        raise SettingError(f"must be text, got {kind_of(raw)}", "quote the value")
    return raw.strip()


def display_text(raw) -> str:
    """Text shown in feeds and email (titles, names): as plain as a bookmark's title."""
    return plain_text(text(raw))


def text_list(raw) -> tuple[str, ...]:
    if isinstance(raw, str):
        raw = [part for part in raw.split(",")]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        raise SettingError("must be a list of names", "write [a, b] or one '- name' per line")
    return tuple(v.strip() for v in raw if v.strip())


def boolean(raw) -> bool:
    value = text(raw).lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise SettingError(f"must be true or false, got {raw!r}")


def integer(low: int, high: int) -> Callable:
    def convert(raw) -> int:
        try:
            value = int(text(raw))
        except ValueError:
            raise SettingError(f"must be a whole number, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingError(f"must be between {low} and {high}, got {value}")
        return value

    return convert


def number(low: float, high: float) -> Callable:
    def convert(raw) -> float:
        try:
            value = float(text(raw))
        except ValueError:
            raise SettingError(f"must be a number, got {raw!r}") from None
        if not low <= value <= high:
            raise SettingError(f"must be between {low:g} and {high:g}, got {value:g}")
        return value

    return convert


def choice(*options: str) -> Callable:
    def convert(raw) -> str:
        value = text(raw).lower()
        if value not in options:
            raise SettingError(f"must be one of {', '.join(options)}, got {raw!r}")
        return value

    return convert


def web_url(raw) -> str:
    try:
        return parse_web_url(text(raw))
    except LinkError as exc:
        raise SettingError(exc.message, exc.hint) from None


def base_url(raw) -> str:
    url = web_url(raw)
    return url if url.endswith("/") else url + "/"


def timezone(raw) -> ZoneInfo:
    name = text(raw)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(
            f"unknown time zone {name!r}", "use a name like Europe/Copenhagen or UTC"
        ) from None


def language(raw) -> str:
    value = text(raw)
    if not re.fullmatch(r"[a-zA-Z]{2,3}(-[a-zA-Z0-9]{1,8})*", value):
        raise SettingError(f"{value!r} is not a language code", "use a code like en or en-GB")
    return value


def email(raw) -> str:
    value = text(raw)
    if not is_email_address(value):
        raise SettingError(f"{value!r} is not an email address", "write e.g. links@example.org")
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
        raise SettingError(f"must be a time like 09:00, got {value!r}")
    return value


def env_name(raw) -> str:
    value = text(raw)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
        raise SettingError(
            f"must name an environment variable, got {value!r}",
            "write the variable's name (e.g. LINKLETTER_SMTP_PASSWORD), never the password",
        )
    return value


def mapping(raw) -> dict:
    if not isinstance(raw, dict):
        raise SettingError(f"must be a mapping, got {kind_of(raw)}")
    return raw
