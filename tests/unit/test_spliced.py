"""Cutting a feedgen feed into its entries refuses a document it cannot cut for sure (the feeds
with such a bookmark are then rendered whole); the rest is compared with feedgen's own bytes by
test_properties.py's spliced-feed property and the serial/parallel build test."""

from linkletter.publish.spliced import ATOM_END, ATOM_START, RSS_END, RSS_START, _cut

RSS = (
    b"<rss>\n  <channel>\n    <title>t</title>\n    <item>\n      <a/>\n    </item>\n    <item>\n      <b/>\n    </item>\n"
    + RSS_END
)


def test_a_feed_is_cut_at_its_entries_starts():
    assert _cut(RSS, RSS_START, RSS_END, 2) == [
        b"    <item>\n      <a/>\n    </item>\n",
        b"    <item>\n      <b/>\n    </item>\n",
    ]


def test_a_count_of_starts_other_than_the_entries_is_refused():
    assert _cut(RSS, RSS_START, RSS_END, 1) is None
    assert _cut(RSS, RSS_START, RSS_END, 3) is None


def test_a_document_without_the_expected_end_is_refused():
    assert _cut(RSS[:-1], RSS_START, RSS_END, 2) is None
    assert _cut(RSS, ATOM_START, ATOM_END, 0) is None
