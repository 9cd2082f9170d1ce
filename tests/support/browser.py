"""A real browser for tests: Debian's (or any) chromium driven by Playwright, a local HTTP server for
the built site, and helpers that check what a person sees.

The pieces, for later tests:

- `browser` (session fixture): a headless chromium; the test is skipped, saying how to install
  them, when the `playwright` package or a chromium executable is missing.
- `serve_directory(root, prefix)`: a ThreadingHTTPServer on 127.0.0.1 (port 0) that serves the
  folder `root` at the URL path `prefix`; its `.url` is where, its `.log` what it answered.
- `SiteUnderTest(served_at, public_base)`: where a site really is (`served_at`, any http URL:
  `serve_directory(...).url` today, the URL a `linkletter serve` process prints tomorrow) and,
  optionally, the public address its pages link to (`site.base_url`). With a public base, pages
  are opened at their public addresses and the browser gets every byte under that base from
  `served_at` (Playwright route interception), so absolute links work as they will in production.
- `open_page` (fixture): `open_page(site, url, width=600)` opens a URL in a fresh browser context
  and returns a `Visit`: the page, the console errors, uncaught exceptions, failed requests to the
  site and the requests that left it (answered with a stub: tests never use the network).
- `horizontal_overflow`, `links`, `check_links`, `images_without`, `screenshot`: the checks.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import struct
import tempfile
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest

INSTALL_HINT = (
    "install chromium (`apt-get install chromium`, or set LINKLETTER_CHROMIUM to a chromium or chrome "
    "executable) and the playwright package (`pip install playwright`; its own browser download is "
    "not needed)"
)
# Flags known to work here as root and offline; Playwright adds --headless and a fresh
# --user-data-dir itself. Without the background-networking flags chromium's own connections get
# refused in bursts on a machine without internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(
    os.environ.get("LINKLETTER_SCREENSHOTS", Path(tempfile.gettempdir()) / "linkletter-screenshots")
)


def chromium_executable() -> str | None:
    """$LINKLETTER_CHROMIUM, else the first chromium or chrome on PATH."""
    named = os.environ.get("LINKLETTER_CHROMIUM")
    if named:
        return named if Path(named).is_file() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def browser():
    """A headless chromium for the whole session (each `open_page` gets its own context)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip(f"the playwright Python package is not installed: {INSTALL_HINT}")
    executable = chromium_executable()
    if executable is None:
        pytest.skip(f"no chromium executable found: {INSTALL_HINT}")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


# ---------------------------------------------------------------------------------------------
# The local server


class _Handler(SimpleHTTPRequestHandler):
    """Serves `root` at the URL path `prefix`, quietly, with feed types as the README asks."""

    prefix = "/"
    log: list[tuple[str, str, int]]
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".xml": "application/xml; charset=utf-8",
        ".xsl": "text/xsl; charset=utf-8",
        ".css": "text/css; charset=utf-8",
    }

    def translate_path(self, path):
        plain = unquote(urlsplit(path).path)
        if not plain.startswith(self.prefix) and plain + "/" != self.prefix:
            return str(Path(self.directory) / ".not-under-the-prefix" / "404")
        return super().translate_path("/" + path[len(self.prefix) :])

    def guess_type(self, path):
        name = str(path)
        if name.endswith(".rss.xml"):
            return "application/rss+xml; charset=utf-8"
        if name.endswith(".atom.xml"):
            return "application/atom+xml; charset=utf-8"
        return super().guess_type(path)

    def log_request(self, code="-", size="-"):
        self.log.append((self.command, self.path, int(getattr(code, "value", code))))

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@dataclass
class StaticServer:
    url: str  # e.g. http://127.0.0.1:41234/sub/
    log: list[tuple[str, str, int]]  # (method, path, status) of every request answered


@contextlib.contextmanager
def serve_directory(root: Path, prefix: str = "/") -> Iterator[StaticServer]:
    """Serve `root` at http://127.0.0.1:PORT{prefix} in a thread until the block ends."""
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"prefix must start and end with '/': {prefix!r}")
    log: list[tuple[str, str, int]] = []
    handler = type("Handler", (_Handler,), {"prefix": prefix, "log": log})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield StaticServer(f"http://127.0.0.1:{server.server_address[1]}{prefix}", log)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


# ---------------------------------------------------------------------------------------------
# A site and a visit


@dataclass(frozen=True)
class SiteUnderTest:
    """Where the site's bytes come from, and the public address its pages use (if any)."""

    served_at: str  # http://127.0.0.1:PORT/sub/ (serve_directory, or later `linkletter serve`)
    public_base: str | None = None  # site.base_url, e.g. https://links.example.org/sub/

    @property
    def base(self) -> str:
        """The address a browser uses for the site's root."""
        return self.public_base or self.served_at

    def url(self, path: str = "") -> str:
        return self.base + path.lstrip("/")

    def is_local(self, url: str) -> bool:
        return url.startswith(self.base) or url.startswith(self.served_at) or url + "/" == self.base

    def to_served(self, url: str) -> str:
        """The address that really answers for `url` (a public URL of the site, or a served one)."""
        if self.public_base and (url.startswith(self.public_base) or url + "/" == self.public_base):
            return self.served_at + url[len(self.public_base) :]
        return url


@dataclass
class Visit:
    page: object  # playwright.sync_api.Page
    url: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)  # the site's own, failed or >= 400
    external_requests: list[str] = field(default_factory=list)  # stubbed, never fetched

    def problems(self) -> list[str]:
        return (
            [f"console error: {text}" for text in self.console_errors]
            + [f"uncaught exception: {text}" for text in self.page_errors]
            + [f"failed request: {text}" for text in self.failed_requests]
        )


