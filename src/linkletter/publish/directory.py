"""The lists of feeds a site publishes, for readers and for other sites: `feeds.opml` (subscribe
to all at once) and `feeds-head.html` (the autodiscovery links a blog's `<head>` can include).
Every title is escaped by the XML writer or `html.escape`; the output depends only on the feeds."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

from ..model import Site
from .jsonfeed import MEDIA_TYPE as JSON_FEED_TYPE

OPML_NAME = "feeds.opml"
HEAD_NAME = "feeds-head.html"
FORMATS = [("rss", "application/rss+xml", "RSS"), ("atom", "application/atom+xml", "Atom")]
FORMATS += [("json", JSON_FEED_TYPE, "JSON Feed")]


def build_opml(site: Site, feeds: list[dict], digest: dict | None) -> bytes:
    """OPML 2.0: one outline per feed (its RSS address), the digest's issue feed last."""
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{site.title}: feeds"
    ET.SubElement(head, "ownerName").text = site.author.name
    body = ET.SubElement(opml, "body")
    home = site.home_url or site.base_url
    for feed in feeds:
        _outline(body, feed["title"], feed["rss_url"], home)
    if digest:
        _outline(body, digest["title"], digest["feed_url"], digest["archive_url"])
    ET.indent(opml)
    return ET.tostring(opml, encoding="utf-8", xml_declaration=True) + b"\n"


def _outline(parent: ET.Element, title: str, xml_url: str, html_url: str) -> None:
    ET.SubElement(parent, "outline", type="rss", text=title, title=title, xmlUrl=xml_url, htmlUrl=html_url)


def discovery_links(feeds: list[dict], digest: dict | None) -> list[dict]:
    """`<link rel=alternate>` targets for the main feeds (not one per category) and the digest."""
    links = [
        {"type": media_type, "title": f"{feed['title']} ({label})", "href": feed[f"{kind}_url"]}
        for feed in feeds
        if feed["main"]
        for kind, media_type, label in FORMATS
    ]
    if digest:
        links.append({"type": "application/atom+xml", "title": digest["title"], "href": digest["feed_url"]})
    return links


def render_head_snippet(links: list[dict]) -> str:
    """feeds-head.html: the discovery links, one per line, ready to paste or include."""
    return "".join(
        f'<link rel="alternate" type="{link["type"]}" title="{html.escape(link["title"])}" '
        f'href="{html.escape(link["href"])}">\n'
        for link in links
    )
