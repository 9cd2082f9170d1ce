"""Write a deterministic corpus of bookmark files in the seed format (content/dropmark/*.md), a
linkletter project around it, and a Hugo site that builds the same files.

    python benchmarks/make_corpus.py --count N [--shape zipf|tags] [--seed S] OUT_DIR

The same (N, shape, seed) always gives the same bytes. OUT_DIR gets:

    content/YYYY/SLUG-NNNNNN.md   the bookmarks (YAML front matter + Markdown body)
    linkletter.yaml               category_feeds true, feed_limit 50, a digest for 2024-05-13
    templates/                    a copy of this checkout's templates/
    recipients.txt                three addresses (the benchmark writes its own for `send`)
    hugo/config.toml              a copy of benchmarks/hugo/config.toml (contentDir = "../content")
    bench-manifest.json           what the benchmark needs: the newest files, the busiest category

Shapes:
- zipf: ~30 categories whose use follows a Zipf law (1-3 per bookmark), like a curated collection.
- tags: a real export's tag cloud: as many distinct tags as 4,560 / 6,682 of the bookmarks (so
  `--count 6682` gives 4,560), a long tail with many one-bookmark tags, 1-8 tags per bookmark; ~30
  links with spaces in a utm_campaign value (linkletter rejects those) and featured images on 513 of
  6,682, 469 of them signed Dropmark URLs that expired (scaled with --count).

Every corpus has 60 bookmarks in the week before Monday 2024-05-13 09:00 UTC (the digest's issue),
and nothing after 2024-05-13T07:00Z, so `build --now 2024-05-13T08:00:00Z` sees all of them.
Only the standard library is used (no linkletter import).
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import re
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

WEEK_START = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)  # the digest issue of 2024-05-13 09:00 UTC
WEEK_END = datetime(2024, 5, 13, 7, 0, tzinfo=UTC)
OLDEST = datetime(2012, 1, 1, tzinfo=UTC)
DIGEST_LINKS = 60

WORDS = (
    "linux kernel python rust async database postgres index cache latency network tls dns http "
    "browser privacy security container kubernetes docker deploy cloud storage backup terminal shell "
    "editor vim emacs git review testing fuzzing compiler parser memory garbage collector thread "
    "scheduler queue stream event log metrics tracing health hospital patient genome clinic design "
    "typography colour layout accessibility email newsletter feed reader bookmark archive search "
    "ranking model learning neural vector embedding graph map routing energy battery solar climate "
    "history economics policy law open source licence community hiring remote team management"
).split()
UNICODE_WORDS = (
    "Blåbærgrød på Østerbro|Københavns Universitet|naïve café|Zürich|São Paulo|Ελληνικά|Кириллица|"
    "日本語の記事|中文技术博客|한국어|עברית|العربية|emoji 🚀|✨ new|Straße|façade|smörgåsbord|½ price|"
    "— an essay|“quoted”|‘single’|…and more"
).split("|")
ENTITIES = ["&amp;", "&quot;", "&#8217;", "&lt;b&gt;", "&copy;", "&nbsp;", "&#x1F600;", "&eacute;", "&mdash;"]
TLDS = ["com", "org", "net", "io", "dev", "dk", "de", "co.uk", "blog", "app"]
ZIPF_CATEGORIES = [
    "programming",
    "linux",
    "python",
    "security",
    "healthcare it",
    "web development",
    "devops",
    "databases",
    "machine learning",
    "privacy",
    "design",
    "networking",
    "rust",
    "javascript",
    "cloud",
    "productivity",
    "open source",
    "career",
    "data science",
    "email",
    "c++",
    "C#",
    "go",
    "kubernetes",
    "accessibility",
    "typography",
    "economics",
    "science",
    "hardware",
    "café culture",
]


def zipf_weights(n: int, s: float) -> list[float]:
    """Cumulative weights of ranks 1..n under a Zipf law with exponent s."""
    return list(itertools.accumulate(1 / (rank**s) for rank in range(1, n + 1)))


def pick(rng: random.Random, cumulative: list[float]) -> int:
    return bisect.bisect_left(cumulative, rng.random() * cumulative[-1])


def sentence(rng: random.Random, words: int, fancy: float = 0.15) -> str:
    out = []
    for _ in range(words):
        roll = rng.random()
        if roll < fancy / 3:
            out.append(rng.choice(UNICODE_WORDS))
        elif roll < fancy / 2:
            out.append(rng.choice(ENTITIES))
        else:
            out.append(rng.choice(WORDS))
    text = " ".join(out)
    return text[0].upper() + text[1:]


_PLAIN = re.compile(r"^[A-Za-z0-9\u00c0-\U0010ffff][^\n\t]*$")
_RESOLVES = re.compile(r"^(y|yes|n|no|true|false|on|off|null|~|[-+.\d_:eE]+)$", re.IGNORECASE)


def scalar(value: str) -> str:
    """A YAML scalar: plain where that reads back as the same string, else a JSON string (a valid
    YAML double-quoted scalar)."""
    if (
        _PLAIN.match(value)
        and not _RESOLVES.match(value)
        and not value.endswith(":")
        and ": " not in value
        and " #" not in value
        and value == value.strip()
        and "  " not in value
    ):
        return value
    return json.dumps(value, ensure_ascii=False)


def folded(key: str, value: str, width: int = 80) -> str:
    """key: value, a long plain scalar folded over indented lines as the seed files are."""
    text = scalar(value)
    if text.startswith('"') or len(text) + len(key) + 2 <= width:
        return f"{key}: {text}"
    lines, line = [], f"{key}:"
    for word in text.split(" "):
        if len(line) + 1 + len(word) > width and line.strip() and not line.endswith(":"):
            lines.append(line)
            line = "  " + word
        else:
            line = f"{line} {word}"
    lines.append(line)
    return "\n".join(lines)


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].strip("-") or "bookmark"


def body(rng: random.Random, link: str) -> str:
    """A Markdown body: nothing, one paragraph, or notes with lists, quotes, links and code."""
    roll = rng.random()
    if roll < 0.3:
        return ""
    parts = [sentence(rng, rng.randint(20, 90), 0.12) + "."]
    if roll > 0.6:
        parts.append("## " + sentence(rng, rng.randint(2, 6), 0.2))
        parts.append("\n".join(f"- {sentence(rng, rng.randint(3, 12))}" for _ in range(rng.randint(2, 6))))
        parts.append(
            f"> {sentence(rng, rng.randint(8, 30), 0.3)} "
            f"([source]({link}), see also [the notes](/notes/{rng.randint(1, 999)}) "
            f"and <https://example.org/{rng.choice(WORDS)}>)"
        )
        parts.append(
            f"Run `{rng.choice(WORDS)} --{rng.choice(WORDS)}` &amp; compare **{rng.choice(WORDS)}**."
        )
    if roll > 0.9:
        parts.append("\n".join(f"{i}. {sentence(rng, rng.randint(5, 25), 0.2)}" for i in range(1, 6)))
        parts.append('<b>raw</b> <script>alert("x")</script> <a href="javascript:alert(1)">js</a>')
        parts.append("| a | b |\n|---|---|\n| 1 & 2 | ~~old~~ new |")
    return "\n\n".join(parts) + "\n"


def tag_names(rng: random.Random, count: int) -> list[str]:
    """`count` tag names that stay distinct after linkletter's merging (case, spaces, -, _)."""
    names, seen = [], set()
    base = ZIPF_CATEGORIES + [w for w in WORDS if w not in ZIPF_CATEGORIES]
    while len(names) < count:
        i = len(names)
        if i < len(base):
            name = base[i]
        else:
            roll = rng.random()
            if roll < 0.1:
                name = f"{rng.choice(UNICODE_WORDS).split()[0]} {rng.choice(WORDS)}"
            elif roll < 0.5:
                name = f"{rng.choice(WORDS)} {rng.choice(WORDS)}"
            elif roll < 0.8:
                name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{rng.randint(1, 99)}"
            else:
                name = f"{rng.choice(WORDS)}{rng.randint(2, 2030)}"
        key = re.sub(r"[\s_-]+", "", name.lower())
        if key and key not in seen:
            seen.add(key)
            names.append(name)
    return names


