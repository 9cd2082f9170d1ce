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
from html import unescape
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

# HTML tag lists (the validator's HTMLValidator): a tag outside HTML_TAGS is NotHtml, an HTML tag
# in SECURITY_TAGS is a SecurityRisk.  SecurityRisk tags are HTML too (they matter for ContainsHTML).
SECURITY_TAGS = set(
    "applet base basefont bdo body comment embed frame frameset head html iframe "
    "isindex link listing meta noframes object param plaintext script slot style "
    "title xmp".split()
)
HTML_TAGS = SECURITY_TAGS | set(
    "a abbr acronym address area article aside audio b bdi big blockquote br button canvas "
    "caption center cite code col colgroup command data datagrid datalist dd del details dfn "
    "dialog dir div dl dt em eventsource fieldset figcaption figure font footer form h1 h2 h3 h4 "
    "h5 h6 header hgroup hr i img input ins kbd label legend li m main map mark menu meter nav "
    "noscript ol optgroup option output p picture pre progress q rp rt ruby s samp section "
    "select small source span strike strong sub summary sup table tbody td template textarea "
    "tfoot th thead time tr track tt u ul var video wbr".split()
)
# Attributes: only on* handlers (SecurityRiskAttr) and style (DangerousStyleAttr) are checked.
# A style passes when it is a list of "property: value" pairs with SAFE_CSS properties (and,
# for the background/border/margin/padding families, SAFE_CSS_KEYWORDS or simple values).
SAFE_CSS = set(
    "azimuth background background-color border border-bottom border-bottom-color "
    "border-bottom-style border-bottom-width border-collapse border-color border-left "
    "border-left-color border-left-style border-left-width border-right border-right-color "
    "border-right-style border-right-width border-spacing border-style border-top "
    "border-top-color border-top-style border-top-width border-width clear color cursor "
    "direction display elevation float font font-family font-size font-style font-variant "
    "font-weight height letter-spacing line-height list-style-type margin margin-bottom "
    "margin-left margin-right margin-top overflow padding padding-bottom padding-left "
    "padding-right padding-top pause pause-after pause-before pitch pitch-range richness speak "
    "speak-header speak-numeral speak-punctuation speech-rate stress text-align text-decoration "
    "text-indent unicode-bidi vertical-align voice-family volume white-space width".split()
)
SAFE_CSS_KEYWORDS = set(
    "aqua auto black block blue bold both bottom brown center collapse dashed dotted fuchsia "
    "gray green !important italic left lime maroon medium none navy normal nowrap olive pointer "
    "purple red right solid silver teal top transparent underline white yellow".split()
)
SAFE_CSS_VALUE_RE = re.compile(
    r"^(#[0-9a-f]+|rgb\(\d+%?,\d*%?,?\d*%?\)?|\d?\.?\d?\d(cm|em|ex|in|mm|pc|pt|px|%|,|\))?)$"
)
CSS_CHARS_RE = re.compile(r"""^([:,;#%.\sa-zA-Z0-9!]|\w-\w|'[\s\w]+'|"[\s\w]+"|\([\d,\s]+\))*$""")
CSS_DECLS_RE = re.compile(r"^(\s*[-\w]+\s*:\s*[^:;]*(;|$))*$")
# Relative references in RSS HTML (ContainsRelRef) are found by pattern, as the validator does:
# only an href that is the first attribute of <a>, and any src of <img>.
REL_REF_RES = (
    re.compile(r"""<a\s+href=(?:"(.*?)"|'(.*?)'|([\w-]+))[\s>]""", re.I),
    re.compile(r"""<img\s+[^>]*src=(?:"(.*?)"|'(.*?)'|([\w-]+))[\s>]""", re.I),
)

