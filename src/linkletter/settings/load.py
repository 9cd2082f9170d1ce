"""Reading `linkletter.yaml` and `feeds/*.yaml` into typed, validated settings."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import Problem, UserError, ValueProblem, shown_path
from ..model import (
    Author,
    BuildSpec,
    Config,
    DigestSpec,
    FeedSpec,
    ScheduleSpec,
    Site,
    SmtpSpec,
)
from ..values import convert as c
from ..values.files import decode_text, read_bounded
from ..values.links import parse_web_url
from ..values.mapping import parse_mapping
from ..values.text import category_key, clean_text
from .schema import AUTHOR, BUILD, CATEGORY_FEEDS, DIGEST, FEED, SCHEDULE, SITE, SMTP, TOP

CONFIG_NAME = "linkletter.yaml"
MAX_SETTINGS_BYTES = 256 * 1024
_FEED_SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def load_config(root: Path, path: Path | None = None) -> Config:
    """Read and check linkletter.yaml and every feed definition; UserError lists all problems."""
    path = path or root / CONFIG_NAME
    data, lines, rel = read_settings(path, root)
    reader = c.Reader(rel, lines)
    top = reader.section(data, TOP)
    site = _site(reader, top["site"])
    build = _build(reader, top["build"], root)
    digest = _digest(reader, top["digest"], root, site)
    smtp = _smtp(reader, top["smtp"])
    _check_recipients_place(reader, digest, build)
    schedule = ScheduleSpec(**reader.section(top["schedule"], SCHEDULE, "schedule."))
    if reader.problems:
        raise UserError(sorted(reader.problems, key=lambda p: p.line or 0))
    feeds, problems = load_feed_specs(build.feeds_dir, root, build.feed_limit)
    if problems:
        raise UserError(problems)
    return Config(root, site, build, digest, smtp, schedule, tuple(feeds), path)


def read_settings(path: Path, root: Path) -> tuple[dict, dict[str, int], str]:
    """A settings file's mapping, the line of each key, and the path as messages show it."""
    rel = shown_path(path, root)
    if not path.exists():
        raise UserError(
            Problem(rel, "not found", hint="run linkletter in the project folder, or pass --config")
        )
    try:
        text = decode_text(read_bounded(path, MAX_SETTINGS_BYTES, "a settings file"))
        data, lines = parse_mapping(clean_text(text), 1)
    except ValueProblem as exc:
        raise UserError(exc.at(rel)) from None
    return data, lines, rel


def _site(reader: c.Reader, data) -> Site:
    values = reader.section(data, SITE, "site.")
    author = reader.section(values["author"] or {}, AUTHOR, "site.author.") if values["author"] else {}
    return Site(
        title=values["title"] or "linkletter",
        base_url=values["base_url"] or "https://example.invalid/",
        author=Author(author.get("name") or "linkletter", author.get("email")),
        language=values["language"],
        timezone=values["timezone"] or c.timezone("UTC"),
        description=values["description"],
        id_namespace=values["id_namespace"],
        home_url=values["home_url"] or values["base_url"] or "",
        icon=values["icon"],
    )


def _build(reader: c.Reader, data, root: Path) -> BuildSpec:
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
        feed_limit=values["feed_limit"],
        xsl=values["xsl"],
        **_category_feeds(reader, values["category_feeds"]),
    )


def _category_feeds(reader: c.Reader, value: bool | dict) -> dict:
    """`build.category_feeds`: true, false, or {min_items: N, only: [names]} (which means true)."""
    if not isinstance(value, dict):
        return {"category_feeds": value}
    v = reader.section(value, CATEGORY_FEEDS, "build.category_feeds.")
    only = tuple(category_key(name) for name in v["only"]) if v["only"] is not None else None
    return {"category_feeds": True, "category_min_items": v["min_items"], "category_only": only}


def _digest(reader: c.Reader, data, root: Path, site: Site) -> DigestSpec:
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


def _check_recipients_place(reader: c.Reader, digest: DigestSpec, build: BuildSpec) -> None:
    """The subscriber list is private: never inside the output folder, which gets deployed."""
    if digest.recipients is not None and digest.recipients.resolve().is_relative_to(build.output_dir):
        reader.problem(
            "digest.recipients",
            "the recipients file must not be inside the output folder (it would be published)",
            "keep it next to linkletter.yaml, e.g. recipients.csv",
        )


def unsubscribe_url_problem(template: str) -> str | None:
    """Why a `digest.unsubscribe_url` template is unusable, or None."""
    if "{token}" not in template:
        return (
            "must contain {token}, so only the recipient can unsubscribe (an address alone can be "
            "forged by anyone)"
        )
    sample = template.replace("{email}", "reader%40example.org").replace("{token}", "0f" * 16)
    try:
        url = parse_web_url(sample.replace("{issue}", "2024-05-13"))
    except ValueProblem as exc:
        return exc.message
    if not url.startswith("https://"):
        return "must be an https:// URL"
    return None


def _smtp(reader: c.Reader, data) -> SmtpSpec:
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
    specs: list[FeedSpec] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for path in sorted(feeds_dir.iterdir()):
        if path.name.startswith((".", "_")) or path.suffix not in (".yaml", ".yml"):
            continue
        slug, rel = path.stem, shown_path(path, root)
        if not _FEED_SLUG.fullmatch(slug):
            problems.append(
                Problem(
                    rel,
                    f"the file name {slug!r} cannot be a feed slug",
                    hint="use lower-case letters, digits, - and _ (e.g. python.yaml)",
                )
            )
        elif slug in seen:
            problems.append(
                Problem(
                    rel,
                    f"a second feed with the slug {slug!r} (also {seen[slug]})",
                    hint="rename one of the files",
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
    except UserError as exc:
        return None, exc.problems
    reader = c.Reader(rel, lines)
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
