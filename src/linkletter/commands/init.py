"""`init`: start a project in a folder: settings with placeholders to fill, one example bookmark,
an example feed definition and (on request) copies of the templates. Never overwrites a file;
builds right away. Returns what it did; `cli` prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..errors import Problem, UserError, ValueProblem
from ..publish.templates import packaged_templates
from ..settings import placeholders as p
from ..values.convert import moment
from . import load_project
from .build import BuildResult, build_site

SETTINGS = f"""\
# linkletter settings: every key is described in linkletter's README ("Configuration").
# `linkletter check` names each placeholder below that still needs your value.
site:
  title: My links
  description: Links I saved and recommend.
  # The public address where the dist/ folder will be served (ends with /).
  base_url: {p.BASE_URL}
  author:
    name: {p.AUTHOR_NAME}
    email: {p.AUTHOR_EMAIL}
  language: en
  # Dates without a zone in your bookmarks are read in this zone.
  timezone: UTC

build:
  # One feed per category, for categories with at least this many bookmarks.
  category_feeds:
    min_items: 3
  feed_limit: 50
  # xsl: true     # a stylesheet so feeds opened in a browser read as a page

# The weekly email digest (`linkletter digest`, `linkletter send`): uncomment and fill in.
# digest:
#   from: Your Name <you@example.org>
#   recipients: recipients.txt
#   unsubscribe_url: https://example.org/unsubscribe?token={{token}}
#   weekday: monday
#   time: "09:00"
# smtp:
#   host: smtp.example.org
#   user: you@example.org
#   password_env: LINKLETTER_SMTP_PASSWORD
"""

FEED = """\
# A feed definition: dist/feeds/all.rss.xml, .atom.xml and .json. The file name is the feed's slug.
# Add more files like this one for feeds of some categories only.
title: My links
description: Everything I saved.
# categories: [python, rust]   # only these categories (leave out for everything)
# exclude: [personal]          # never these
# limit: 50
# max_age_days: 90
"""

BOOKMARK = """\
---
title: JSON Feed Version 1.1
link: https://www.jsonfeed.org/version/1.1/
date: {date}
categories:
- feeds
description: The JSON Feed format, which linkletter writes beside RSS and Atom.
linkBrand: jsonfeed.org
---
An example bookmark: one Markdown file per link, with front matter between `---` lines. Replace it
with your own, or bring yours in from a browser or a bookmarking service.
"""

GITIGNORE = "dist/\n.linkletter/\n"


@dataclass
class InitResult:
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    build: BuildResult = field(default_factory=lambda: BuildResult([], []))


def init_project(folder: Path, now: datetime, templates: bool = False) -> InitResult:
    """Write the starter files that do not exist yet into `folder`, then build the site."""
    if folder.exists() and not folder.is_dir():
        raise UserError(Problem(str(folder), "is a file, not a folder"))
    result = InitResult()
    for relpath, text in starter_files(now).items():
        write_new(folder, relpath, text, result)
    if templates:
        for template in packaged_templates():
            write_new(folder, f"templates/{template.name}", template.read_text(encoding="utf-8"), result)
    result.build = build_site(load_project(folder), now)
    return result


def parse_init_now(value: str) -> datetime:
    """`init --now`: the example bookmark's date (a moment without zone is UTC, as the settings say)."""
    try:
        return moment(value, ZoneInfo("UTC"))
    except ValueProblem as exc:
        raise UserError(exc.at("--now", field=None)) from None


def starter_files(now: datetime) -> dict[str, str]:
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "linkletter.yaml": SETTINGS,
        "feeds/all.yaml": FEED,
        "content/jsonfeed-version-1-1.md": BOOKMARK.format(date=stamp),
        ".gitignore": GITIGNORE,
    }


def write_new(folder: Path, relpath: str, text: str, result: InitResult) -> None:
    """Write folder/relpath unless something is already there (then it is reported as skipped)."""
    target = folder / relpath
    if target.exists() or target.is_symlink():
        result.skipped.append(relpath)
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(Problem(str(target), f"cannot write: {exc.strerror or exc}")) from None
    result.written.append(relpath)
