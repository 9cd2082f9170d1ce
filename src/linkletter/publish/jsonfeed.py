"""A feed as JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), beside its RSS and Atom files.

Written with `json` so every string is escaped; `content_html` is the same sanitised HTML the
other formats carry; keys in a fixed order so the same content gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..model import Bookmark, Site

if TYPE_CHECKING:
    from .feeds import FeedPlan

VERSION = "https://jsonfeed.org/version/1.1"
MEDIA_TYPE = "application/feed+json"


def build_json_feed(
    site: Site, plan: FeedPlan, self_url: str, content_html: Callable[[Bookmark], str]
) -> bytes:
    feed = {
        "version": VERSION,
        "title": plan.title,
        "home_page_url": plan.alternate,
        "feed_url": self_url,
        "description": plan.description or plan.title,
        **({"icon": site.icon, "favicon": site.icon} if site.icon else {}),
        "authors": [json_author(site)],
        "language": site.language,
        "items": [json_item(site, b, content_html(b)) for b in plan.bookmarks],
    }
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def json_author(site: Site) -> dict[str, str]:
    """JSON Feed authors have a name and a URL (no email field): the address as a mailto: URL."""
    return {"name": site.author.name, **({"url": f"mailto:{site.author.email}"} if site.author.email else {})}


def json_item(site: Site, bookmark: Bookmark, content_html: str) -> dict:
    item = {
        "id": bookmark.id,
        "url": bookmark.link,
        "title": bookmark.title,
        "content_html": content_html,
        "summary": bookmark.description or None,
        "image": bookmark.image,
        "date_published": bookmark.date.isoformat(),
        "authors": [json_author(site)],
        "tags": [c.name for c in bookmark.categories] or None,
    }
    return {key: value for key, value in item.items() if value is not None}