def _placeholder_png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG, the stand-in for every external image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + b"\xc8\xc8\xc8" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PLACEHOLDER_PNG = _placeholder_png()


class Pages:
    """Opens pages in a browser, each in a fresh context; `close()` closes them all."""

    def __init__(self, browser):
        self.browser = browser
        self.contexts = []

    def open(self, site: SiteUnderTest, url: str, *, width=600, height=900, color_scheme="light") -> Visit:
        context = self.browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=color_scheme
        )
        self.contexts.append(context)
        result = Visit(page=None, url=url)

        def route(route):
            request = route.request
            if site.is_local(request.url):
                served = site.to_served(request.url)
                if served == request.url:
                    route.continue_()
                    return
                # Fetched by Playwright from the local server and handed to the page as the
                # answer of the public URL; redirects are passed on, not followed here.
                response = route.fetch(url=served, max_redirects=0)
                route.fulfill(response=response)
            elif request.url.startswith(("http://", "https://")):
                result.external_requests.append(f"{request.resource_type} {request.url}")
                if request.resource_type == "image":
                    route.fulfill(status=200, body=PLACEHOLDER_PNG, content_type="image/png")
                else:
                    route.fulfill(status=204, body=b"")
            else:
                route.continue_()

        def console(message):
            if message.type == "error":
                where = message.location or {}
                result.console_errors.append(
                    f"{message.text} ({where.get('url', '')}:{where.get('lineNumber', '')})"
                )

        def request_failed(request):
            if site.is_local(request.url):
                result.failed_requests.append(f"{request.url}: {request.failure}")

        def response(response):
            if site.is_local(response.url) and response.status >= 400:
                result.failed_requests.append(f"{response.url}: HTTP {response.status}")

        context.route("**/*", route)
        page = context.new_page()
        result.page = page
        page.on("console", console)
        page.on("pageerror", lambda error: result.page_errors.append(str(error)))
        page.on("requestfailed", request_failed)
        page.on("response", response)
        page.goto(url, wait_until="load")
        return result

    def close(self):
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def open_page(browser):
    """open_page(site, url, width=600, height=900, color_scheme="light") -> Visit, in a fresh context."""
    pages = Pages(browser)
    yield pages.open
    pages.close()


# ---------------------------------------------------------------------------------------------
# Checks


def horizontal_overflow(page, width: int) -> str | None:
    """None if the page fits `width` CSS pixels without horizontal scrolling, else what sticks out."""
    page.set_viewport_size({"width": width, "height": page.viewport_size["height"]})
    measured = page.evaluate(
        """() => {
            const root = document.documentElement;
            const limit = root.clientWidth;
            const wide = [];
            const sticksOut = element => {
                const box = element.getBoundingClientRect();
                return box.width > 0 && box.right > limit + 0.5;
            };
            // the innermost elements that stick out: the ones to look at
            for (const element of document.body ? document.body.querySelectorAll('*') : []) {
                const box = element.getBoundingClientRect();
                if (sticksOut(element) && ![...element.querySelectorAll('*')].some(sticksOut)) {
                    const name = element.tagName.toLowerCase()
                        + (element.id ? '#' + element.id : '')
                        + (element.className && typeof element.className === 'string'
                           ? '.' + element.className.trim().split(/\\s+/).join('.') : '');
                    wide.push(`${name} ends at ${Math.round(box.right)}px`);
                }
            }
            return {scroll: root.scrollWidth, client: limit, wide: [...new Set(wide)].slice(0, 6)};
        }"""
    )
    if measured["scroll"] <= measured["client"]:
        return None
    return (
        f"at {width}px the page scrolls sideways: scrollWidth {measured['scroll']} > clientWidth "
        f"{measured['client']}; sticking out: {', '.join(measured['wide']) or '?'}"
    )


def links(page) -> list[tuple[str, str, str]]:
    """Every <a href> on the page: (href as written, href as resolved, the link's text)."""
    return [
        tuple(item)
        for item in page.eval_on_selector_all(
            "a[href]",
            "anchors => anchors.map(a => [a.getAttribute('href'), a.href, a.textContent.trim().slice(0, 60)])",
        )
    ]


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and (name == "id" or (tag == "a" and name == "name")):
                self.ids.add(value)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local http URL
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def check_links(site: SiteUnderTest, found: list[tuple[str, str, str]]) -> list[str]:
    """Problems with the links: the site's own must answer 200 over HTTP (and a #fragment must name
    an id on that page); every other link must be an absolute http(s) URL as written."""
    problems = []
    pages: dict[str, tuple[int, bytes]] = {}
    for written, resolved, text in found:
        if site.is_local(resolved):
            address, fragment = urldefrag(resolved)
            served = site.to_served(address)
            if served not in pages:
                pages[served] = _get(served)
            status, body = pages[served]
            if status != 200:
                problems.append(f"{written!r} ({text!r}) answers HTTP {status} at {served}")
            elif fragment:
                ids = _Ids()
                ids.feed(body.decode("utf-8", "replace"))
                if unquote(fragment) not in ids.ids:
                    problems.append(f"{written!r} ({text!r}): no id {fragment!r} on {address}")
        elif not written.startswith(("http://", "https://")) or not urlsplit(written).netloc:
            problems.append(f"{written!r} ({text!r}) is neither the site's nor an absolute http(s) URL")
    return problems


def images_without(page, attribute: str) -> list[str]:
    """The src of every <img> that lacks `attribute` (alt="" counts as present: a decorative image)."""
    return page.eval_on_selector_all(
        "img", f"images => images.filter(i => !i.hasAttribute({attribute!r})).map(i => i.src)"
    )


def screenshot(page, name: str) -> Path:
    """A full-page PNG in $LINKLETTER_SCREENSHOTS (default: TMPDIR/linkletter-screenshots)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
