"""The web pages that are not the digest itself: the index of feeds at the root of dist/ and the
archive of published issues."""

from __future__ import annotations

from ..model import Config, DigestSpec, Site
from .directory import HEAD_NAME, OPML_NAME, IndexFeed, build_opml, discovery_links, render_head_snippet
from .feeds import FEED_SUFFIXES, XSL_NAME, Listed, is_main_feed, public_url
from .templates import Templates, project_templates


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


def index_feeds(site: Site, feeds: list[Listed]) -> list[IndexFeed]:
    """What the index, the OPML file and the head snippet say about each feed."""
    found = []
    for path, title, size in feeds:
        # quoting maps each byte apart, and leaves the suffixes as they are: one quoting of the
        # path (4,561 feeds) stands for all three files
        base = public_url(site, path)
        urls = tuple(base + suffix for suffix in FEED_SUFFIXES)
        found.append(IndexFeed(title, size, is_main_feed(path), *urls))
    return found


def render_index(templates: Templates, site: Site, feeds: list[IndexFeed], digest: dict | None) -> str:
    """dist/index.html: every feed in each format, the digest archive if any, and autodiscovery
    links for the main feeds only."""
    return templates.render(
        "index.html.j2",
        site={
            "title": site.title,
            "description": site.description,
            "author": site.author.name,
            "language": site.language,
            "home": site.home_url or site.base_url,
            "opml_url": public_url(site, "feeds.opml"),
        },
        feeds=feeds,
        main_feeds=[feed for feed in feeds if feed.main],  # split here: a template's filter is slower
        category_feeds=[feed for feed in feeds if not feed.main],
        digest=digest,
        discovery=discovery_links(feeds, digest),
    )


def build_feed_lists(config: Config, feeds: list[IndexFeed], digest: dict | None) -> dict[str, bytes]:
    """feeds.opml, feeds-head.html and, with `build.xsl`, the feeds' stylesheet feed.xsl
    (`feeds`: `index_feeds`)."""
    files = {
        OPML_NAME: build_opml(config.site, feeds, digest),
        HEAD_NAME: render_head_snippet(discovery_links(feeds, digest)).encode(),
    }
    if config.build.xsl:
        files[XSL_NAME] = project_templates(config).read(XSL_NAME).encode()
    return files
