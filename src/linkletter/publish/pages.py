"""The web pages that are not the digest itself: the index of feeds at the root of dist/ and the
archive of published issues."""

from __future__ import annotations

from ..model import DigestSpec, Site
from .templates import Templates


def render_archive(
    templates: Templates, site: Site, spec: DigestSpec, issues: list[dict], feed_url: str
) -> str:
    return templates.render(
        "archive.html.j2",
        site={"title": site.title, "author": site.author.name, "language": site.language},
        title=spec.title,
        issues=issues,
        feed_url=feed_url,
    )


def render_index(templates: Templates, site: Site, feeds: list[dict], digest: dict | None) -> str:
    """dist/index.html: every feed with its RSS and Atom address, and the digest archive if any."""
    return templates.render(
        "index.html.j2",
        site={
            "title": site.title,
            "description": site.description,
            "author": site.author.name,
            "language": site.language,
            "home": site.home_url or site.base_url,
        },
        feeds=feeds,
        digest=digest,
    )
