"""Offline approximation of the W3C Feed Validation Service, for the test suite.

``check_feed(data, self_url, now)`` applies the validator rules that matter for the RSS 2.0
and Atom 1.0 feeds linkletter writes and returns findings of the form
``"<E|W> <MessageClass>: <path> <detail>"``; ``E``/``W`` is the validator's error/warning level
and ``MessageClass`` the class name it would log.  An empty list means the feed is clean.

XML is parsed with lxml.  HTML payloads are checked the way the validator does it: html5lib in
strict mode decides whether the markup parses; the tags and attributes are then listed with the
standard library's tokenizer (html5lib's tree drops stray <html>/<head>/<body> tags, which we
need to see) and compared with the validator's tag/attribute white lists.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from html.entities import name2codepoint
from html.parser import HTMLParser
from urllib.parse import urlsplit

import html5lib
from lxml import etree

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
MEDIA = "http://search.yahoo.com/mrss/"
DC = "http://purl.org/dc/elements/1.1/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML = "http://www.w3.org/1999/xhtml"  # the body of Atom type="xhtml" text constructs
KNOWN_NS = {ATOM, CONTENT, MEDIA, DC, XML_NS, XHTML}
A, M, ENCODED = f"{{{ATOM}}}", f"{{{MEDIA}}}", f"{{{CONTENT}}}encoded"

# Core vocabularies (RSS 2.0 specification, RFC 4287): parent -> allowed core children.
# A core parent that is not listed takes no core children at all.
RSS_VOCAB = {
    "rss": {"channel"},
    "channel": set(
        "title link description language copyright managingEditor webMaster pubDate "
        "lastBuildDate category generator docs cloud ttl image rating textInput "
        "skipHours skipDays item".split()
    ),
    "item": set("title link description author category comments enclosure guid pubDate source".split()),
    "image": {"url", "title", "link", "width", "height", "description"},
    "textInput": {"title", "description", "name", "link"},
    "skipHours": {"hour"},
    "skipDays": {"day"},
}
_FEED = set("author category contributor generator icon id link logo rights subtitle title updated".split())
ATOM_VOCAB = {
    "feed": _FEED | {"entry"},
    "source": _FEED,
    "entry": set(
        "author category content contributor id link published rights source summary title updated".split()
    ),
    "author": {"name", "uri", "email"},
    "contributor": {"name", "uri", "email"},
}

# HTML white lists.  SecurityRisk tags are HTML too (they matter for ContainsHTML).
SECURITY_TAGS = set(
    "applet base basefont bdo body comment embed frame frameset head html iframe "
    "isindex link listing meta noframes object param plaintext script slot style "
    "title xmp".split()
)
HTML_TAGS = SECURITY_TAGS | set(
    "a abbr acronym address area article aside audio b bdi big blockquote br button canvas "
    "caption center cite code col colgroup data datalist dd del details dfn dialog dir div dl dt "
    "em fieldset figcaption figure font footer form h1 h2 h3 h4 h5 h6 header hgroup hr i img "
    "input ins kbd label legend li main map mark menu meter nav noscript ol optgroup option "
    "output p picture pre progress q rp rt ruby s samp search section select small source span "
    "strike strong sub summary sup table tbody td template textarea tfoot th thead time tr "
    "track tt u ul var video wbr".split()
)
OK_ATTRS = set(
    "abbr accept accept-charset accesskey action align alt axis border cellpadding cellspacing "
    "char charoff charset checked cite clear cols colspan color compact coords datetime dir "
    "enctype for headers height href hreflang hspace id ismap label lang longdesc maxlength "
    "method multiple name nohref noshade nowrap prompt rel rev rows rowspan rules scope shape "
    "size span src start summary tabindex target title type usemap valign value vspace "
    "width".split()
)

# URIs
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$")
SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
BAD_URI_CHARS = set(' []{}|\\^`"<>')
IANA_SCHEMES = set(
    "http https mailto urn tag ftp data file news nntp telnet irc ircs xmpp sip "
    "sips tel sms ldap gopher cid mid dav fax im imap info ipp mms pop rtsp snmp "
    "ssh feed geo magnet git svn ws wss about".split()
)
DEFAULT_PORTS = {"http": "80", "https": "443", "ftp": "21"}
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
SELF_TYPES = {"application/atom+xml", "application/rss+xml", "application/rdf+xml"}

# Dates
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
RFC822_RE = re.compile(
    rf"^(?:({'|'.join(DAYS)}), )?(\d{{1,2}}) ({'|'.join(MONTHS)}) (\d{{4}}) (\d\d):(\d\d)"
    r"(?::(\d\d))? ([+-]\d\d[03]0|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$"
)
ZONES = dict(UT=0, GMT=0, Z=0, EST=-5, EDT=-4, CST=-6, CDT=-5, MST=-7, MDT=-6, PST=-8, PDT=-7)
RFC3339_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d*)?(Z|([+-])(\d\d):(\d\d))$")
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)

# Misc value formats
LANG_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
EMAIL_RE = re.compile(
    r"^[A-Za-z0-9_\-+.']+@(\d{1,3}\.\d{1,3}\.\d{1,3}\.|([A-Za-z0-9\-]+\.)+)"
    r"[A-Za-z0-9][-A-Za-z0-9]*$"
)
EMAIL_IN_NAME_RE = re.compile(r"<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>")
MIME_RE = re.compile(r"^[\w.+-]+/[\w.+-]+(\s*;.*)?$")
BAD_CHARS_RE = re.compile("[\x80-\x9f\ufffd]")
MEDIA_CONTENT_ATTRS = set(
    "url fileSize type medium isDefault expression bitrate framerate "
    "samplingrate channels duration height width lang".split()
)
MEDIA_MEDIUMS = {"image", "audio", "video", "document", "executable"}

_STRICT_HTML = html5lib.HTMLParser(strict=True)


def check_feed(data: bytes, self_url: str, now: datetime) -> list[str]:
    """Return the W3C-validator-style findings for an RSS 2.0 or Atom 1.0 document."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return [f"E SAXError: / {exc}"]
    checker = _Checker(self_url, now if now.tzinfo else now.replace(tzinfo=UTC))
    if root.tag == A + "feed":
        checker.common(root, atom=True)
        checker.check_atom(root)
    elif root.tag == "rss":
        checker.common(root, atom=False)
        checker.check_rss(root)
    else:
        checker.log("E", "UndefinedElement", root, "root is neither <rss> nor Atom <feed>")
    return list(dict.fromkeys(checker.found))  # drop exact repeats, keep order


