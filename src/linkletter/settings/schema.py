"""What linkletter.yaml and a feed definition may hold: every key, its converter and default.
The README's configuration tables document exactly these keys (a test compares them)."""

from __future__ import annotations

from ..errors import ValueProblem
from ..model import WEEKDAYS
from ..values import convert as c


def secret_env_name(raw) -> str:
    """The name of an environment variable; a value that is not a name (a pasted secret?) is
    never repeated in the message."""
    try:
        return c.env_name(raw)
    except ValueProblem:
        raise ValueProblem(
            "must name an environment variable (letters, digits and _); the value is not shown in case it is a secret",
            "write the variable's name (e.g. LINKLETTER_SMTP_PASSWORD), never the password",
        ) from None


def switch_or_mapping(raw) -> bool | dict:
    """`true`/`false`, or a mapping of finer settings (checked by its own schema)."""
    return raw if isinstance(raw, dict) else c.boolean(raw)


def https_url(raw) -> str:
    url = c.web_url(raw)
    if not url.startswith("https://"):
        raise ValueProblem("must be an https:// URL", "readers and browsers refuse mixed content")
    return url


SITE = {
    "title": c.Key(c.display_text, required=True),
    "description": c.Key(c.display_text, ""),
    "base_url": c.Key(c.base_url, required=True),
    "home_url": c.Key(c.web_url, ""),
    "author": c.Key(c.mapping, required=True),
    "language": c.Key(c.language, "en"),
    "timezone": c.Key(c.timezone, None),
    "id_namespace": c.Key(c.text, ""),
    "icon": c.Key(https_url, None),
}
AUTHOR = {"name": c.Key(c.display_text, required=True), "email": c.Key(c.email, None)}
BUILD = {
    "content": c.Key(c.text, "content"),
    "feeds": c.Key(c.text, "feeds"),
    "templates": c.Key(c.text, "templates"),
    "output": c.Key(c.text, "dist"),
    "state": c.Key(c.text, ".linkletter"),
    "category_feeds": c.Key(switch_or_mapping, True),
    "feed_limit": c.Key(c.integer(1, 10_000), 50),
    "xsl": c.Key(c.boolean, False),
}
CATEGORY_FEEDS = {"min_items": c.Key(c.integer(1, 1_000_000), 1), "only": c.Key(c.text_list, None)}
DIGEST = {
    "title": c.Key(c.display_text, ""),
    "from": c.Key(c.mailbox, ""),
    "reply_to": c.Key(c.mailbox, None),
    "recipients": c.Key(c.text, None),
    "first_issue_days": c.Key(c.integer(1, 366), 7),
    "max_per_category": c.Key(c.integer(1, 1000), 5),
    "max_items": c.Key(c.integer(1, 60), 40),
    "category_order": c.Key(c.text_list, ()),
    "unsubscribe_url": c.Key(c.text, ""),
    "unsubscribe_mailto": c.Key(c.email, ""),
    "unsubscribe_secret_env": c.Key(secret_env_name, "LINKLETTER_UNSUBSCRIBE_SECRET"),
    "weekday": c.Key(c.choice(*WEEKDAYS), "monday"),
    "time": c.Key(c.clock_time, "09:00"),
    "timezone": c.Key(c.timezone, None),
    "deadline_hours": c.Key(c.number(1, 24 * 7), 48.0),
    "path": c.Key(c.text, "digest"),
}
SMTP = {
    "host": c.Key(c.text, "localhost"),
    "port": c.Key(c.integer(1, 65535), None),
    "security": c.Key(c.choice("starttls", "tls", "none"), "starttls"),
    "user": c.Key(c.text, None),
    "password_env": c.Key(secret_env_name, None),
    "timeout": c.Key(c.number(1, 600), 30.0),
    "rate_per_second": c.Key(c.number(0, 1_000_000), 5.0),
    "connections": c.Key(c.integer(1, 32), 1),
    "max_retries": c.Key(c.integer(0, 20), 5),
    "retry_base_seconds": c.Key(c.number(0, 600), 2.0),
}
SCHEDULE = {"rebuild_minutes": c.Key(c.integer(1, 7 * 24 * 60), 30)}
TOP = {name: c.Key(c.mapping, {}) for name in ("site", "build", "digest", "smtp", "schedule")}
FEED = {
    "title": c.Key(c.display_text, required=True),
    "description": c.Key(c.display_text, ""),
    "categories": c.Key(c.text_list, None),
    "exclude": c.Key(c.text_list, ()),
    "limit": c.Key(c.integer(1, 10_000), None),
    "max_age_days": c.Key(c.number(0.01, 100_000), None),
}
