"""Record the W3C Feed Validation Service's verdicts on the oracle feeds.

    python tools/record_w3c_verdicts.py PATH/TO/feedvalidator [--commit SHA] [--write-mutations]

PATH/TO/feedvalidator is a local copy of https://github.com/w3c/feedvalidator (its ``src/``
holds the ``feedvalidator`` package; it runs unpatched on Python 3.11 with lxml and html5lib).
Nothing of it is copied into this repository: this script only imports it.

Every ``*.xml`` under tests/support/oracle/feeds/ is validated the way the hosted service
validates a feed fetched from its own URL: ``validateStream`` with ``firstOccurrenceOnly=1``
and ``base`` = the feed's self URL (so SelfDoesntMatchLocation does not fire), the clock frozen
at NOW (the validator reads ``time.time()`` for ImplausibleDate), and the service's "AA"
filter: Error subclasses are recorded as level "error", Warning subclasses as "warning",
Info and the Valid* success events are dropped.  HTTP-level checks (content type,
compression, redirects) are out of scope: there is no HTTP response here.

--write-mutations first (re)writes feeds/mutations/ from the mutation cases in
tests/support/test_feedcheck.py (the minimal feeds, each rule's mutation, the valid variants).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
ORACLE = REPO / "tests" / "support" / "oracle"
FEEDS = ORACLE / "feeds"
NOW = datetime(2024, 5, 13, 8, 0, tzinfo=UTC)  # the tests' FIXED_NOW
SELF_RE = re.compile(rb"""<(?:atom:)?link\s[^>]*?href=["']([^"']+)["'][^>]*?rel=["']self["']""")


def write_mutations() -> None:
    sys.path.insert(0, str(REPO / "tests"))
    from support import test_feedcheck as t

    out = FEEDS / "mutations"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.xml"):
        old.unlink()
    feeds = {"rss": t.RSS, "atom": t.ATOM}
    docs = {"rss-clean": t.RSS, "atom-clean": t.ATOM}
    for kind, cases in (("rss", t.RSS_CASES), ("atom", t.ATOM_CASES)):
        for name, (old, new, _expected) in cases.items():
            docs[f"{kind}-{name}"] = t.mutate(feeds[kind], old, new)
        for i, (old, new) in enumerate(t.VALID_VARIANTS[kind], 1):
            docs[f"{kind}-valid-variant-{i}"] = t.mutate(feeds[kind], old, new)
    for name, xml in docs.items():
        (out / f"{name}.xml").write_bytes(xml.encode("utf-8"))


def self_url(path: Path, data: bytes) -> str:
    """Mutations are judged at the minimal feeds' URLs; everything else at its own self link."""
    if path.parent.name == "mutations":
        sys.path.insert(0, str(REPO / "tests"))
        from support import test_feedcheck as t

        return t.RSS_SELF if path.name.startswith("rss-") else t.ATOM_SELF
    m = SELF_RE.search(data)
    if not m:
        raise SystemExit(f"{path}: no self link to take the URL from")
    return m.group(1).decode("utf-8")


def validator_commit(checkout: Path, given: str | None) -> str:
    if given:
        return given
    try:
        return subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("not a git checkout: say which validator commit it is with --commit") from None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("feedvalidator", type=Path, help="local checkout of w3c/feedvalidator")
    ap.add_argument("--commit", help="the checkout's commit, when it is not a git working tree")
    ap.add_argument("--write-mutations", action="store_true", help="rewrite feeds/mutations/ first")
    args = ap.parse_args()

    sys.path.insert(0, str(args.feedvalidator.resolve() / "src"))
    import feedvalidator
    from feedvalidator.logging import Error, Warning  # noqa: A004 (the validator's names)

    if args.write_mutations:
        write_mutations()
    verdicts = {}
    for path in sorted(FEEDS.rglob("*.xml")):
        data = path.read_bytes()
        url = self_url(path, data)
        with mock.patch("time.time", return_value=NOW.timestamp()):
            events = feedvalidator.validateStream(io.BytesIO(data), firstOccurrenceOnly=1, base=url)
        reported = [
            (type(e).__name__, "error" if isinstance(e, Error) else "warning", e.params.get("line"))
            for e in events["loggedEvents"]
            if isinstance(e, Error | Warning)
        ]
        verdicts[path.relative_to(ORACLE).as_posix()] = {
            "self_url": url,
            "now": NOW.isoformat().replace("+00:00", "Z"),
            "messages": [list(m) for m in sorted({(c, lvl) for c, lvl, _ in reported})],
            "first_lines": sorted({f"{c} {lvl} line {line}" for c, lvl, line in reported}),
        }
    record = {
        "validator": "https://github.com/w3c/feedvalidator",
        "validator_commit": validator_commit(args.feedvalidator, args.commit),
        "recorded_with": "tools/record_w3c_verdicts.py",
        "levels": "validator Error subclasses -> error, Warning subclasses -> warning; Info/Valid* dropped",
        "feeds": verdicts,
    }
    (ORACLE / "verdicts.json").write_text(
        json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    flagged = sum(1 for v in verdicts.values() if v["messages"])
    print(f"{len(verdicts)} feeds judged, {flagged} with warnings or errors -> {ORACLE / 'verdicts.json'}")


if __name__ == "__main__":
    main()