def _kids(el):
    return [k for k in el if isinstance(k.tag, str)]  # elements only (no comments/PIs)


def _text(el) -> str:
    return (el.text or "").strip()


def _path(el) -> str:
    """XPath-like location, e.g. /feed/entry[3]/updated (index shown for repeated siblings)."""
    parts = []
    while el is not None:
        q = etree.QName(el)
        label = f"{el.prefix}:{q.localname}" if el.prefix else q.localname
        parent = el.getparent()
        if parent is not None:
            same = [s for s in parent if s.tag == el.tag]
            if len(same) > 1 or q.localname in ("item", "entry"):
                label += f"[{same.index(el) + 1}]"
        parts.append(label)
        el = parent
    return "/" + "/".join(reversed(parts))


def _norm_url(url: str):
    """Comparison key for self links: lowercase scheme/host, default port dropped."""
    p = urlsplit(url.strip())
    scheme, netloc = p.scheme.lower(), p.netloc.lower()
    port = DEFAULT_PORTS.get(scheme)
    if port and netloc.endswith(":" + port):
        netloc = netloc[: -len(port) - 1]
    return scheme, netloc, p.path or "/", p.query, p.fragment


def _is_canonical(uri: str) -> bool:
    """RFC 3986 normal form as the validator checks it for Atom ids (NonCanonicalURI)."""
    m = re.match(r"^([^:/?#]+):(?://([^/?#]*))?([^?#]*)", uri)
    if not m:
        return True  # not a URI at all: reported by the URI check
    scheme, authority, path = m.groups()
    if scheme != scheme.lower():
        return False
    if authority is not None:
        host = authority.rsplit("@", 1)[-1]
        port = re.search(r":(\d*)$", host)
        if host != host.lower() or (port and port.group(1) in ("", DEFAULT_PORTS.get(scheme))):
            return False
        if scheme in ("http", "https") and path == "":
            return False
    for hexpair in re.findall(r"%([0-9A-Fa-f]{2})", uri):
        if hexpair != hexpair.upper() or chr(int(hexpair, 16)) in UNRESERVED:
            return False
    return True


