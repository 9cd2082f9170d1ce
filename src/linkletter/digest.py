"""An issue's bookmarks become a `Digest`: subject, preheader, email HTML (CSS inlined by
premailer), plain text, and the web version. Templates come from the project's `templates/`.

premailer runs with network access off, keeps `!important` (the @media rules for mobile and dark
mode need it) and keeps classes (those rules target them). cssutils' logging is configured once,
by `configure_css_logging`, not per call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import cssutils
from premailer import Premailer

from .markup import shorten
from .model import UNSUBSCRIBE_PLACEHOLDER, Bookmark, Digest, DigestSpec, Issue, Section, Site
from .pages import Templates
from .select import group_sections

EMAIL_BUDGET = 98_000  # bytes of the whole message as sent; Gmail clips at about 102 KB
DESCRIPTION_LIMIT = 300


def configure_css_logging() -> None:
    """cssutils reports every CSS property it does not know (dark-mode and Outlook ones) on stderr."""
    cssutils.log.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Links:
    web_url: str
    archive_url: str
    feed_url: str


def inline_css(html: str) -> str:
    return Premailer(
        html,
        allow_network=False,
        strip_important=False,
        keep_style_tags=False,
        remove_classes=False,
        disable_validation=True,
        disable_link_rewrites=True,
        exclude_pseudoclasses=True,
    ).transform()


def render_digest(
    templates: Templates,
    site: Site,
    spec: DigestSpec,
    issue: Issue,
    links: Links,
    measure: Callable[[str, str], int] = lambda html, text: len(html.encode()) + len(text.encode()),
    budget: int = EMAIL_BUDGET,
) -> Digest:
    """The email and the web version (everything). The email holds at most `spec.max_items`
    links, fewer while `measure(html, text)` (the message's size) exceeds `budget`."""
    zone = spec.timezone or site.timezone
    web_sections = group_sections(list(issue.bookmarks), spec.category_order, None, None)
    ordered = [b for section in web_sections for b in section.bookmarks]
    context = _base_context(templates, site, spec, issue, links, zone, ordered)
    web_html = inline_css(
        templates.render("digest.html.j2", **context, **_sections(web_sections, zone), web=True)
    )
    total = spec.max_items
    while True:
        sections = group_sections(list(issue.bookmarks), spec.category_order, spec.max_per_category, total)
        email = {**context, **_sections(sections, zone), "web": False}
        html = inline_css(templates.render("digest.html.j2", **email))
        text = templates.render("digest.txt.j2", **email)
        size = measure(html, text)
        if size <= budget or total <= 1:
            break
        total = max(1, min(total - 1, total * budget // size))
    return Digest(
        issue=issue,
        subject=context["subject"],
        preheader=context["preheader"],
        html=html,
        text=text,
        web_html=web_html,
        web_url=links.web_url,
    )


def _base_context(
    templates, site: Site, spec: DigestSpec, issue: Issue, links: Links, zone, ordered: list[Bookmark]
) -> dict:
    """What both versions share; `ordered` is the issue's bookmarks in section order."""
    return {
        "site": {
            "title": site.title,
            "author": site.author.name,
            "language": site.language,
            "url": site.base_url,
        },
        "title": spec.title,
        "subject": subject(spec.title, issue.number, list(issue.bookmarks)),
        "preheader": preheader(ordered),
        "issue": {
            "number": issue.number,
            "slug": issue.slug,
            "start_text": day_text(issue.start, zone),
            "end_text": day_text(issue.end, zone),
        },
        "count": len(issue.bookmarks),
        "css": templates.read("digest.css"),
        "web_url": links.web_url,
        "archive_url": links.archive_url,
        "feed_url": links.feed_url,
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }


def _sections(sections: list[Section], zone: ZoneInfo) -> dict:
    return {
        "sections": [
            {
                "name": s.category.name if s.category else "Other",
                "slug": s.category.slug if s.category else "other",
                "links": [_item(b, zone) for b in s.bookmarks],
                "more": s.more,
            }
            for s in sections
        ]
    }


def _item(bookmark: Bookmark, zone: ZoneInfo) -> dict:
    return {
        "title": bookmark.title,
        "link": bookmark.link,
        "brand": bookmark.brand or "",
        "description": shorten(bookmark.description, DESCRIPTION_LIMIT),
        "date_text": day_text(bookmark.date, zone),
        "image": bookmark.image if bookmark.image and bookmark.image.startswith("https://") else None,
    }


def subject(title: str, number: int, ordered: list[Bookmark]) -> str:
    if not ordered:
        return f"{title} #{number}"
    rest = f" and {len(ordered) - 1} more" if len(ordered) > 1 else ""
    return f"{title} #{number}: {shorten(ordered[0].title, 80)}{rest}"


def preheader(ordered: list[Bookmark]) -> str:
    count = f"{len(ordered)} link{'s' if len(ordered) != 1 else ''} this week: "
    return shorten(count + "; ".join(b.title for b in ordered[:4]), 150)


MONTHS = ("January February March April May June July August September October November December").split()


def day_text(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}"
