"""Tests for the offline W3C-feed-validator approximation in tests/support/feedcheck.py.

Every rule gets a mutation of one of two minimal valid feeds (built here as literal XML, so
nothing depends on linkletter itself): the clean feed must produce no findings, and the mutated
copy must produce exactly the expected message classes.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from support.feedcheck import check_feed

pytestmark = pytest.mark.feedcheck

NOW = datetime(2024, 5, 13, 8, 0, tzinfo=UTC)
RSS_SELF = "https://example.com/feed.xml"
ATOM_SELF = "https://example.com/atom.xml"

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>Links</title>
<link>https://example.com/</link>
<description>Weekly links</description>
<atom:link href="https://example.com/feed.xml" rel="self" type="application/rss+xml"/>
<docs>https://www.rssboard.org/rss-specification</docs>
<language>en-us</language>
<managingEditor>ed@example.com (Ed Itor)</managingEditor>
<webMaster>web@example.com (Web Master)</webMaster>
<pubDate>Mon, 13 May 2024 07:00:00 +0000</pubDate>
<lastBuildDate>Mon, 13 May 2024 07:00:00 GMT</lastBuildDate>
<category>links</category>
<item>
<title>First</title>
<link>https://example.com/a</link>
<description>&lt;p&gt;Hi
&lt;a href="https://example.org/" title="t"&gt;there&lt;/a&gt;&lt;/p&gt;</description>
<content:encoded><![CDATA[
<p>More <img src="https://example.com/i.png" alt="x"></p>]]></content:encoded>
<author>ed@example.com (Ed Itor)</author>
<category>python</category>
<guid isPermaLink="true">https://example.com/a</guid>
<pubDate>Sun, 12 May 2024 10:00:00 +0000</pubDate>
<enclosure url="https://example.com/a.mp3" length="1234" type="audio/mpeg"/>
<media:content url="https://example.com/a.jpg" type="image/jpeg" medium="image" width="10"/>
<media:thumbnail url="https://example.com/t.jpg" width="5" height="5"/>
</item>
<item>
<title>Second</title>
<link>https://example.com/b</link>
<description>Plain</description>
<guid isPermaLink="false">tag:example.com,2024:b</guid>
<pubDate>11 May 2024 10:00 EST</pubDate>
<dc:creator>Ed</dc:creator>
<media:group>
<media:content url="https://example.com/b.mp4" medium="video"/>
<media:content url="https://example.com/b.webm" medium="video"/>
</media:group>
</item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/"
      xml:lang="en">
<id>https://example.com/</id>
<title>Links</title>
<subtitle>Weekly links</subtitle>
<updated>2024-05-13T07:00:00Z</updated>
<link href="https://example.com/" rel="alternate" type="text/html"/>
<link href="https://example.com/atom.xml" rel="self" type="application/atom+xml"/>
<generator uri="https://example.com/gen" version="1">linkletter</generator>
<category term="links" scheme="https://example.com/tags" label="Links"/>
<author><name>Ed Itor</name><email>ed@example.com</email><uri>https://example.com/ed</uri></author>
<entry>
<id>https://example.com/a</id>
<title>First</title>
<updated>2024-05-12T10:00:00Z</updated>
<published>2024-05-12T09:00:00+02:00</published>
<link href="https://example.com/a"/>
<category term="python"/>
<summary type="html">&lt;p&gt;Hello &lt;a href="/rel"&gt;x&lt;/a&gt;&lt;/p&gt;</summary>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>
</entry>
<entry>
<id>tag:example.com,2024:b</id>
<title type="text">Second</title>
<updated>2024-05-11T10:00:00.5Z</updated>
<author><name>Someone</name></author>
<link href="https://example.com/b" rel="alternate" type="text/html"/>
<summary>Plain summary</summary>
</entry>
</feed>
"""


def check(xml: str, self_url: str, now: datetime = NOW) -> list[str]:
    return check_feed(xml.encode("utf-8"), self_url, now)