class _TagLister(HTMLParser):
    """Collects every start tag with its (entity-decoded) attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


class _Checker:
    def __init__(self, self_url: str, now: datetime):
        self.self_url, self.now, self.found = self_url, now, []

    def log(self, level, cls, where, detail=""):
        where = where if isinstance(where, str) else _path(where)
        self.found.append(f"{level} {cls}: {where} {detail}".rstrip())

    # ----------------------------------------------------------------- whole document
    def common(self, root, atom: bool):
        declared = {pair for el in root.iter(etree.Element) for pair in el.nsmap.items()}
        odd_media = {uri for _, uri in declared if "search.yahoo.com/mrss" in uri and uri != MEDIA}
        for prefix, uri in sorted(declared, key=str):
            if uri in odd_media:  # MediaRssNamespace: must be exactly MEDIA (trailing slash)
                self.log("E", "MediaRssNamespace", root, f"xmlns:{prefix or ''}='{uri}'")
            if atom and prefix == "atom":  # AvoidNamespacePrefix
                self.log("W", "AvoidNamespacePrefix", root, "xmlns:atom in an Atom document")
        vocab, core = (ATOM_VOCAB, ATOM) if atom else (RSS_VOCAB, None)
        reported = set(odd_media)
        for el in root.iter(etree.Element):
            q = etree.QName(el)
            used = [q.namespace] + [etree.QName(a).namespace for a in el.attrib]
            for uri in used:  # UnknownNamespace, once per namespace
                if uri and uri not in KNOWN_NS and uri not in reported:
                    self.log("W", "UnknownNamespace", el, uri)
                    reported.add(uri)
            for value in [el.text or "", el.tail or "", *el.attrib.values()]:
                if BAD_CHARS_RE.search(value):  # BadCharacters: C1 controls, U+FFFD
                    self.log("W", "BadCharacters", el, repr(value[:40]))
            lang = el.get(f"{{{XML_NS}}}lang")
            if lang is not None:
                self.language(_path(el) + "/@xml:lang", lang)
            parent = el.getparent()  # UndefinedElement: core child of a core parent
            if parent is None or not q.namespace == core == etree.QName(parent).namespace:
                continue
            if q.localname not in vocab.get(etree.QName(parent).localname, ()):
                self.log("E", "UndefinedElement", el, "not in the core vocabulary")
        self.media(root)

    # ----------------------------------------------------------------- RSS 2.0
    def check_rss(self, rss):
        ch = rss.find("channel")
        if ch is None:
            return self.log("E", "MissingElement", rss, "channel")
        kids, seen_item = _kids(ch), False
        for k in kids:  # MisplacedItem: channel metadata after the first item
            if k.tag == "item":
                seen_item = True
            elif seen_item:
                self.log("W", "MisplacedItem", k, "channel element after the first item")
        for name in ("title", "link", "description"):  # MissingTitle/Link/Description
            if ch.find(name) is None:
                self.log("E", "Missing" + name.title(), ch, name)
        self.single_use(ch, "title link description language pubDate lastBuildDate docs")
        if not any(link.get("rel") == "self" for link in ch.findall(A + "link")):
            self.log("W", "MissingAtomSelfLink", ch, "no atom:link rel='self'")
        self.atom_links(ch)
        guids = {}
        for k in kids:
            if k.tag == "item":
                self.check_item(k, guids)
            else:
                self.rss_field(k)

    def check_item(self, item, guids):
        tags = [k.tag for k in _kids(item)]
        self.single_use(item, "title link description pubDate guid")
        if "title" not in tags and "description" not in tags:
            self.log("E", "ItemMustContainTitleOrDescription", item)
        if ENCODED in tags and ("description" not in tags or tags.index("description") > tags.index(ENCODED)):
            self.log("W", "NeedDescriptionBeforeContent", item)
        if tags.count("enclosure") > 1:
            self.log("W", "DuplicateEnclosure", item, f"{tags.count('enclosure')} enclosures")
        guid = item.find("guid")
        if guid is None:
            self.log("W", "MissingGuid", item)
        elif _text(guid) in guids:  # DuplicateValue: guid reused within the feed
            self.log("E", "DuplicateValue", guid, f"'{_text(guid)}' repeats {guids[_text(guid)]}")
        elif _text(guid):
            guids[_text(guid)] = _path(item).rsplit("/", 1)[-1]
        self.atom_links(item)
        for k in _kids(item):
            self.rss_field(k)

    def rss_field(self, k):
        """Checks for one child of <channel> or <item>, by element name."""
        tag, v = k.tag, _text(k)
        in_channel = k.getparent().tag == "channel"
        if tag in ("title", "category") or (tag == "description" and in_channel):
            self.plain(k, k.text or "", rss=True, blank=tag == "title")
        elif tag in ("description", ENCODED):
            self.html(k, k.text or "", rss=True)
        elif tag in ("link", "docs"):
            self.uri(k, v)
        elif tag == "language":
            self.language(k, v)
        elif tag in ("pubDate", "lastBuildDate"):
            self.rfc822(k, v)
        elif tag in ("managingEditor", "webMaster", "author"):
            self.contact(k, v)
        elif tag == "enclosure":
            self.enclosure(k)
        elif tag == "guid":
            self.guid(k, v)

    def guid(self, el, v):
        if not v:
            return self.log("W", "NotBlank", el, "empty guid")
        perma = el.get("isPermaLink")
        if perma is not None and perma not in ("true", "false"):
            self.log("E", "InvalidBooleanAttribute", _path(el) + "/@isPermaLink", repr(perma))
        if perma == "false":
            return
        if v.startswith(("tag:", "urn:uuid:")):  # InvalidPermalink: must be an http(s) URL
            self.log("E", "InvalidPermalink", el, f"'{v}' is not a URL; use isPermaLink='false'")
        elif self.uri(el, v) and not v.lower().startswith(("http://", "https://")):
            self.log("E", "InvalidPermalink", el, f"'{v}' is not an http(s) URL")

    def contact(self, el, v):
        """managingEditor/webMaster/author must be 'addr@host (Real Name)'."""
        if "@" not in v:
            self.log("E", "InvalidContact", el, repr(v))
        elif not v.endswith(")"):
            self.log("W", "EmailFormat" if " " in v else "MissingRealName", el, repr(v))
        elif not EMAIL_RE.match(v.split(" ", 1)[0]):
            self.log("E", "InvalidContact", el, repr(v))

    def enclosure(self, el):
        for attr in ("url", "length", "type"):
            if el.get(attr) is None:
                self.log("E", "MissingAttribute", el, attr)
        length, mime, url = el.get("length"), el.get("type"), el.get("url")
        if length is not None and not re.fullmatch(r"\d+", length):
            self.log("E", "InvalidIntegerAttribute", _path(el) + "/@length", repr(length))
        if mime is not None and not MIME_RE.match(mime):
            self.log("E", "InvalidMIMEAttribute", _path(el) + "/@type", repr(mime))
        dotted_http = re.compile(r"^https?://[^/?#:]+\.[^/?#:]+")
        if url is not None and self.uri(el, url, attr="url") and not dotted_http.match(url.strip()):
            self.log("E", "InvalidURLAttribute", _path(el) + "/@url", "needs an http(s) host")

    # ----------------------------------------------------------------- Atom 1.0
    def check_atom(self, feed):
        kids = _kids(feed)
        entries = [k for k in kids if k.tag == A + "entry"]
        head = kids[: kids.index(entries[0])] if entries else kids
        for k in kids[len(head) :]:
            if k.tag != A + "entry":
                self.log("E", "MisplacedMetadata", k, "feed element after the first entry")
        for name in ("id", "title", "updated"):
            if feed.find(A + name) is None:
                self.log("E", "MissingElement", feed, name)
        self.single_use(feed, "id title updated subtitle rights generator icon logo", A)
        if not any(k.tag == A + "link" and k.get("rel") == "self" for k in head):
            self.log("W", "MissingSelf", feed, "no link rel='self' before the entries")
        self.atom_links(feed)
        for k in kids:
            if k.tag != A + "entry":
                self.atom_field(k)
        feed_author = any(k.tag == A + "author" for k in head)
        ids, updates = {}, {}
        for i, entry in enumerate(entries, 1):
            self.check_entry(entry, i, feed_author, ids, updates)

    def check_entry(self, e, i, feed_author, ids, updates):
        for name in ("id", "title", "updated"):
            if e.find(A + name) is None:
                self.log("E", "MissingElement", e, name)
        if e.find(A + "author") is None and not feed_author:
            self.log("E", "MissingElement", e, "author (and the feed has none)")
        self.single_use(e, "id updated content summary title published rights source", A)
        has_content = e.find(A + "content") is not None
        if not has_content and e.find(A + "summary") is None:
            self.log("W", "MissingTextualContent", e, "no content or summary")
        links = e.findall(A + "link")
        if not has_content and all(x.get("rel", "alternate") != "alternate" for x in links):
            self.log("E", "MissingContentOrAlternate", e, "no content or alternate link")
        self.atom_links(e)
        for k in _kids(e):
            self.atom_field(k)
        for name, seen, cls in (("id", ids, "DuplicateEntries"), ("updated", updates, "DuplicateUpdated")):
            el = e.find(A + name)
            if el is not None and _text(el) in seen:
                self.log("W", cls, el, f"'{_text(el)}' repeats {seen[_text(el)]}")
            elif el is not None:
                seen[_text(el)] = f"entry[{i}]"

    def atom_field(self, k):
        """Checks for one child of <feed> or <entry>, by element name."""
        if not k.tag.startswith(A):
            return
        name = k.tag[len(A) :]
        if name in ("title", "subtitle", "summary", "rights", "content"):
            self.text_construct(k, name)
        elif name in ("id", "updated", "published"):
            if (k.text or "") != _text(k):  # UnexpectedWhitespace
                self.log("E", "UnexpectedWhitespace", k, repr(k.text))
            if name != "id":
                self.rfc3339(k, _text(k))
            elif self.uri(k, _text(k)) and not _is_canonical(_text(k)):
                self.log("W", "NonCanonicalURI", k, repr(_text(k)))
        elif name in ("author", "contributor"):
            self.person(k)
        elif name == "category":
            term = k.get("term")
            if term is None:
                self.log("E", "MissingAttribute", k, "term")
            elif not term.strip():
                self.log("W", "NotBlank", _path(k) + "/@term", "empty term")
            if k.get("scheme") is not None:
                self.uri(k, k.get("scheme"), attr="scheme")
            if k.get("label") is not None:
                self.plain(k, k.get("label"), rss=False, where=_path(k) + "/@label")
        elif name == "generator":
            self.plain(k, k.text or "", rss=False, blank=True)
            if k.get("uri") is not None:
                self.uri(k, k.get("uri"), relative_ok=True, attr="uri")
        elif name in ("icon", "logo"):
            self.uri(k, _text(k), relative_ok=True)

    def text_construct(self, k, name):
        kind = k.get("type", "text")
        if kind not in ("text", "html", "xhtml") and not (name == "content" and MIME_RE.match(kind)):
            return self.log("E", "InvalidTextType", _path(k) + "/@type", repr(kind))
        if name == "content" and k.get("src") is not None:
            return self.uri(k, k.get("src"), relative_ok=True, attr="src")
        if kind == "text":
            self.plain(k, k.text or "", rss=False, blank=True)
        elif kind == "html":
            if not _text(k):
                self.log("W", "NotBlank", k)
            self.html(k, k.text or "", rss=False)

    def person(self, p):
        name, email, uri = p.find(A + "name"), p.find(A + "email"), p.find(A + "uri")
        if name is None:
            self.log("E", "MissingElement", p, "name")
        else:
            self.plain(name, name.text or "", rss=False, blank=True)
            if EMAIL_IN_NAME_RE.search(name.text or ""):
                self.log("W", "ContainsEmail", name, repr(name.text))
        if email is not None and not EMAIL_RE.match(_text(email)):
            self.log("E", "InvalidAddrSpec", email, repr(email.text))
        if uri is not None:  # an IRI reference: relative is allowed
            self.uri(uri, _text(uri), relative_ok=True)

    # ----------------------------------------------------------------- shared helpers
    def single_use(self, parent, names: str, ns: str = ""):
        for name in names.split():  # DuplicateElement
            for dup in parent.findall(ns + name)[1:]:
                self.log("E", "DuplicateElement", dup, f"more than one {name}")

    def atom_links(self, parent):
        """atom:link children of feed/entry/channel/item: href, self link, duplicates."""
        alternates = {}
        for link in parent.findall(A + "link"):
            href = link.get("href")
            if href is None:
                self.log("E", "MissingAttribute", link, "href")
                continue
            self.uri(link, href, relative_ok=True, attr="href")
            rel = link.get("rel", "alternate")
            if rel == "alternate":  # DuplicateAtomLink: same (type, hreflang)
                key = (link.get("type"), link.get("hreflang"))
                if key in alternates:
                    self.log("E", "DuplicateAtomLink", link, f"type/hreflang {key} repeated")
                alternates[key] = link
            elif rel == "self":
                if not SCHEME_RE.match(href.strip()):
                    self.log("W", "RelativeSelf", link, repr(href))
                elif _norm_url(href) != _norm_url(self.self_url):
                    self.log("W", "SelfDoesntMatchLocation", link, f"{href!r} != {self.self_url!r}")
                if link.get("type") not in (None, *SELF_TYPES):
                    self.log("W", "SelfNotAtom", link, repr(link.get("type")))

    def uri(self, el, value: str, relative_ok=False, attr=None) -> bool:
        """Absolute-URI checks (relative references allowed where relative_ok); True if OK."""
        where, v = _path(el) + (f"/@{attr}" if attr else ""), value.strip()
        if any(ord(c) > 127 for c in v):
            self.log("E", "UriNotIri", where, repr(v))
        elif any(c in BAD_URI_CHARS or ord(c) < 32 for c in v):
            self.log("E", "InvalidUriChar", where, repr(v))
        elif relative_ok and not SCHEME_RE.match(v):
            return True
        elif not URI_RE.match(v) or (
            SCHEME_RE.match(v).group(1).lower() in ("http", "https") and not re.match(r"^\w+://[^/]", v)
        ):
            self.log("E", "InvalidFullLink", where, repr(v))
        else:
            if SCHEME_RE.match(v).group(1).lower() not in IANA_SCHEMES:
                self.log("W", "SchemeNotIANARegistered", where, repr(v))
            return True
        return False

    def language(self, where, v):
        if not LANG_RE.match(v):
            self.log("E", "InvalidLanguage", where, repr(v))

    def plain(self, el, v: str, rss: bool, blank=False, where=None):
        """Plain-text values: NotBlank, ContainsHTML/ContainsUndeclaredHTML, CharacterData."""
        where = where or _path(el)
        if blank and not v.strip():
            self.log("W", "NotBlank", where)
        end_tags = [t for t in re.findall(r"</(\w+)\s*>", v) if t.lower() in HTML_TAGS]
        entities = [e for e in re.findall(r"&(#|[A-Za-z]+)", v) if e == "#" or e in name2codepoint]
        if end_tags or entities:
            cls = "ContainsHTML" if rss else "ContainsUndeclaredHTML"
            self.log("W", cls, where, repr(v[:60]))
        if rss and re.search(r"&#[x0-9]|<[/a-zA-Z]", v):
            self.log("W", "CharacterData", where, repr(v[:60]))

    def html(self, el, markup: str, rss: bool):
        """Escaped HTML payloads: NotHtml, SecurityRisk, SecurityRiskAttr, ContainsRelRef..."""
        try:
            _STRICT_HTML.parseFragment(markup)
        except html5lib.html5parser.ParseError as exc:
            self.log("W", "NotHtml", el, f"Invalid HTML: {exc}")
        lister = _TagLister()
        lister.feed(markup)
        lister.close()
        for tag, attrs in lister.tags:
            if tag in SECURITY_TAGS:
                self.log("W", "SecurityRisk", el, f"<{tag}>")
            elif tag not in HTML_TAGS:
                self.log("W", "NotHtml", el, f"Non-html tag <{tag}>")
            for name, value in attrs:
                if name == "style":
                    self.log("W", "DangerousStyleAttr", el, f"<{tag} style>")
                elif name not in OK_ATTRS and not name.startswith("data-"):
                    self.log("W", "SecurityRiskAttr", el, f"<{tag} {name}>")
                link_attr = (tag, name) in (("a", "href"), ("img", "src"))
                if rss and link_attr and not re.match(r"^\w+:", value or ""):
                    self.log("W", "ContainsRelRef", el, f"<{tag} {name}={value!r}>")

    def rfc822(self, el, v):
        m = RFC822_RE.match(v)
        try:
            dow, day, mon, year, hh, mm, ss, zone = m.groups() if m else (None,) * 8
            local = datetime(int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss or 0))
        except (TypeError, ValueError):
            return self.log("E", "InvalidRFC2822Date", el, repr(v))
        if dow and DAYS[local.weekday()] != dow:
            self.log("E", "IncorrectDOW", el, f"{v!r} is a {DAYS[local.weekday()]}")
        if zone[0] in "+-":
            offset = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[3:]))
        else:
            offset = ZONES[zone] * 60
        self.plausible(el, v, local.replace(tzinfo=timezone(timedelta(minutes=offset))), 600)

    def rfc3339(self, el, v):
        m = RFC3339_RE.match(v)
        try:
            y, mo, d, hh, mm, ss, zone, sign, zh, zm = m.groups() if m else (None,) * 10
            offset = 0 if zone == "Z" else (-1 if sign == "-" else 1) * (int(zh) * 60 + int(zm))
            tz = timezone(timedelta(minutes=offset))  # raises ValueError beyond +-24h
            stamp = datetime(int(y), int(mo), int(d), int(hh), int(mm), int(ss), tzinfo=tz)
        except (TypeError, ValueError):
            return self.log("E", "InvalidRFC3339Date", el, repr(v))
        self.plausible(el, v, stamp, 24 * 3600)

    def plausible(self, el, v, stamp, slack_seconds):
        if stamp < EARLIEST or stamp > self.now + timedelta(seconds=slack_seconds):
            self.log("W", "ImplausibleDate", el, repr(v))

    # ----------------------------------------------------------------- Media RSS
    def media(self, root):
        for group in root.iter(M + "group"):
            if len(group.findall(M + "content")) < 2:
                self.log("E", "MediaGroupWithoutAlternatives", group)
        for mc in root.iter(M + "content"):
            for attr in mc.attrib:
                if attr not in MEDIA_CONTENT_ATTRS:
                    self.log("E", "UnexpectedAttribute", mc, attr)
            if mc.get("medium") is not None and mc.get("medium") not in MEDIA_MEDIUMS:
                self.log("E", "InvalidMediaMedium", mc, repr(mc.get("medium")))
            if mc.get("url") is not None:
                self.uri(mc, mc.get("url"), attr="url")
        for thumb in root.iter(M + "thumbnail"):
            for attr in thumb.attrib:
                if attr not in ("url", "width", "height", "time"):
                    self.log("E", "UnexpectedAttribute", thumb, attr)
            if thumb.get("url") is None:
                self.log("E", "MissingAttribute", thumb, "url")
            else:
                self.uri(thumb, thumb.get("url"), attr="url")
            for attr in ("width", "height"):
                size = thumb.get(attr)
                if size is not None and not re.fullmatch(r"[1-9]\d*", size):
                    self.log("E", "InvalidIntegerAttribute", _path(thumb) + f"/@{attr}", repr(size))
