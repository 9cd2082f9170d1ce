"""Links from bookmarks: validation, normalisation to a URI, the key that identifies a link,
and the expiry of signed image URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import idna

from ..errors import ValueProblem
from .text import clean_text

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$", re.IGNORECASE)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"
_SPACE = re.compile(r"\s")  # what str.isspace() calls a space


EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9_.+'\-]+@([A-Za-z0-9\-]+\.)+[A-Za-z0-9][A-Za-z0-9\-]*")


def is_email_address(text: str) -> bool:
    return bool(EMAIL_ADDRESS.fullmatch(text))


def parse_web_url(value: object, spaces: bool = False) -> str:
    """An absolute http(s) URI from user text, or ValueProblem.

    As browsers parse URLs (WHATWG): tabs and line breaks are removed, spaces and non-ASCII
    characters are percent-encoded (UTF-8), and the host is IDNA-encoded (UTS 46,
    non-transitional: `faß.de` stays `faß.de`), so the result is a plain URI that RSS and every
    reader accept. Spaces are refused unless `spaces` (links from bookmarks: real exports hold
    them); `has_spaces` tells a caller whether to say so."""
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem("missing", "write the full address, starting with https://")
    simple = _SIMPLE_URI.fullmatch(value)
    if simple:
        start, path, rest = simple.groups()
        return value if path else f"{start}/{rest}"
    return _parse_web_url(value, spaces)


# An address that is already the URI `_parse_web_url` makes of it, but for the "/" of an empty
# path: lower-case http(s), a lower-case ASCII host of dot-separated labels, no port, user or
# password, and only characters that `quote` leaves alone (no space, no empty "?" or "#").
_URI_SAFE = r"[A-Za-z0-9_.\-~/:@!$&'()*+,;=%"
_SIMPLE_URI = re.compile(
    rf"(https?://[a-z0-9\-]+(?:\.[a-z0-9\-]+)*)(/{_URI_SAFE}]*)?((?:\?{_URI_SAFE}?]+)?(?:#{_URI_SAFE}?]+)?)"
)


def _parse_web_url(value: str, spaces: bool) -> str:
    """`parse_web_url` the long way (every address it does not take as it is)."""
    text = re.sub(r"[\t\n\r]", "", clean_text(value)).strip() if spaces else clean_text(value).strip()
    if not spaces and _SPACE.search(text):
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
        return idna.encode(host, uts46=True, transitional=False).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise ValueProblem(f"the host name {host!r} is not a valid international name") from None


def has_spaces(value: object) -> bool:
    """Whether user text for a link holds spaces that parse_web_url encodes."""
    return isinstance(value, str) and _SPACE.search(value.strip()) is not None


def link_key(uri: str) -> str:
    """What makes two links the same bookmark: scheme and host case, default ports, a trailing
    slash, dot segments (`a/./b`), escapes of unreserved characters (`%7E` is `~`), the case of
    escapes, tracking parameters (utm_*, fbclid, gclid) and plain #fragments do not count. Bytes
    that are not UTF-8 (`%E9`, `%E8`) stay distinct."""
    simple = _SIMPLE_LINK.fullmatch(uri)
    if simple is None or _DOT_SEGMENT.search(simple.group(2) or ""):
        return _link_key(uri)
    host, path, query, fragment = simple.groups()
    if query:
        query = "&".join(pair for pair in query.split("&") if not _TRACKING.match(pair.partition("=")[0]))
    key = f"https://{host}{(path or '').rstrip('/') or '/'}"
    key += f"?{query}" if query else ""
    return key + (f"#{fragment}" if fragment and fragment.startswith(("/", "!")) else "")


# A link `link_key` takes apart without urllib: an ASCII host without port or user, a path
# without escapes, a query of `key=value` pairs that encoding leaves alone.
_PAIR = r"[A-Za-z0-9_.~\-]+=[A-Za-z0-9_.~\-]*"
_SIMPLE_LINK = re.compile(
    rf"https?://([a-z0-9.\-]+)(/[A-Za-z0-9_.~\-!$&'()*+,;=:@/]*)?(?:\?({_PAIR}(?:&{_PAIR})*))?(?:#(.*))?"
)
_DOT_SEGMENT = re.compile(r"/\.\.?(?:/|$)")


def _link_key(uri: str) -> str:
    """`link_key` the long way."""
    parts = urlsplit(uri)
    path = _remove_dot_segments(_normal_escapes(parts.path)).rstrip("/") or "/"
    pairs = parse_qsl(parts.query, keep_blank_values=True, errors="surrogateescape")
    query = urlencode([(k, v) for k, v in pairs if not _TRACKING.match(k)], errors="surrogateescape")
    fragment = parts.fragment if parts.fragment.startswith(("/", "!")) else ""
    scheme = "https" if parts.scheme == "http" else parts.scheme
    return urlunsplit((scheme, parts.netloc, path, query, fragment))


_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]")


def _normal_escapes(text: str) -> str:
    """`%7e` and `%7E` become `~`; other escapes upper case (RFC 3986, 6.2.2)."""

    def one(match: re.Match) -> str:
        char = unquote(match.group(), errors="strict") if match.group()[1] in "01234567" else ""
        return char if _UNRESERVED.fullmatch(char) else match.group().upper()

    return _ESCAPE.sub(one, text)


def _remove_dot_segments(path: str) -> str:
    """`/a/./b/../c` is `/a/c` (RFC 3986, 5.2.4)."""
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        kept: str | None = segment
        if segment == ".":
            kept = "" if last else None
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            kept = "" if last else None
        if kept is not None:
            output.append(kept)
    return "/".join(output) or "/"


def image_expiry(uri: str) -> datetime | None:
    """When a signed URL stops working: CloudFront/Dropmark `Expires=<epoch>` or
    AWS `X-Amz-Date` + `X-Amz-Expires`. None for an unsigned URL."""
    if "expires" not in uri.lower() and "%" not in uri:
        return None  # no key below, escaped or not
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