def classes(findings: list[str]) -> set[str]:
    """'W DuplicateUpdated: /feed/...' -> 'DuplicateUpdated'."""
    return {f.split(":", 1)[0].split(" ", 1)[1] for f in findings}


def mutate(xml: str, old: str, new: str) -> str:
    assert xml.count(old) == 1, f"mutation anchor {old!r} must occur exactly once"
    return xml.replace(old, new)


# (old, new, expected classes) -- each mutation breaks one rule of the RSS feed.
RSS_CASES = {
    # self links
    "missing-self": (
        '<atom:link href="https://example.com/feed.xml" rel="self" type="application/rss+xml"/>',
        "",
        {"MissingAtomSelfLink"},
    ),
    "self-mismatch": (
        'href="https://example.com/feed.xml"',
        'href="https://example.com/x.xml"',
        {"SelfDoesntMatchLocation"},
    ),
    "self-relative": ('href="https://example.com/feed.xml"', 'href="/feed.xml"', {"RelativeSelf"}),
    "self-type": ('type="application/rss+xml"', 'type="text/xml"', {"SelfNotAtom"}),
    # duplicates
    "dup-guid": ("tag:example.com,2024:b", "https://example.com/a", {"DuplicateValue"}),
    "blank-guid": (">tag:example.com,2024:b<", "><", {"NotBlank"}),
    "dup-title": ("<title>Second</title>", "<title>Second</title><title>Again</title>", {"DuplicateElement"}),
    "dup-pubdate": (
        "<pubDate>11 May 2024 10:00 EST</pubDate>",
        "<pubDate>11 May 2024 10:00 EST</pubDate>" * 2,
        {"DuplicateElement"},
    ),
    "dup-item-semantics": (
        "<author>ed@example.com (Ed Itor)</author>",
        "<author>ed@example.com (Ed Itor)</author><dc:creator>Ed</dc:creator>",
        {"DuplicateItemSemantics"},
    ),
    "dup-enclosure": (
        '<media:content url="https://example.com/a.jpg"',
        '<enclosure url="https://example.com/b.mp3" length="1" type="audio/mpeg"/>'
        '<media:content url="https://example.com/a.jpg"',
        {"DuplicateEnclosure"},
    ),
    # guid
    "permalink-bool": ('isPermaLink="true"', 'isPermaLink="yes"', {"InvalidBooleanAttribute"}),
    "permalink-tag": ('isPermaLink="false">tag:', ">tag:", {"InvalidPermalink"}),
    "permalink-urn": (
        'isPermaLink="false">tag:example.com,2024:b',
        ">urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        {"InvalidPermalink"},
    ),
    "permalink-relative": ('isPermaLink="false">tag:example.com,2024:b', ">/b", {"InvalidHttpGUID"}),
    "guid-short": ("tag:example.com,2024:b", "12", {"NotSufficientlyUnique"}),
    "missing-guid": ('<guid isPermaLink="false">tag:example.com,2024:b</guid>', "", {"MissingGuid"}),
    # URIs
    "uri-space": (
        "<link>https://example.com/a</link>",
        "<link>https://example.com/a b</link>",
        {"InvalidUriChar"},
    ),
    "uri-brace": (
        "<link>https://example.com/a</link>",
        "<link>https://example.com/{a}</link>",
        {"InvalidUriChar"},
    ),
    "uri-iri": ("<link>https://example.com/a</link>", "<link>https://example.com/é</link>", {"UriNotIri"}),
    "uri-relative": ("<link>https://example.com/a</link>", "<link>/a</link>", {"InvalidFullLink"}),
    "uri-no-host": ("<link>https://example.com/</link>", "<link>http:///x</link>", {"InvalidFullLink"}),
    "uri-docs": (
        "<docs>https://www.rssboard.org/rss-specification</docs>",
        "<docs>rss</docs>",
        {"InvalidFullLink"},
    ),
    "uri-scheme": (
        "<link>https://example.com/a</link>",
        "<link>foo://example.com/a</link>",
        {"SchemeNotIANARegistered"},
    ),
    "media-url": ('url="https://example.com/a.jpg"', 'url="a.jpg"', {"InvalidFullLink"}),
    "thumb-url": ('url="https://example.com/t.jpg"', 'url="t.jpg"', {"InvalidFullLink"}),
    "atom-link-space": ("<dc:creator>", '<atom:link href="a b"/><dc:creator>', {"InvalidUriChar"}),
    # dates
    "date-format": ("Sun, 12 May 2024 10:00:00 +0000", "2024-05-12T10:00:00Z", {"InvalidRFC2822Date"}),
    "date-zone": (
        "Sun, 12 May 2024 10:00:00 +0000",
        "Sun, 12 May 2024 10:00:00 +0015",
        {"ProblematicalRFC822Date"},
    ),
    "date-garbage": (
        "Sun, 12 May 2024 10:00:00 +0000",
        "yesterday",
        {"InvalidRFC2822Date"},
    ),
    "date-day": ("Sun, 12 May 2024 10:00:00 +0000", "31 Feb 2024 10:00:00 +0000", {"InvalidRFC2822Date"}),
    "date-dow": ("Sun, 12 May 2024 10:00:00 +0000", "Mon, 12 May 2024 10:00:00 +0000", {"IncorrectDOW"}),
    "date-old": ("Sun, 12 May 2024 10:00:00 +0000", "Sat, 12 May 1984 10:00:00 +0000", {"ImplausibleDate"}),
    "date-future": ("Mon, 13 May 2024 07:00:00 GMT", "Mon, 13 May 2024 08:11:00 GMT", {"ImplausibleDate"}),
    # plain text
    "title-html": (
        "<title>First</title>",
        "<title>&lt;b&gt;First&lt;/b&gt;</title>",
        {"ContainsHTML"},
    ),
    "title-entity": ("<title>First</title>", "<title>Fish &amp;amp; chips</title>", {"ContainsHTML"}),
    "title-charref": (
        "<title>First</title>",
        "<title>It&amp;#39;s</title>",
        {"ContainsHTML"},
    ),
    "title-lt": ("<title>First</title>", "<title>a &lt;b</title>", {"CharacterData"}),
    "title-endtag-space": ("<title>First</title>", "<title>a &lt;/b &gt;</title>", {"CharacterData"}),
    "title-word-ref": ("<title>First</title>", "<title>a &amp;x1 b</title>", {"ContainsHTML"}),
    "category-html": (
        "<category>python</category>",
        "<category>py&lt;/i&gt;</category>",
        {"ContainsHTML"},
    ),
    "channel-desc-html": (
        "<description>Weekly links</description>",
        "<description>&lt;p&gt;Weekly&lt;/p&gt;</description>",
        {"ContainsHTML"},
    ),
    "empty-title": ("<title>Second</title>", "<title></title>", {"NotBlank"}),
    "empty-channel-title": ("<title>Links</title>", "<title> </title>", {"NotBlank"}),
    "bad-chars": ("<title>Second</title>", "<title>Second\u0093</title>", {"BadCharacters"}),
    "bad-chars-attr": ('type="audio/mpeg"', 'type="audio/mpeg\ufffd"', {"BadCharacters"}),
    # HTML
    "html-invalid": ("&lt;/a&gt;&lt;/p&gt;", "&lt;/b&gt;&lt;/p&gt;", {"NotHtml"}),
    "html-unknown-tag": ("<p>More ", "<p>More <blink>x</blink> ", {"NotHtml"}),
    "html-script": ("<p>More ", "<script>alert(1)</script><p>More ", {"SecurityRisk"}),
    "html-iframe": ("<p>More ", '<iframe src="https://e.example/"></iframe><p>More ', {"SecurityRisk"}),
    "html-onclick": ('alt="x"', 'alt="x" onclick="go()"', {"SecurityRiskAttr"}),
    "html-style": ('alt="x"', 'alt="x" style="position:absolute"', {"DangerousStyleAttr"}),
    "html-style-value": ('alt="x"', 'alt="x" style="margin: url(x)"', {"DangerousStyleAttr"}),
    "html-search-tag": ("<p>More ", "<search>x</search><p>More ", {"NotHtml"}),
    "html-relref-a": ('href="https://example.org/"', 'href="/local"', {"ContainsRelRef"}),
    "html-relref-img": ('src="https://example.com/i.png"', 'src="i.png"', {"ContainsRelRef"}),
    "content-before-desc": (
        "<description>Plain</description>",
        "<content:encoded>x</content:encoded><description>Plain</description>",
        {"NeedDescriptionBeforeContent"},
    ),
    "content-without-desc": (
        "<description>Plain</description>",
        "<content:encoded>x</content:encoded>",
        {"NeedDescriptionBeforeContent"},
    ),
    # structure
    "missing-channel-title": ("<title>Links</title>", "", {"MissingTitle"}),
    "missing-channel-link": ("<link>https://example.com/</link>", "", {"MissingLink"}),
    "missing-channel-desc": ("<description>Weekly links</description>", "", {"MissingDescription"}),
    "item-no-title-desc": (
        "<title>Second</title>\n<link>https://example.com/b</link>\n<description>Plain</description>",
        "<link>https://example.com/b</link>",
        {"ItemMustContainTitleOrDescription"},
    ),
    "misplaced-item": ("</item>\n</channel>", "</item>\n<ttl>60</ttl>\n</channel>", {"MisplacedItem"}),
    "contact-no-name": (
        "ed@example.com (Ed Itor)</managingEditor>",
        "ed@example.com</managingEditor>",
        {"MissingRealName"},
    ),
    "contact-format": ("web@example.com (Web Master)", "Web Master &lt;web@example.com&gt;", {"EmailFormat"}),
    "contact-no-email": (
        "<author>ed@example.com (Ed Itor)</author>",
        "<author>Ed Itor</author>",
        {"InvalidContact"},
    ),
    "language": ("<language>en-us</language>", "<language>english</language>", {"InvalidLanguage"}),
    "xml-lang": ("<title>First</title>", '<title xml:lang="en_US">First</title>', {"InvalidLanguage"}),
    # Media RSS and enclosures
    "media-ns": (
        'xmlns:media="http://search.yahoo.com/mrss/"',
        'xmlns:media="http://search.yahoo.com/mrss"',
        {"MediaRssNamespace"},
    ),
    "media-group": (
        '<media:content url="https://example.com/b.webm" medium="video"/>',
        "",
        {"MediaGroupWithoutAlternatives"},
    ),
    "media-attr": ('medium="image"', 'medium="image" foo="1"', {"UnexpectedAttribute"}),
    "media-medium": ('medium="image"', 'medium="picture"', {"InvalidMediaMedium"}),
    "thumb-missing-url": (
        '<media:thumbnail url="https://example.com/t.jpg"',
        "<media:thumbnail",
        {"MissingAttribute"},
    ),
    "thumb-width": ('width="5"', 'width="0"', {"InvalidPositiveInteger"}),
    "thumb-attr": ('height="5"', 'height="5" alt="x"', {"UnexpectedAttribute"}),
    "enclosure-length": ('length="1234" ', "", {"MissingAttribute"}),
    "enclosure-length-int": ('length="1234"', 'length="12.5"', {"InvalidIntegerAttribute"}),
    "enclosure-length-unknown": ('length="1234"', 'length="-1"', {"UseZeroForUnknown"}),
    "enclosure-length-negative": ('length="1234"', 'length="-2"', {"InvalidNonNegativeInteger"}),
    "enclosure-type": (' type="audio/mpeg"', "", {"MissingAttribute"}),
    "enclosure-url": (
        'url="https://example.com/a.mp3"',
        'url="https://localhost/a.mp3"',
        {"InvalidURLAttribute"},
    ),
    # namespaces and vocabulary
    "unknown-ns": (
        "<dc:creator>Ed</dc:creator>",
        '<x:y xmlns:x="http://example.com/ns">1</x:y>',
        {"UnknownNamespace"},
    ),
    "unused-ns": (
        'xmlns:media="http://search.yahoo.com/mrss/"',
        'xmlns:media="http://search.yahoo.com/mrss/" xmlns:x="http://unused.example/"',
        {"UnknownNamespace"},
    ),
    "undefined-element": ("<dc:creator>Ed</dc:creator>", "<creator>Ed</creator>", {"UndefinedElement"}),
    "undefined-channel-element": ("<docs>", "<updated>x</updated><docs>", {"UndefinedElement"}),
    "not-well-formed": ("<title>First</title>", "<title>First &nbsp;</title>", {"SAXError"}),
}

