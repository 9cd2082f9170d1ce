"""The values `linkletter init` writes for the user to replace; `check` names each one still there."""

from __future__ import annotations

from ..errors import WARNING, Problem, shown_path
from ..model import Config

BASE_URL = "https://example.org/links/"
AUTHOR_NAME = "Your Name"
AUTHOR_EMAIL = "you@example.org"


def placeholder_problems(config: Config) -> list[Problem]:
    """A warning per setting that still holds the value `init` wrote."""
    rel = shown_path(config.path, config.root) if config.path else "linkletter.yaml"
    current = {
        "site.base_url": (config.site.base_url, BASE_URL, "the public address where dist/ will be served"),
        "site.author.name": (
            config.site.author.name,
            AUTHOR_NAME,
            "your name, shown as every entry's author",
        ),
        "site.author.email": (config.site.author.email, AUTHOR_EMAIL, "your address, or remove the line"),
    }
    return [
        Problem(rel, f"still the placeholder {value!r}, set it", field=key, hint=hint, severity=WARNING)
        for key, (value, placeholder, hint) in current.items()
        if value == placeholder
    ]
