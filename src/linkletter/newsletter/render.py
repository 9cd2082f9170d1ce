"""An issue's bookmarks become a `Digest`: subject, preheader, email HTML (CSS inlined by
premailer), plain text, and the web version (its stylesheet in a <style> block: browsers need no
inlining). Templates come from the project's `templates/`.

premailer runs with network access off, keeps `!important` (the @media rules for mobile and dark
mode need it) and keeps classes (those rules target them). cssutils' logging is configured once,
by `configure_css_logging`, not per call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from ..model import UNSUBSCRIBE_PLACEHOLDER, Bookmark, Config, Digest, DigestSpec, Issue, Section, Site
from ..publish.templates import Templates
from ..select import group_sections
from ..values.text import shorten
from .issues import Links, day_text, links_for, subject
from .message import message_size

EMAIL_BUDGET = 98_000  # bytes of the whole message as sent; Gmail clips at about 102 KB
DESCRIPTION_LIMIT = 300


def configure_css_logging() -> None:
    """cssutils reports every CSS property it does not know (dark-mode and Outlook ones) on stderr."""
    import cssutils

    cssutils.log.setLevel(logging.CRITICAL)


def inline_css(html: str) -> str:
    from premailer import Premailer  # imported here: only email rendering needs it (0.1 s)

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
    context, web_html = _web_version(templates, site, spec, issue, links)
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


def render_web_page(templates: Templates, site: Site, spec: DigestSpec, issue: Issue, links: Links) -> str:
    """The issue's web page alone (no email, no CSS inlining)."""
    return _web_version(templates, site, spec, issue, links)[1]


def _web_version(
    templates: Templates, site: Site, spec: DigestSpec, issue: Issue, links: Links
) -> tuple[dict[str, Any], str]:
    zone = spec.timezone or site.timezone
    web_sections = group_sections(list(issue.bookmarks), spec.category_order, None, None)
    ordered = [b for section in web_sections for b in section.bookmarks]
    context = _base_context(templates, site, spec, issue, links, zone, ordered)
    return context, templates.render("digest.html.j2", **context, **_sections(web_sections, zone), web=True)


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


def preheader(ordered: list[Bookmark]) -> str:
    count = f"{len(ordered)} link{'s' if len(ordered) != 1 else ''} this week: "
    return shorten(count + "; ".join(b.title for b in ordered[:4]), 150)


def render_issue(config: Config, templates: Templates, issue: Issue) -> Digest:
    """The issue's digest, its email capped so the whole message as sent fits Gmail's limit."""
    return render_digest(
        templates,
        config.site,
        config.digest,
        issue,
        links_for(config, issue.slug),
        measure=lambda html, text: message_size(config.digest, html, text),
    )