ATOM_CASES = {
    # self links
    "missing-self": (
        '<link href="https://example.com/atom.xml" rel="self" type="application/atom+xml"/>',
        "",
        {"MissingSelf"},
    ),
    "self-mismatch": (
        'href="https://example.com/atom.xml"',
        'href="http://example.com/atom.xml"',
        {"SelfDoesntMatchLocation"},
    ),
    "self-relative": ('href="https://example.com/atom.xml"', 'href="atom.xml"', {"RelativeSelf"}),
    "self-type": ('type="application/atom+xml"', 'type="application/xml"', {"SelfNotAtom"}),
    # duplicates
    "dup-updated": ("2024-05-11T10:00:00.5Z", "2024-05-12T10:00:00Z", {"DuplicateUpdated"}),
    "dup-id": ("<id>tag:example.com,2024:b</id>", "<id>https://example.com/a</id>", {"DuplicateEntries"}),
    "dup-entry-title": (
        "<title>First</title>",
        "<title>First</title><title>1st</title>",
        {"DuplicateElement"},
    ),
    "dup-entry-summary": (
        "<summary>Plain summary</summary>",
        "<summary>Plain summary</summary><summary>again</summary>",
        {"DuplicateElement"},
    ),
    "dup-feed-alt-link": (
        '<link href="https://example.com/" rel="alternate" type="text/html"/>',
        '<link href="https://example.com/" rel="alternate" type="text/html"/>'
        '<link href="https://example.com/2" type="text/html"/>',
        {"DuplicateAtomLink"},
    ),
    "dup-entry-alt-link": (
        '<link href="https://example.com/a"/>',
        '<link href="https://example.com/a"/><link href="https://e.example/"/>',
        {"DuplicateAtomLink"},
    ),
    # URIs and ids
    "id-relative": ("<id>https://example.com/a</id>", "<id>/a</id>", {"InvalidFullLink"}),
    "id-space": ("<id>https://example.com/a</id>", "<id>https://example.com/a b</id>", {"InvalidUriChar"}),
    "id-whitespace": (
        "<id>https://example.com/a</id>",
        "<id> https://example.com/a\n</id>",
        {"UnexpectedWhitespace"},
    ),
    "id-upper-host": (
        "<id>https://example.com/a</id>",
        "<id>https://Example.com/a</id>",
        {"NonCanonicalURI"},
    ),
    "id-upper-scheme": (
        "<id>https://example.com/a</id>",
        "<id>HTTPS://example.com/a</id>",
        {"NonCanonicalURI"},
    ),
    "id-port": ("<id>https://example.com/a</id>", "<id>https://example.com:443/a</id>", {"NonCanonicalURI"}),
    "id-empty-path": ("<id>https://example.com/</id>", "<id>https://example.com</id>", {"NonCanonicalURI"}),
    "id-lower-escape": (
        "<id>https://example.com/a</id>",
        "<id>https://example.com/%c3%a9</id>",
        {"NonCanonicalURI"},
    ),
    "id-unreserved-escape": (
        "<id>https://example.com/a</id>",
        "<id>https://example.com/%7Ea</id>",
        {"NonCanonicalURI"},
    ),
    "id-scheme": (
        "<id>tag:example.com,2024:b</id>",
        "<id>foo:example.com,2024:b</id>",
        {"SchemeNotIANARegistered"},
    ),
    "id-bad-uuid": (
        "<id>https://example.com/a</id>",
        "<id>urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3</id>",
        {"InvalidUUID"},
    ),
    "id-bad-urn": ("<id>https://example.com/a</id>", "<id>urn:x</id>", {"InvalidURN"}),
    "id-bad-tag": ("<id>tag:example.com,2024:b</id>", "<id>tag:example.com:b</id>", {"InvalidTAG"}),
    "category-scheme": ('scheme="https://example.com/tags"', 'scheme="tags"', {"InvalidFullLink"}),
    "id-nonascii": ("<id>https://example.com/a</id>", "<id>https://example.com/ü</id>", {"UriNotIri"}),
    # dates
    "updated-format": ("2024-05-12T10:00:00Z", "2024-05-12 10:00:00Z", {"InvalidRFC3339Date"}),
    "updated-no-zone": ("2024-05-12T10:00:00Z", "2024-05-12T10:00:00", {"InvalidRFC3339Date"}),
    "updated-not-real": ("2024-05-12T10:00:00Z", "2024-02-30T10:00:00Z", {"InvalidRFC3339Date"}),
    "published-whitespace": (
        "<published>2024-05-12T09:00:00+02:00</published>",
        "<published>\n2024-05-12T09:00:00+02:00</published>",
        {"UnexpectedWhitespace"},
    ),
    "updated-old": ("2024-05-12T10:00:00Z", "1989-12-31T10:00:00Z", {"ImplausibleDate"}),
    "updated-future": ("2024-05-12T10:00:00Z", "2024-05-14T09:00:00Z", {"ImplausibleDate"}),
    # plain text
    "title-html": (
        "<title>First</title>",
        "<title>&lt;b&gt;First&lt;/b&gt;</title>",
        {"ContainsUndeclaredHTML"},
    ),
    "summary-entity": (
        "<summary>Plain summary</summary>",
        "<summary>a &amp;amp; b</summary>",
        {"ContainsUndeclaredHTML"},
    ),
    # names, labels and the generator are not text constructs: plain ContainsHTML
    "label-html": ('label="Links"', 'label="&lt;/i&gt;"', {"ContainsHTML"}),
    "generator-html": (">linkletter<", ">&amp;#169; linkletter<", {"ContainsHTML"}),
    "name-html": ("<name>Someone</name>", "<name>&amp;eacute;</name>", {"ContainsHTML"}),
    "empty-title": ('<title type="text">Second</title>', '<title type="text"></title>', {"NotBlank"}),
    "empty-html-summary": (
        '<summary type="html">&lt;p&gt;Hello &lt;a href="/rel"&gt;x&lt;/a&gt;&lt;/p&gt;</summary>',
        '<summary type="html"></summary>',
        {"NotBlank"},
    ),
    "empty-name": ("<name>Someone</name>", "<name/>", {"NotBlank"}),
    "empty-generator": (">linkletter</generator>", "></generator>", {"NotBlank"}),
    "name-email": ("<name>Someone</name>", "<name>Someone &lt;s@example.com&gt;</name>", {"ContainsEmail"}),
    "bad-chars": (
        "<subtitle>Weekly links</subtitle>",
        "<subtitle>Weekly\u0085</subtitle>",
        {"BadCharacters"},
    ),
    # HTML
    "html-invalid": ("&lt;/a&gt;&lt;/p&gt;", "&lt;/p&gt;", {"NotHtml"}),
    "html-object": ("&lt;p&gt;Hello", "&lt;object&gt;&lt;/object&gt;&lt;p&gt;Hello", {"SecurityRisk"}),
    "html-attr": ('&lt;a href="/rel"&gt;', '&lt;a href="/rel" onmouseover="x()"&gt;', {"SecurityRiskAttr"}),
    "html-style": ('&lt;a href="/rel"&gt;', '&lt;a href="/rel" style="x"&gt;', {"DangerousStyleAttr"}),
    # structure
    "missing-feed-id": ("<id>https://example.com/</id>", "", {"MissingElement"}),
    "missing-feed-updated": ("<updated>2024-05-13T07:00:00Z</updated>", "", {"MissingElement"}),
    "missing-entry-title": ("<title>First</title>", "", {"MissingElement"}),
    "missing-entry-id": ("<id>https://example.com/a</id>", "", {"MissingElement"}),
    "missing-author": (
        "<author><name>Ed Itor</name><email>ed@example.com</email><uri>https://example.com/ed</uri></author>",
        "",
        {"MissingElement"},
    ),
    "author-without-name": ("<author><name>Someone</name></author>", "<author/>", {"MissingElement"}),
    "no-textual-content": ("<summary>Plain summary</summary>", "", {"MissingTextualContent"}),
    "no-content-or-alternate": (
        '<link href="https://example.com/b" rel="alternate" type="text/html"/>',
        "",
        {"MissingContentOrAlternate"},
    ),
    "bad-email": ("<email>ed@example.com</email>", "<email>ed at example.com</email>", {"InvalidAddrSpec"}),
    "category-no-term": ('<category term="python"/>', "<category/>", {"MissingAttribute"}),
    "category-empty-term": ('<category term="python"/>', '<category term=""/>', {"NotBlank"}),
    "misplaced-metadata": (
        "</entry>\n</feed>",
        "</entry>\n<rights>r</rights>\n</feed>",
        {"MisplacedMetadata"},
    ),
    "atom-prefix": (
        'xmlns:media="http://search.yahoo.com/mrss/"',
        'xmlns:atom="http://www.w3.org/2005/Atom"',
        {"AvoidNamespacePrefix"},
    ),
    "text-type": ('<title type="text">', '<title type="plain">', {"InvalidMIMEType"}),
    "text-mime-type": ('<title type="text">', '<title type="text/plain">', {"InvalidTextType"}),
    "content-type": (
        '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>',
        '<content type="markdown">x</content>',
        {"InvalidMIMEType"},
    ),
    "undefined-element": (
        "<summary>Plain summary</summary>",
        "<summary>Plain summary</summary><description>x</description>",
        {"UndefinedElement"},
    ),
    "unknown-ns": (
        "<summary>Plain summary</summary>",
        '<summary>Plain summary</summary><x:y xmlns:x="urn:example:x">1</x:y>',
        {"UnknownNamespace"},
    ),
    "media-group": (
        "<summary>Plain summary</summary>",
        "<summary>Plain summary</summary><media:group/>",
        {"MediaGroupWithoutAlternatives"},
    ),
    "bad-lang": ('xml:lang="en"', 'xml:lang="e"', {"InvalidLanguage"}),
}

