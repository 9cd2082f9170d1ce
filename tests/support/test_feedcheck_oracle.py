"""feedcheck.py against the real W3C Feed Validation Service.

tests/support/oracle/verdicts.json holds the validator's recorded verdict on every feed under
tests/support/oracle/feeds/ (linkletter's golden feeds, a sample of the example corpus's feeds,
and the mutation cases of test_feedcheck.py).  It was recorded offline by
tools/record_w3c_verdicts.py from a local copy of w3c/feedvalidator; see oracle/README.md.
Here check_feed must report exactly the same (message class, level) pairs.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from support.feedcheck import check_feed

pytestmark = pytest.mark.feedcheck

ORACLE = Path(__file__).parent / "oracle"
RECORD = json.loads((ORACLE / "verdicts.json").read_text(encoding="utf-8"))
VERDICTS = RECORD["feeds"]
LEVEL = {"E": "error", "W": "warning"}

# Messages the validator reports that feedcheck deliberately does not model, each with why.
# Keep this short: a class belongs here only if it cannot occur in linkletter's output.
# (Empty at the time of recording: every message the validator gave on the oracle feeds is
# modelled.)
NOT_MODELLED: dict[str, str] = {}


def checker_verdict(rel: str) -> set[tuple[str, str]]:
    entry = VERDICTS[rel]
    now = datetime.fromisoformat(entry["now"].replace("Z", "+00:00"))
    found = check_feed((ORACLE / rel).read_bytes(), entry["self_url"], now)
    return {(f.split(":", 1)[0].split(" ", 1)[1], LEVEL[f[0]]) for f in found}


def validator_verdict(rel: str) -> set[tuple[str, str]]:
    return {(cls, level) for cls, level in VERDICTS[rel]["messages"] if cls not in NOT_MODELLED}


@pytest.mark.parametrize("rel", sorted(VERDICTS))
def test_checker_agrees_with_the_w3c_validator(rel):
    assert checker_verdict(rel) == validator_verdict(rel), VERDICTS[rel]["first_lines"]


def test_every_oracle_feed_is_recorded():
    on_disk = {p.relative_to(ORACLE).as_posix() for p in (ORACLE / "feeds").rglob("*.xml")}
    assert on_disk == set(VERDICTS)


def test_the_oracle_judges_clean_and_broken_feeds():
    """The comparison must be able to fail: plenty of recorded verdicts are not clean, and the
    product's own feeds (golden and corpus) are among the clean ones."""
    flagged = {rel for rel, v in VERDICTS.items() if v["messages"]}
    levels = {level for v in VERDICTS.values() for _, level in v["messages"]}
    assert len(flagged) >= 100 and levels == {"error", "warning"}
    assert {rel for rel in VERDICTS if "/golden/" in rel} and {rel for rel in VERDICTS if "/corpus/" in rel}
    assert RECORD["validator_commit"] and len(RECORD["validator_commit"]) == 40


def test_a_mutation_changes_the_checker_verdict():
    """Breaking a recorded clean feed makes check_feed disagree with its recorded verdict."""
    rel = "feeds/golden/feeds__python.atom.xml"
    assert VERDICTS[rel]["messages"] == [] and checker_verdict(rel) == set()
    data = (ORACLE / rel).read_bytes()
    broken = data.replace(
        b"<updated>2024-05-07T08:00:00.376943+00:00</updated>", b"<updated>2024-05-07</updated>", 1
    )
    assert broken != data
    found = check_feed(broken, VERDICTS[rel]["self_url"], datetime.fromisoformat("2024-05-13T08:00:00+00:00"))
    assert [f.split(":")[0] for f in found] == ["E InvalidRFC3339Date"]


def test_not_modelled_classes_are_explained_and_still_reported():
    for cls, why in NOT_MODELLED.items():
        assert why.strip(), cls
        assert any(cls == c for v in VERDICTS.values() for c, _ in v["messages"]), f"{cls} no longer needed"