def dates(rng: random.Random, count: int) -> list[datetime]:
    """`count` moments, newest first: DIGEST_LINKS in the digest week, the rest before it, denser
    in recent years."""
    week = [WEEK_START + (WEEK_END - WEEK_START) * rng.random() for _ in range(min(DIGEST_LINKS, count))]
    span = (WEEK_START - OLDEST).total_seconds()
    rest = [WEEK_START - timedelta(seconds=span * rng.random() ** 1.7 + 1) for _ in range(count - len(week))]
    return sorted(week + rest, reverse=True)


def zoned(rng: random.Random, moment: datetime) -> str:
    """The moment with a zone: mostly Z, sometimes an offset (the same instant)."""
    moment = moment.replace(microsecond=0)
    if rng.random() < 0.75:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    offset = timedelta(hours=rng.choice([-7, -5, 1, 2, 5.5, 9]))
    return moment.astimezone(timezone(offset)).isoformat()


def image(rng: random.Random, moment: datetime, expired: bool | None, i: int) -> str:
    if expired is None:
        return f"https://images.{rng.choice(WORDS)}.{rng.choice(TLDS)}/{i:06d}/cover-{rng.randint(1, 9)}.jpg"
    expires = int((moment + timedelta(days=90)).timestamp()) if expired else 1893456000 + i  # 2030
    signature = "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-~") for _ in range(342)
    )
    return (
        f"https://cdn2.dropmarkusercontent.com/{rng.randint(100000, 999999)}/{rng.getrandbits(256):064x}"
        f"/thumbnail/{rng.choice(WORDS).title()}-{rng.choice(WORDS).title()}.jpg"
        f"?Expires={expires}&Signature={signature}__&Key-Pair-Id=APKAITQYWVEN757ZA4KQ"
    )