VALID_VARIANTS = {  # mutations that must stay clean (guards against over-eager rules)
    "rss": [
        ("Mon, 13 May 2024 07:00:00 GMT", "13 May 2024 07:00 Z"),
        ("<title>First</title>", "<title>Q&amp;A: R&amp;D 5 &lt; 6</title>"),
        ("<title>Second</title>", ""),
        # RSS items may repeat alternate atom:links (DuplicateAtomLink is Atom-only)
        (
            "<dc:creator>",
            '<atom:link href="https://a.example/"/><atom:link href="https://b.example/" rel="alternate"/>'
            "<dc:creator>",
        ),
        # a permalink need only be a full URI; only tag: and urn:uuid: are refused
        ('isPermaLink="false">tag:example.com,2024:b', ">mailto:a@example.com"),
        ("<link>https://example.com/a</link>", "<link>https:///x</link>"),  # host: http/ftp only
        ('alt="x"', 'alt="x" class="c" data-x="1"'),  # only on* and style attributes are checked
        ('alt="x"', 'alt="x" style="color: red; margin: 0 auto"'),  # safe CSS
        ('href="https://example.org/" title="t"', 'title="t" href="/x"'),  # href not first: unseen
    ],
    "atom": [
        ('href="https://example.com/atom.xml"', 'href="HTTPS://Example.COM:443/atom.xml"'),
        ("2024-05-12T10:00:00Z", "2024-05-13T10:00:00-05:00"),
        ("<id>https://example.com/a</id>", "<id>urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427</id>"),
        ("<id>tag:example.com,2024:b</id>", "<id>x-foo:example.com,2024:b</id>"),  # non-alpha scheme
        ('<link href="https://example.com/a"/>', '<link href="/ü"/>'),  # link hrefs are IRIs
        ('<category term="python"/>', '<category term=" "/>'),  # a blank (not empty) term passes
        ("<id>https://example.com/a</id>", "<id>https://example.com/%C3%A9?q=%2F</id>"),
        (
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi</p></div></content>',
            '<content type="text/plain">x</content>',
        ),
        ("<title>First</title>", "<title>AT&amp;T &amp; Q&amp;A</title>"),
    ],
}


