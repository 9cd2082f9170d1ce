"""Reading `linkletter.yaml` and `feeds/*.yaml` into typed, validated settings."""

from __future__ import annotations

import re
from pathlib import Path

from . import settings as s
from .categories import category_key
from .errors import ConfigError, Problem, shown_path
from .frontmatter import FrontMatterError, parse_mapping
from .markup import clean_text
from .model import (
    Author,
    BuildSpec,
    Config,
    DigestSpec,
    FeedSpec,
    ScheduleSpec,
    Site,
    SmtpSpec,
)
from .slots import WEEKDAYS
from .urls import LinkError, parse_web_url

CONFIG_NAME = "linkletter.yaml"
MAX_SETTINGS_BYTES = 256 * 1024
_FEED_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")

SITE = {
    "title": s.Key(s.display_text, required=True),
    "description": s.Key(s.display_text, ""),
    "base_url": s.Key(s.base_url, required=True),
    "home_url": s.Key(s.web_url, ""),
    "author": s.Key(s.mapping, required=True),
    "language": s.Key(s.language, "en"),
    "timezone": s.Key(s.timezone, None),
    "id_namespace": s.Key(s.text, ""),
}
AUTHOR = {"name": s.Key(s.display_text, required=True), "email": s.Key(s.email, None)}
BUILD = {
    "content": s.Key(s.text, "content"),
    "feeds": s.Key(s.text, "feeds"),
    "templates": s.Key(s.text, "templates"),
    "output": s.Key(s.text, "dist"),
    "state": s.Key(s.text, ".linkletter"),
    "category_feeds": s.Key(s.boolean, True),
    "feed_limit": s.Key(s.integer(1, 10_000), 50),
}
DIGEST = {
    "title": s.Key(s.display_text, ""),
    "from": s.Key(s.mailbox, ""),
    "reply_to": s.Key(s.mailbox, None),
    "recipients": s.Key(s.text, None),
    "first_issue_days": s.Key(s.integer(1, 366), 7),
    "max_per_category": s.Key(s.integer(1, 1000), 5),
    "max_items": s.Key(s.integer(1, 60), 40),
    "category_order": s.Key(s.text_list, ()),
    "unsubscribe_url": s.Key(s.text, ""),
    "unsubscribe_mailto": s.Key(s.email, ""),
    "unsubscribe_secret_env": s.Key(s.env_name, "LINKLETTER_UNSUBSCRIBE_SECRET"),
    "weekday": s.Key(s.choice(*WEEKDAYS), "monday"),
    "time": s.Key(s.clock_time, "09:00"),
    "timezone": s.Key(s.timezone, None),
    "deadline_hours": s.Key(s.number(1, 24 * 7), 48.0),
    "path": s.Key(s.text, "digest"),
}
SMTP = {
    "host": s.Key(s.text, "localhost"),
    "port": s.Key(s.integer(1, 65535), None),
    "security": s.Key(s.choice("starttls", "tls", "none"), "starttls"),
    "user": s.Key(s.text, None),
    "password_env": s.Key(s.env_name, None),
    "timeout": s.Key(s.number(1, 600), 30.0),
    "rate_per_second": s.Key(s.number(0.01, 1000), 5.0),
    "max_retries": s.Key(s.integer(0, 20), 5),
    "retry_base_seconds": s.Key(s.number(0, 600), 2.0),
}
SCHEDULE = {"rebuild_minutes": s.Key(s.integer(1, 7 * 24 * 60), 30)}
TOP = {name: s.Key(s.mapping, {}) for name in ("site", "build", "digest", "smtp", "schedule")}
FEED = {
    "title": s.Key(s.display_text, required=True),
    "description": s.Key(s.display_text, ""),
    "categories": s.Key(s.text_list, None),
    "exclude": s.Key(s.text_list, ()),
    "limit": s.Key(s.integer(1, 10_000), None),
    "max_age_days": s.Key(s.number(0.01, 100_000), None),
}


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read and check linkletter.yaml and every feed definition; ConfigError lists all problems."""
    path = path or root / CONFIG_NAME
    data, lines, rel = read_settings(path, root)
    reader = s.Reader(rel, lines)
    top = reader.section(data, TOP)
    site = _site(reader, top["site"])
    build = _build(reader, top["build"], root)
    digest = _digest(reader, top["digest"], root, site)
    smtp = _smtp(reader, top["smtp"])
    schedule = ScheduleSpec(**reader.section(top["schedule"], SCHEDULE, "schedule."))
    if reader.problems:
        raise ConfigError(sorted(reader.problems, key=lambda p: p.line or 0))
    feeds, problems = load_feed_specs(build.feeds_dir, root, build.feed_limit)
    if problems:
        raise ConfigError(problems)
    return Config(root, site, build, digest, smtp, schedule, tuple(feeds), path)


def read_settings(path: Path, root: Path) -> tuple[dict, dict[str, int], str]:
    rel = shown_path(path, root)
    try:
        raw = path.read_bytes()[: MAX_SETTINGS_BYTES + 1]
    except FileNotFoundError:
        raise ConfigError(
            Problem(rel, None, None, "not found", "run linkletter in the project folder, or pass --config")
        ) from None
    except OSError as exc:
        raise ConfigError(Problem(rel, None, None, f"cannot be read: {exc.strerror}")) from None
    if len(raw) > MAX_SETTINGS_BYTES:
        raise ConfigError(Problem(rel, None, None, "is larger than 256 KB"))
    try:
        text = raw.decode("utf-8-sig").replace("\r\n", "\n")
        data, lines = parse_mapping(clean_text(text), 1)
    except UnicodeDecodeError:
        raise ConfigError(Problem(rel, None, None, "is not UTF-8 text", "save it as UTF-8")) from None
    except FrontMatterError as exc:
        raise ConfigError(Problem(rel, exc.line, exc.field, exc.message, exc.hint)) from None
    return data, lines, rel


def _site(reader: s.Reader, data) -> Site:
    values = reader.section(data, SITE, "site.")
    author = reader.section(values["author"] or {}, AUTHOR, "site.author.") if values["author"] else {}
    return Site(
        title=values["title"] or "linkletter",
        base_url=values["base_url"] or "https://example.invalid/",
        author=Author(author.get("name") or "linkletter", author.get("email")),
        language=values["language"],
        timezone=values["timezone"] or s.timezone("UTC"),
        description=values["description"],
        id_namespace=values["id_namespace"],
        home_url=values["home_url"] or values["base_url"] or "",
    )


def _build(reader: s.Reader, data, root: Path) -> BuildSpec:
    values = reader.section(data, BUILD, "build.")
    paths = {
        key: (root / values[key]).resolve() for key in ("content", "feeds", "templates", "output", "state")
    }
    output, content, state = paths["output"], paths["content"], paths["state"]
    real_root = root.resolve()
    if output in (Path(output.anchor), real_root) or real_root.is_relative_to(output):
        reader.problem(
            "build.output",
            f"{values['output']!r} would put generated files over the project",
            "use a folder of its own, such as dist",
        )
    elif output.is_relative_to(content) or content.is_relative_to(output):
        reader.problem(
            "build.output",
            "the output folder and the content folder overlap",
            "keep dist/ and content/ apart",
        )
    if state.is_relative_to(output):
        reader.problem(
            "build.state",
            "the state folder must not be inside the output folder",
            "the send ledger is private; use .linkletter",
        )
    return BuildSpec(
        content_dir=content,
        feeds_dir=paths["feeds"],
        templates_dir=paths["templates"],
        output_dir=output,
        state_dir=state,
        category_feeds=values["category_feeds"],
        feed_limit=values["feed_limit"],
    )


def _digest(reader: s.Reader, data, root: Path, site: Site) -> DigestSpec:
    v = reader.section(data, DIGEST, "digest.")
    if v["path"] and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", v["path"]):
        reader.problem("digest.path", "must be a simple folder name like digest")
    url = v["unsubscribe_url"]
    if url:
        problem = unsubscribe_url_problem(url)
        if problem:
            reader.problem(
                "digest.unsubscribe_url",
                problem,
                "Gmail and Yahoo require an https one-click unsubscribe URL for each recipient",
            )
    return DigestSpec(
        title=v["title"] or f"{site.title}: weekly digest",
        sender=v["from"],
        reply_to=v["reply_to"],
        recipients=(root / v["recipients"]) if v["recipients"] else None,
        first_issue_days=v["first_issue_days"],
        max_per_category=v["max_per_category"],
        max_items=v["max_items"],
        category_order=tuple(category_key(c) for c in v["category_order"]),
        unsubscribe_url=url,
        unsubscribe_mailto=v["unsubscribe_mailto"],
        unsubscribe_secret_env=v["unsubscribe_secret_env"],
        weekday=v["weekday"],
        time=v["time"],
        timezone=v["timezone"],
        deadline_hours=v["deadline_hours"],
        path=v["path"] or "digest",
    )


def unsubscribe_url_problem(template: str) -> str | None:
    """Why a `digest.unsubscribe_url` template is unusable, or None."""
    if "{email}" not in template and "{token}" not in template:
        return "must contain {email} or {token}, so the link says who unsubscribes"
    sample = template.replace("{email}", "reader%40example.org").replace("{token}", "0f" * 16)
    try:
        url = parse_web_url(sample.replace("{issue}", "2024-05-13"))
    except LinkError as exc:
        return exc.message
    if not url.startswith("https://"):
        return "must be an https:// URL"
    return None


def _smtp(reader: s.Reader, data) -> SmtpSpec:
    v = reader.section(data, SMTP, "smtp.")
    if v["port"] is None:
        v["port"] = {"starttls": 587, "tls": 465, "none": 25}[v["security"]]
    if v["user"] and v["security"] == "none" and v["host"] not in ("localhost", "127.0.0.1", "::1"):
        reader.problem(
            "smtp.security",
            f"'none' would send the password to {v['host']} unencrypted",
            "use starttls or tls",
        )
    if v["user"] and not v["password_env"]:
        reader.problem(
            "smtp.password_env",
            "missing: a user is set but no password variable",
            "name the environment variable that holds the password",
        )
    return SmtpSpec(**v)


def load_feed_specs(feeds_dir: Path, root: Path, default_limit: int) -> tuple[list[FeedSpec], list[Problem]]:
    """One FeedSpec per feeds/<slug>.yaml, in slug order; every problem of every file."""
    if not feeds_dir.is_dir():
        return [], []
    specs, problems, seen = [], [], {}
    for path in sorted(feeds_dir.iterdir()):
        if path.name.startswith((".", "_")) or path.suffix not in (".yaml", ".yml"):
            continue
        slug, rel = path.stem, shown_path(path, root)
        if not _FEED_SLUG.fullmatch(slug):
            problems.append(
                Problem(
                    rel,
                    None,
                    None,
                    f"the file name {slug!r} cannot be a feed slug",
                    "use lower-case letters, digits, - and _ (e.g. python.yaml)",
                )
            )
        elif slug in seen:
            problems.append(
                Problem(
                    rel,
                    None,
                    None,
                    f"a second feed with the slug {slug!r} (also {seen[slug]})",
                    "rename one of the files",
                )
            )
        else:
            seen[slug] = rel
            spec, more = load_feed_spec(path, root, default_limit)
            problems += more
            specs += [spec] if spec else []
    return specs, problems


def load_feed_spec(path: Path, root: Path, default_limit: int) -> tuple[FeedSpec | None, list[Problem]]:
    try:
        data, lines, rel = read_settings(path, root)
    except ConfigError as exc:
        return None, exc.problems
    reader = s.Reader(rel, lines)
    v = reader.section(data, FEED)
    categories = v["categories"]
    everything = categories is None or [c.lower() for c in categories] == ["all"]
    spec = FeedSpec(
        slug=path.stem,
        folder="feeds",
        title=v["title"] or path.stem,
        description=v["description"],
        categories=None if everything else tuple(category_key(c) for c in categories),
        exclude=tuple(category_key(c) for c in v["exclude"]),
        limit=v["limit"] or default_limit,
        max_age_days=v["max_age_days"],
        source=rel,
    )
    return spec, reader.problems
