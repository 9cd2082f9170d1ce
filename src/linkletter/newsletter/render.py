"""An issue's bookmarks become an `Edition`: the `Digest` (subject, preheader, web version, and
the email as a sample recipient sees it) plus what it takes to render the email for each
recipient: a `Stencil` rendered once per issue with a random placeholder where the unsubscribe URL
goes (see stencil.py; bookmark text can never reach a recipient's URL), or, for templates that do
more with the URL than show it, the templates themselves. Templates come from the project's
`templates/`.

premailer runs with network access off, keeps `!important` (the @media rules for mobile and dark
mode need it), keeps classes (those rules target them) and leaves `width` attributes alone (Outlook
needs the template's numbers). cssutils' logging is configured once, not per call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import WARNING, Problem, UserError
from ..model import Bookmark, Config, Digest, DigestSpec, Issue, Section, Site
from ..publish.templates import Templates
from ..select import group_sections
from .issues import Links, day_text, links_for, subject
from .sizes import MAX_FIELD, shorten_words
from .stencil import Stencil, find_stencil

EMAIL_BUDGET = 98_000  # bytes of the whole message as sent; Gmail clips at about 102 KB
DESCRIPTION_LIMIT = 300
SAMPLE_UNSUBSCRIBE = "https://example.org/unsubscribe"


@dataclass(frozen=True)
class Edition:
    """One issue's email, ready to render for each recipient."""

    digest: Digest
    templates: Templates = field(repr=False)
    context: dict[str, Any] = field(repr=False)
    problems: tuple[Problem, ...] = ()
    stencil: Stencil | None = field(default=None, repr=False)

    def render(self, unsubscribe_url: str) -> tuple[str, str]:
        """(html, text) of the email for the recipient whose unsubscribe link is `unsubscribe_url`."""
        if self.stencil is not None:
            return self.stencil.fill(unsubscribe_url)
        return render_email(self.templates, {**self.context, "unsubscribe_url": unsubscribe_url})


_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)
_IMPORT = re.compile(r"@import\b", re.IGNORECASE)


def inline_css(html: str) -> str:
    """The email's CSS inlined by premailer, with nothing fetched from the network: premailer's
    `allow_network=False` does not stop cssutils from fetching an `@import`, so one is refused."""
    from premailer import Premailer  # imported here: only email rendering needs it (0.1 s)

    if any(_IMPORT.search(css) for css in _STYLE_BLOCK.findall(html)):
        raise UserError(
            Problem(
                "templates/digest.css",
                "@import would fetch a stylesheet over the network while rendering every email",
                hint="paste the imported rules into digest.css; linkletter fetches nothing while rendering",
            )
        )

    return Premailer(
        html,
        allow_network=False,
        strip_important=False,
        keep_style_tags=False,
        remove_classes=False,
        disable_validation=True,
        disable_link_rewrites=True,
        exclude_pseudoclasses=True,
        disable_basic_attributes=["width", "height"],
    ).transform()


def render_email(templates: Templates, context: dict[str, Any]) -> tuple[str, str]:
    return inline_css(templates.render("digest.html.j2", **context)), templates.render(
        "digest.txt.j2", **context
    )


def render_digest(
    templates: Templates,
    site: Site,
    spec: DigestSpec,
    issue: Issue,
    links: Links,
    measure=None,
    budget: int = EMAIL_BUDGET,
    source: str = "digest",
) -> Edition:
    """The web version (everything) and the email: at most `spec.max_items` links, fewer while
    `measure(edition)` (the size of the message as sent) exceeds `budget`. A bookmark too big for
    the budget on its own is left out with a warning; an email still over budget is an error."""
    measure = measure or (lambda e: sum(len(part.encode()) for part in e.render(SAMPLE_UNSUBSCRIBE)))
    zone = spec.timezone or site.timezone
    context, web_html = _web_version(templates, site, spec, issue, links)
    kept, problems = _drop_oversized(templates, context, issue, spec, zone, measure, budget)
    total = spec.max_items
    while True:
        sections = group_sections(kept, spec.category_order, spec.max_per_category, total)
        email = {**context, **_sections(sections, zone), "web": False}
        edition = _edition(issue, context, web_html, links, templates, email, problems)
        size = measure(edition)
        if size <= budget:
            return edition
        if total <= 1:
            raise UserError(
                Problem(
                    source,
                    f"the email of issue {issue.slug} is {size:,} bytes even with one link; the budget is {budget:,}",
                    hint="shorten the templates, digest.title or the bookmark's texts",
                )
            )
        total = max(1, min(total - 1, total * budget // size))


def _edition(issue, context, web_html, links, templates, email, problems) -> Edition:
    stencil = find_stencil(lambda url: render_email(templates, {**email, "unsubscribe_url": url}))
    probe = Edition(_probe(issue), templates, email, stencil=stencil)
    sample_html, sample_text = probe.render(SAMPLE_UNSUBSCRIBE)
    digest = Digest(
        issue, context["subject"], context["preheader"], sample_html, sample_text, web_html, links.web_url
    )
    return Edition(digest, templates, email, tuple(problems), stencil)


def _drop_oversized(templates, context, issue: Issue, spec, zone, measure, budget):
    """The issue's bookmarks without those whose email alone would exceed the budget."""
    kept, problems = [], []
    for bookmark in issue.bookmarks:
        if _weight(bookmark) * 3 > budget // 2:
            alone = group_sections([bookmark], spec.category_order, 1, 1)
            email = {**context, **_sections(alone, zone), "web": False}
            if measure(Edition(_probe(issue), templates, email)) > budget:
                problems.append(
                    Problem(
                        bookmark.source,
                        "too big for the email on its own (Gmail clips long messages); left out of the email, kept on the web page",
                        severity=WARNING,
                    )
                )
                continue
        kept.append(bookmark)
    return kept, problems


def _probe(issue: Issue) -> Digest:
    return Digest(issue, "", "", "", "", "", "")


def _weight(bookmark: Bookmark) -> int:
    """A cheap upper estimate of the bytes one bookmark adds to the email."""
    names = sum(len(c.name) for c in bookmark.categories[:1])
    texts = len(bookmark.title) + min(len(bookmark.brand or ""), MAX_FIELD) + DESCRIPTION_LIMIT + names
    return 3 * len(bookmark.link) + len(bookmark.image or "") + 2 * texts


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
        "unsubscribe_url": "",
    }


def _sections(sections: list[Section], zone: ZoneInfo) -> dict:
    return {
        "sections": [
            {
                "name": shorten_words(s.category.name, MAX_FIELD) if s.category else "Other",
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
        "brand": shorten_words(bookmark.brand or "", MAX_FIELD),
        "description": shorten_words(bookmark.description, DESCRIPTION_LIMIT),
        "date_text": day_text(bookmark.date, zone),
        "image": bookmark.image if bookmark.image and bookmark.image.startswith("https://") else None,
    }


def preheader(ordered: list[Bookmark]) -> str:
    count = f"{len(ordered)} link{'s' if len(ordered) != 1 else ''} this week: "
    return shorten_words(count + "; ".join(b.title for b in ordered[:4]), 150)


def render_issue(config: Config, templates: Templates, issue: Issue) -> Edition:
    """The issue's edition, its email capped so the whole message as sent fits Gmail's limit."""
    from .sizes import message_size

    return render_digest(
        templates,
        config.site,
        config.digest,
        issue,
        links_for(config, issue.slug),
        measure=lambda edition: message_size(config.digest, edition),
        source=templates._rel("digest.html.j2"),
    )