def test_clean_feeds_have_no_findings():
    assert check(RSS, RSS_SELF) == []
    assert check(ATOM, ATOM_SELF) == []


@pytest.mark.parametrize("feed", ["rss", "atom"])
def test_valid_variants_stay_clean(feed):
    base, url = (RSS, RSS_SELF) if feed == "rss" else (ATOM, ATOM_SELF)
    for old, new in VALID_VARIANTS[feed]:
        assert check(mutate(base, old, new), url) == [], (old, new)


@pytest.mark.parametrize("name", list(RSS_CASES))
def test_rss_rule(name):
    old, new, expected = RSS_CASES[name]
    found = check(mutate(RSS, old, new), RSS_SELF)
    assert classes(found) == expected, found


@pytest.mark.parametrize("name", list(ATOM_CASES))
def test_atom_rule(name):
    old, new, expected = ATOM_CASES[name]
    found = check(mutate(ATOM, old, new), ATOM_SELF)
    assert classes(found) == expected, found


def test_finding_format_names_both_entries():
    xml = mutate(ATOM, "2024-05-11T10:00:00.5Z", "2024-05-12T10:00:00Z")
    assert check(xml, ATOM_SELF) == [
        "W DuplicateUpdated: /feed/entry[2]/updated '2024-05-12T10:00:00Z' repeats entry[1]"
    ]