# URIs
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//)?[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$")
SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
BAD_URI_CHARS = set(' []{}|\\^`"<>')
URN_RE = re.compile(
    r"^[Uu][Rr][Nn]:[a-zA-Z0-9][a-zA-Z0-9-]{1,31}:([a-zA-Z0-9()+,.:=@;$_!*'\-]|%[0-9A-Fa-f]{2})+$"
)
UUID_RE = re.compile(r"^urn:uuid:[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}$", re.I)
TAG_RE = re.compile(
    r"^tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*"
    r"(#[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,]*)?$"
)
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
    r"(?::(\d\d))? ([+-]?\d\d[03]0|UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z)$"
)
# What does not match RFC822_RE but does match this looser RFC 822 form (after dropping comments)
# is ProblematicalRFC822Date (a warning), anything else InvalidRFC2822Date (an error).
RFC822_LOOSE_RE = re.compile(
    r"^((mon|tue|wed|thu|fri|sat|sun)\s*,\s*)?\d\d?\s+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"\s+\d\d(\d\d)?\s+\d\d:\d\d(:\d\d)?\s+(([+-]\d\d\d\d)|ut|gmt|est|edt|cst|cdt|mst|mdt|pst|pdt|[a-ik-z])?$"
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
_TOKEN = r'[^\s()<>,;:\\"/\[\]?=]+'  # an RFC 2045 token, as loosely as the validator reads it
MIME_RE = re.compile(rf'^{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}=("(\\"|[^"])*"|{_TOKEN}))*$')
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
    checker.hex_lines = {i for i, line in enumerate(data.split(b"\n"), 1) if b"&#x" in line}
    if root.tag == A + "feed":
        checker.common(root, atom=True)
        checker.check_atom(root)
    elif root.tag == "rss":
        checker.common(root, atom=False)
        checker.check_rss(root)
    else:
        checker.log("E", "UndefinedElement", root, "root is neither <rss> nor Atom <feed>")
    return list(dict.fromkeys(checker.found))  # drop exact repeats, keep order


# RSS item children with the same meaning (DuplicateItemSemantics when both are present).
ITEM_SEMANTICS = [
    ("author", f"{{{DC}}}creator"),
    ("category", f"{{{DC}}}subject"),
    ("pubDate", f"{{{DC}}}date"),
    ("guid", A + "id"),
    ("pubDate", A + "published"),
]


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


def _safe_style(style: str) -> bool:
    """The validator's checkStyle: only SAFE_CSS properties with harmless values."""
    if not CSS_CHARS_RE.match(style) or not CSS_DECLS_RE.match(style):
        return False
    for prop, value in re.findall(r"([-\w]+)\s*:\s*([^:;]*)", style.lower()):
        if prop not in SAFE_CSS:
            return False
        words = value.split() if prop.split("-")[0] in ("background", "border", "margin", "padding") else []
        if any(w not in SAFE_CSS_KEYWORDS and not SAFE_CSS_VALUE_RE.match(w) for w in words):
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
        self.hex_lines: set[int] = set()  # source lines holding "&#x" (set by check_feed)

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
            elif uri not in KNOWN_NS:  # UnknownNamespace: any declaration, used or not
                self.log("W", "UnknownNamespace", root, uri)
            if atom and prefix == "atom":  # AvoidNamespacePrefix
                self.log("W", "AvoidNamespacePrefix", root, "xmlns:atom in an Atom document")
        vocab, core = (ATOM_VOCAB, ATOM) if atom else (RSS_VOCAB, None)
        for el in root.iter(etree.Element):
            q = etree.QName(el)
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
        self.atom_links(ch, atom=False)
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
        for core, ext in ITEM_SEMANTICS:  # DuplicateItemSemantics: core element and its twin
            if core in tags and ext in tags:
                self.log("W", "DuplicateItemSemantics", item, f"{core} and {ext}")
        self.atom_links(item, atom=False)
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
            if len(v) < 9 and v.isdigit():
                self.log("W", "NotSufficientlyUnique", el, repr(v))
            return
        # a permalink must be a full URI (InvalidHttpGUID), and not a tag: or urn:uuid: one
        if self.uri(el, v, error="InvalidHttpGUID") and v.lower().startswith(("tag:", "urn:uuid:")):
            self.log("E", "InvalidPermalink", el, f"'{v}' is not a URL; use isPermaLink='false'")

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
        if length is not None and not re.fullmatch(r"\s*[+-]?\d+\s*", length):
            self.log("E", "InvalidIntegerAttribute", _path(el) + "/@length", repr(length))
        elif length is not None and int(length) < 0:
            cls = "UseZeroForUnknown" if int(length) == -1 else "InvalidNonNegativeInteger"
            self.log("E", cls, _path(el) + "/@length", repr(length))
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
        self.atom_links(feed, atom=True)
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
        self.atom_links(e, atom=True)
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
            elif not term:  # only an empty term: the validator takes a blank one
                self.log("W", "NotBlank", _path(k) + "/@term", "empty term")
            if k.get("scheme") is not None:
                self.uri(k, k.get("scheme"), attr="scheme", iri=True)
            if k.get("label") is not None:
                self.plain(k, k.get("label"), rss=False, where=_path(k) + "/@label", construct=False)
        elif name == "generator":
            self.plain(k, k.text or "", rss=False, blank=True, construct=False)
            if k.get("uri") is not None:
                self.uri(k, k.get("uri"), relative_ok=True, attr="uri")
        elif name in ("icon", "logo"):
            self.uri(k, _text(k), relative_ok=True)

    def text_construct(self, k, name):
        kind = k.get("type", "text")
        if kind not in ("text", "html", "xhtml") and not MIME_RE.match(kind):
            return self.log("E", "InvalidMIMEType", _path(k) + "/@type", repr(kind))
        if kind not in ("text", "html", "xhtml") and name != "content":  # a MIME type, not allowed
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
            self.plain(name, name.text or "", rss=False, blank=True, construct=False)
            if EMAIL_IN_NAME_RE.search(name.text or ""):
                self.log("W", "ContainsEmail", name, repr(name.text))
        if email is not None and not EMAIL_RE.match(_text(email)):
            self.log("E", "InvalidAddrSpec", email, repr(email.text))
        if uri is not None:  # an IRI reference: relative is allowed
            self.uri(uri, _text(uri), relative_ok=True, iri=True)

    # ----------------------------------------------------------------- shared helpers
    def single_use(self, parent, names: str, ns: str = ""):
        for name in names.split():  # DuplicateElement
            for dup in parent.findall(ns + name)[1:]:
                self.log("E", "DuplicateElement", dup, f"more than one {name}")

    def atom_links(self, parent, atom: bool):
        """atom:link children of feed/entry/channel/item: href, self link, duplicates (Atom only)."""
        alternates = {}
        for link in parent.findall(A + "link"):
            href = link.get("href")
            if href is None:
                self.log("E", "MissingAttribute", link, "href")
                continue
            self.uri(link, href, relative_ok=True, attr="href", iri=True)
            rel = link.get("rel", "alternate")
            if rel == "alternate" and atom:  # DuplicateAtomLink: same (type, hreflang)
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

    def uri(self, el, value: str, relative_ok=False, attr=None, iri=False, error="InvalidFullLink") -> bool:
        """URI checks (relative references allowed where relative_ok, IRIs where iri); True if OK.

        As in the validator: tag: and urn: values are checked against their own grammars first
        (InvalidTAG, InvalidUUID, InvalidURN); only http and ftp URIs must name a host.
        """
        where, v = _path(el) + (f"/@{attr}" if attr else ""), value.strip()
        scheme = v.split(":")[0].lower()
        if scheme == "tag":
            if not TAG_RE.match(v):
                self.log("E", "InvalidTAG", where, repr(v))
                return False
            return True
        if scheme == "urn":
            if v.lower().startswith("urn:uuid:") and not UUID_RE.match(v):
                self.log("E", "InvalidUUID", where, repr(v))
            elif not URN_RE.match(v):
                self.log("E", "InvalidURN", where, repr(v))
            else:
                return True
            return False
        ascii_v = re.sub(r"[^\x00-\x7f]", "x", v) if iri else v
        if any(c in BAD_URI_CHARS or ord(c) < 32 for c in ascii_v):
            self.log("E", "InvalidUriChar", where, repr(v))
        elif any(ord(c) > 127 for c in ascii_v):
            self.log("E", "UriNotIri", where, repr(v))
        elif relative_ok and not SCHEME_RE.match(v):
            return True
        elif not URI_RE.match(ascii_v) or (scheme in ("http", "ftp") and not re.match(r"^\w+://[^/]", v)):
            self.log("E", error, where, repr(v))
        else:
            if scheme.isalpha() and scheme not in IANA_SCHEMES:
                self.log("W", "SchemeNotIANARegistered", where, repr(v))
            return True
        return False

    def language(self, where, v):
        if not LANG_RE.match(v):
            self.log("E", "InvalidLanguage", where, repr(v))

    def plain(self, el, v: str, rss: bool, blank=False, where=None, construct=True):
        """Plain-text values: NotBlank, ContainsHTML/ContainsUndeclaredHTML, CharacterData.

        Like the validator, at most one of: an HTML end tag; else an HTML entity or character
        reference (skipped when the element's source lines hold "&#x"); else, in RSS only,
        CharacterData for "&#" or "<" + letter (same exemption).  Atom text constructs say
        ContainsUndeclaredHTML; other Atom plain text (names, labels, generator) ContainsHTML.
        """
        where = where or _path(el)
        if blank and not v.strip():
            self.log("W", "NotBlank", where)
        cls = "ContainsHTML" if rss or not construct else "ContainsUndeclaredHTML"
        first = el.sourceline or 0
        exempt = any(n in self.hex_lines for n in range(first, first + v.count("\n") + 1))
        end_tags = [t for t in re.findall(r"</(\w+)>", v) if t.lower() in HTML_TAGS]
        entities = re.findall(r"&(#?\w+)", v)
        if end_tags:
            self.log("W", cls, where, repr(v[:60]))
        elif entities:
            if not exempt and any(e in name2codepoint or e == "apos" or not e.isalpha() for e in entities):
                self.log("W", cls, where, repr(v[:60]))
        elif rss and not exempt and re.search(r"&#[x0-9]|<[/a-zA-Z]", v):
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
            if tag not in HTML_TAGS:
                self.log("W", "NotHtml", el, f"Non-html tag <{tag}>")
                continue
            if tag in SECURITY_TAGS:
                self.log("W", "SecurityRisk", el, f"<{tag}>")
                continue
            for name, value in attrs:
                if name == "style" and not _safe_style(value or ""):
                    self.log("W", "DangerousStyleAttr", el, f"<{tag} style={value!r}>")
                elif name.startswith("on"):
                    self.log("W", "SecurityRiskAttr", el, f"<{tag} {name}>")
        if rss:
            for pattern in REL_REF_RES:
                for groups in pattern.findall(markup):
                    ref = unescape("".join(groups)).strip()
                    if not re.match(r"^\w+:", ref):
                        self.log("W", "ContainsRelRef", el, repr(ref))

    def rfc822(self, el, v):
        m = RFC822_RE.match(v)
        if not m:
            loose, previous = re.sub(r"\\.", "", v), None
            while loose != previous:  # drop (nested) comments
                loose, previous = re.sub(r"\([^(]*?\)", " ", loose), loose
            if RFC822_LOOSE_RE.match(loose.strip().lower()):
                return self.log("W", "ProblematicalRFC822Date", el, repr(v))
        try:
            dow, day, mon, year, hh, mm, ss, zone = m.groups() if m else (None,) * 8
            local = datetime(int(year), MONTHS.index(mon) + 1, int(day), int(hh), int(mm), int(ss or 0))
        except (TypeError, ValueError):
            return self.log("E", "InvalidRFC2822Date", el, repr(v))
        if dow and DAYS[local.weekday()] != dow:
            self.log("E", "IncorrectDOW", el, f"{v!r} is a {DAYS[local.weekday()]}")
        if zone[0] in "+-":
            offset = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[3:]))
        elif zone[0].isdigit():
            offset = int(zone[:2]) * 60 + int(zone[2:])
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
                    self.log("E", "InvalidPositiveInteger", _path(thumb) + f"/@{attr}", repr(size))
