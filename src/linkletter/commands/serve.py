"""`serve`: a local preview of the site. Builds into a private folder with every public URL pointing
at the local server, serves it on 127.0.0.1, and rebuilds when content, feed definitions,
templates or settings change. Problems are reported through a callback and never stop it."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ..errors import Problem, UserError
from ..model import Config
from . import load_project
from .build import build_site
from .digest import preview_digest
from .namespace import FILE_NAME as NAMESPACE_FILE

# Feeds as application/xml, which the W3C validator accepts for a feed and browsers display, so the
# build.xsl stylesheet is applied (they download application/rss+xml or show it as text).
CONTENT_TYPES = {
    ".xml": "application/xml; charset=utf-8",
    ".rss.xml": "application/xml; charset=utf-8",
    ".atom.xml": "application/xml; charset=utf-8",
    ".json": "application/feed+json; charset=utf-8",
    ".opml": "text/x-opml; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Round:
    """One (re)build of the preview: what a person needs to see in the terminal."""

    message: str
    problems: list[Problem]


def serve_config(config: Config, url: str) -> Config:
    """The project's settings with every public URL on the local server and a private output
    folder (so the real dist/ never holds local links). Ids keep the public namespace."""
    site = replace(
        config.site,
        base_url=url,
        home_url=url,
        id_namespace=config.site.id_namespace or config.site.base_url,
    )
    folder = config.build.state_dir / "serve"
    build = replace(config.build, output_dir=folder / "site", state_dir=folder / "state")
    return replace(config, site=site, build=build)


def build_preview(config: Config, now: datetime) -> Round:
    """Build the local site, and the digest preview of the current week into `digest-preview/`."""
    # The preview's ids come from the project's namespace (serve_config); its address changes
    # with every port, which is no site move to record or warn about.
    (config.build.state_dir / NAMESPACE_FILE).unlink(missing_ok=True)
    result = build_site(config, now)
    problems = list(result.problems)
    text = f"built {result.feed_count} feeds from {result.bookmark_count} bookmarks"
    if config.digest.sender:
        preview = config.build.output_dir / "digest-preview"
        shutil.rmtree(preview, ignore_errors=True)
        try:
            outcome = preview_digest(config, now, out=preview)
            problems += outcome.problems
        except UserError as exc:
            problems += exc.problems
        if (preview / "web.html").exists():
            text += "; digest preview at digest-preview/web.html and email.html"
        else:
            text += "; no digest this week, so no preview"
    return Round(text, problems)


class _Handler(SimpleHTTPRequestHandler):
    def guess_type(self, path: Any) -> str:
        name = str(path)
        for suffix in sorted(CONTENT_TYPES, key=len, reverse=True):
            if name.endswith(suffix):
                return CONTENT_TYPES[suffix]
        return super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@contextmanager
def http_server(folder: Path, port: int) -> Iterator[ThreadingHTTPServer]:
    """`folder` served on 127.0.0.1:`port` (0: any free port) in a background thread."""
    folder.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="linkletter-serve", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def watched_paths(config: Config) -> list[Path]:
    paths = [config.build.content_dir, config.build.feeds_dir, config.build.templates_dir]
    if config.path is not None:
        paths.append(config.path)
    return [p for p in paths if p.exists()]


def serve(
    root: Path,
    config_path: Path | None,
    port: int,
    clock_now: Callable[[], datetime],
    report: Callable[[Round], None],
    stop: threading.Event,
    started: Callable[[str], None] = lambda url: None,
) -> None:
    """Serve until `stop` is set, rebuilding after every change (settings are read again)."""
    from watchfiles import watch  # imported here: only `serve` watches files

    config = load_project(root, config_path)
    folder = serve_config(config, "http://127.0.0.1/").build.output_dir
    with http_server(folder, port) as server:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        ready = False
        while not stop.is_set():
            settings = _identity(config.path)
            for changes in watch(
                *watched_paths(config), stop_event=stop, debounce=300, rust_timeout=300, yield_on_timeout=True
            ):
                if not ready:  # the watcher runs now: nothing saved from here on is missed
                    ready = True
                    report(_rebuild(root, config_path, url, clock_now))
                    started(url)
                elif changes:
                    report(_rebuild(root, config_path, url, clock_now))
                    if _identity(config.path) != settings:
                        break  # the settings file was replaced (saved by rename): watch the new one


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        info = path.stat() if path is not None else None
    except OSError:
        return None
    return (info.st_ino, info.st_dev) if info is not None else None


def _rebuild(root: Path, config_path: Path | None, url: str, clock_now: Callable[[], datetime]) -> Round:
    try:
        config = serve_config(load_project(root, config_path), url)
        return build_preview(config, clock_now())
    except UserError as exc:
        return Round("not rebuilt: fix the settings and save again", exc.problems)
