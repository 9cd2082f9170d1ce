"""Links from bookmarks: validation, normalisation to a URI, the key that identifies a link,
and the expiry of signed image URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from ..errors import ValueProblem
from .text import clean_text

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.IGNORECASE)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9_.+'\-]+@([A-Za-z0-9\-]+\.)+[A-Za-z0-9][A-Za-z0-9\-]*")


def is_email_address(text: str) -> bool:
    return bool(EMAIL_ADDRESS.fullmatch(text))


def parse_web_url(value: object) -> str:
    """An absolute http(s) URI from user text, or ValueProblem.

    Non-ASCII characters are percent-encoded (UTF-8) and the host is IDNA-encoded,
    so the result is a plain URI that RSS and every reader accept."""
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem("missing", "write the full address, starting with https://")
    text = clean_text(value).strip()
    if any(ch.isspace() for ch in text):
        raise ValueProblem(f"contains spaces: {text!r}", "encode spaces as %20")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise ValueProblem(f"not a valid address: {text!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        shown = f"'{scheme}:'" if scheme else "no scheme"
        raise ValueProblem(
            f"only http and https links are allowed, got {shown} in {text!r}",
            "write the full address, starting with https://",
        )
    if not parts.hostname:
        raise ValueProblem(f"has no host name: {text!r}")
    host = _ascii_host(parts.hostname)
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:
        raise ValueProblem(f"contains a user name or password: {text!r}")
    return urlunsplit(
        (
            scheme,
            netloc,
            quote(parts.path or "/", safe=_SAFE_PATH),
            quote(parts.query, safe=_SAFE_QUERY),
            quote(parts.fragment, safe=_SAFE_QUERY),
        )
    )


def _ascii_host(host: str) -> str:
    """The host as it goes into a URI: lower case, IDNA-encoded; IPv6 literals are refused."""
    host = host.lower().rstrip(".")
    if ":" in host:
        raise ValueProblem(
            f"links to IPv6 addresses ([{host}]) cannot appear in feeds",
            "the W3C feed validator refuses '[' and ']' in URLs; link to a host name",
        )
    if host.isascii():
        if not re.fullmatch(r"[a-z0-9._\-]+", host):
            raise ValueProblem(f"the host name {host!r} has characters a host name cannot have")
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueProblem(f"the host name {host!r} is not a valid international name") from None


def link_key(uri: str) -> str:
    """What makes two links the same bookmark: scheme and host case, default ports, a trailing
    slash, tracking parameters (utm_*, fbclid, gclid) and plain #fragments do not count."""
    parts = urlsplit(uri)
    path = parts.path.rstrip("/") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    )
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    scheme = "https" if parts.scheme == "http" else parts.scheme
    return urlunsplit((scheme, parts.netloc, path, query, fragment))


def image_expiry(uri: str) -> datetime | None:
    """When a signed URL stops working: CloudFront/Dropmark `Expires=<epoch>` or
    AWS `X-Amz-Date` + `X-Amz-Expires`. None for an unsigned URL."""
    query = {k.lower(): v for k, v in parse_qsl(urlsplit(uri).query)}
    try:
        if "expires" in query:
            return datetime.fromtimestamp(int(query["expires"]), UTC)
        if "x-amz-date" in query and "x-amz-expires" in query:
            start = datetime.strptime(query["x-amz-date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            return start + timedelta(seconds=int(query["x-amz-expires"]))
    except (ValueError, OverflowError, OSError):
        return None
    return None