def generate(out: Path, count: int, shape: str, seed: int) -> dict:
    rng = random.Random(f"linkletter-corpus/{count}/{shape}/{seed}")  # str seeds are stable across runs
    if shape == "zipf":
        names = ZIPF_CATEGORIES
        weights = zipf_weights(len(names), 1.1)
        per_item = (1, 3)
    else:
        names = tag_names(rng, max(30, round(count * 4560 / 6682)))
        weights = zipf_weights(len(names), 1.05)
        per_item = (1, 8)
    picks: list[set[int]] = []
    for _ in range(count):
        wanted = rng.randint(*per_item) if shape == "tags" else rng.choice((1, 1, 1, 2, 2, 3))
        picks.append({pick(rng, weights) for _ in range(wanted)})
    if shape == "tags":  # every tag on at least one bookmark: the long tail of one-bookmark tags
        used = set().union(*picks)
        for rank in range(len(names)):
            if rank not in used:
                picks[rng.randrange(count)].add(rank)

    moments = dates(rng, count)
    if shape == "tags":
        with_image = set(rng.sample(range(count), min(count, round(count * 513 / 6682))))
        expired_image = set(rng.sample(sorted(with_image), round(len(with_image) * 469 / 513)))
        spaced_utm = set(rng.sample(range(count), min(count, round(count * 30 / 6682))))
    else:
        with_image = {i for i in range(count) if rng.random() < 0.6}
        expired_image = {i for i in with_image if rng.random() < 0.2}
        spaced_utm = set()

    content = out / "content"
    if content.exists():
        shutil.rmtree(content)
    files, counts = [], [0] * len(names)
    for i in range(count):
        moment = moments[i]
        domain = (
            f"{rng.choice(WORDS)}{rng.choice(['', '-', 'hub', 'blog'])}{rng.choice(WORDS)}.{rng.choice(TLDS)}"
        )
        title = sentence(rng, rng.randint(3, 14), 0.2)
        if rng.random() < 0.02:
            title = rng.choice(["301 Moved Permanently", "Just a moment...", "INVALID_DESCRIPTION", ""])
        path = "/".join(slugify(sentence(rng, rng.randint(1, 4), 0)) for _ in range(rng.randint(1, 3)))
        link = f"https://{rng.choice(['', 'www.', 'blog.'])}{domain}/{path}"
        if i in spaced_utm:
            link += f"?utm_source=newsletter&utm_campaign=Weekly Digest {rng.randint(1, 52)}"
        elif rng.random() < 0.15:
            link += f"?utm_source=rss&utm_medium=feed&utm_campaign={rng.choice(WORDS)}"
        elif rng.random() < 0.05:
            link += f"?id={rng.randint(1, 10**6)}&lang=da#section-{rng.randint(1, 9)}"
        cats = [names[r] for r in sorted(picks[i])]
        for r in picks[i]:
            counts[r] += 1
        text = body(rng, link)
        slug = slugify(f"{domain.split('.')[0]}-{title}")
        fields = ["---", "archetype: bookmark", "categories:"] + [f"- {scalar(c)}" for c in cats]
        fields.append(f"date: {zoned(rng, moment)}")
        if rng.random() < 0.85:
            fields.append(folded("description", sentence(rng, rng.randint(8, 60), 0.12) + "."))
        fields.append(f"dropmark.editURL: http://curator.dropmark.com/616548/{17680677 + i}")
        if i in with_image:
            # True: a signed URL whose Expires lies before "now"; False: signed, valid; None: plain
            kind = True if i in expired_image else None if shape == "tags" or rng.random() < 0.5 else False
            fields.append(f"featuredImage: {image(rng, moment, kind, i)}")
        fields.append(f"link: {scalar(link)}")
        fields.append(f"linkBrand: {domain}")
        fields.append(f"slug: {slug}")
        fields += ["source:", "  name: Dropmark", "  apiendpoint: https://curator.dropmark.com/616548.json"]
        fields.append(f"title: {scalar(title)}" if title else "title:")
        fields.append("---")
        name = f"{moment.year}/{slug[:50].strip('-')}-{i:06d}.md"
        target = content / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(fields) + "\n" + text, encoding="utf-8")
        files.append(name)

    write_project(out)
    manifest = {
        "count": count,
        "shape": shape,
        "seed": seed,
        "categories": len(names),
        "one_bookmark_categories": sum(1 for c in counts if c == 1),
        "busiest_category": names[max(range(len(names)), key=counts.__getitem__)],
        "newest": files[:3],  # content/-relative, newest first
        "digest_links": min(DIGEST_LINKS, count),
        "images": len(with_image),
        "expired_images": len(expired_image),
        "links_with_spaces": len(spaced_utm),
    }
    (out / "bench-manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


LINKLETTER_YAML = """\
# Written by benchmarks/make_corpus.py.
site:
  title: linkletter benchmark
  description: A generated corpus for benchmarks/run.py.
  base_url: https://links.example.org/
  author:
    name: Bench Curator
    email: curator@example.org
  language: en
  timezone: UTC

build:
  content: content
  output: dist
  category_feeds: true
  feed_limit: 50

digest:
  title: linkletter benchmark weekly
  from: Bench Curator <links@example.org>
  recipients: recipients.txt
  max_per_category: 5
  unsubscribe_url: https://links.example.org/unsubscribe?email={email}&token={token}
  unsubscribe_mailto: unsubscribe@example.org
  weekday: monday
  time: "09:00"
  timezone: UTC

smtp:
  host: 127.0.0.1
  port: 1025
  security: none
"""


def write_project(out: Path) -> None:
    (out / "linkletter.yaml").write_text(LINKLETTER_YAML, encoding="utf-8")
    (out / "recipients.txt").write_text(
        "".join(f"Reader {i} <reader{i}@example.org>\n" for i in range(3)), encoding="utf-8"
    )
    if (out / "templates").exists():
        shutil.rmtree(out / "templates")
    shutil.copytree(ROOT / "templates", out / "templates")
    if (out / "hugo").exists():
        shutil.rmtree(out / "hugo")
    shutil.copytree(HERE / "hugo", out / "hugo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True, help="number of bookmark files")
    parser.add_argument("--shape", choices=("zipf", "tags"), default="zipf")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("out", type=Path, help="the project folder to write (content/ is replaced)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = generate(args.out, args.count, args.shape, args.seed)
    print(json.dumps(manifest))


if __name__ == "__main__":
    main()