def test_self_link_after_first_entry():
    link = '<link href="https://example.com/atom.xml" rel="self" type="application/atom+xml"/>'
    xml = mutate(mutate(ATOM, link, ""), "</entry>\n</feed>", f"</entry>\n{link}\n</feed>")
    assert classes(check(xml, ATOM_SELF)) == {"MissingSelf", "MisplacedMetadata"}


def test_rss_self_link_after_items_is_misplaced():
    link = '<atom:link href="https://example.com/feed.xml" rel="self" type="application/rss+xml"/>'
    xml = mutate(mutate(RSS, link, ""), "</item>\n</channel>", f"</item>\n{link}\n</channel>")
    assert classes(check(xml, RSS_SELF)) == {"MisplacedItem"}


def test_feed_author_after_entries_does_not_count():
    author = (
        "<author><name>Ed Itor</name><email>ed@example.com</email><uri>https://example.com/ed</uri></author>"
    )
    xml = mutate(mutate(ATOM, author, ""), "</entry>\n</feed>", f"</entry>\n{author}\n</feed>")
    found = check(xml, ATOM_SELF)
    assert classes(found) == {"MissingElement", "MisplacedMetadata"}
    assert any("entry[1] author" in f for f in found), found


def test_naive_now_is_utc_and_levels_are_prefixed():
    found = check(
        mutate(RSS, "<language>en-us</language>", "<language>x</language>"),
        RSS_SELF,
        now=NOW.replace(tzinfo=None),
    )
    assert found == ["E InvalidLanguage: /rss/channel/language 'x'"]


def test_unknown_root_and_rss_without_channel():
    assert classes(check("<html/>", RSS_SELF)) == {"UndefinedElement"}
    assert classes(check('<rss version="2.0"/>', RSS_SELF)) == {"MissingElement"}
