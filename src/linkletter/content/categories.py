"""Category names to one key, one display name and one path-safe slug.

- key: NFKC, case-folded, with runs of spaces, `-` and `_` made one space ("AI", " ai ",
  "Machine-Learning" and "machine learning" are the same category);
- name: the spelling used most often (ties: the alphabetically first);
- slug: lower-case letters, digits and `-` only, never empty, never a Windows device name,
  at most 60 characters and 120 bytes of UTF-8 (file names stay far below 255 bytes); a few
  symbols become words (`c++` is `c-plus-plus`, `c#` is `c-sharp`).
  When two different keys still share a slug, the plainest key (letters and digits only, else the
  alphabetically first) keeps it and the others get a short hash suffix; a suffixed slug that is
  taken too (a category literally named `c plus plus 1a2b3c4d`) gets a longer hash, so final slugs
  are unique.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping

from ..model import Category
from ..values.text import category_key

_SEPARATORS = re.compile(r"[\s_\-]+")
_NOT_SLUG = re.compile(r"[^\w]+")
_SYMBOLS = str.maketrans({"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "})
_DASHES = re.compile("-{2,}")
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul"] + [f"com{i}" for i in range(10)] + [f"lpt{i}" for i in range(10)]
)
MAX_SLUG = 60
MAX_SLUG_BYTES = 120


def display_name(name: str) -> str:
    return _SEPARATORS.sub(" ", unicodedata.normalize("NFKC", name).replace("_", " ")).strip()


def base_slug(key: str) -> str:
    text = key.translate(_SYMBOLS)
    if not text.isascii():  # ASCII has nothing to decompose (4,560 tags: most are ASCII)
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    slug = _NOT_SLUG.sub("-", text).replace("_", "-").strip("-").lower()
    slug = _DASHES.sub("-", slug)
    if not slug or slug in _RESERVED or len(slug) > MAX_SLUG or len(slug.encode()) > MAX_SLUG_BYTES:
        return f"{_cut(slug, MAX_SLUG - 9, MAX_SLUG_BYTES - 9)}-{short_hash(key)}".lstrip("-")
    return slug


def _cut(slug: str, chars: int, size: int) -> str:
    """At most `chars` characters and `size` bytes of UTF-8, cut between characters."""
    slug = slug[:chars]
    while len(slug.encode()) > size:
        slug = slug[:-1]
    return slug.rstrip("-")


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def build_categories(names: Iterable[str]) -> dict[str, Category]:
    """Category key -> its Category, for every name seen (in any order). Deterministic for a
    set of names."""
    spellings: dict[str, Counter] = {}
    for name in names:
        key = category_key(name)
        if key:
            spellings.setdefault(key, Counter())[display_name(name)] += 1
    return catalog_from(spellings)


def catalog_from(
    spellings: Mapping[str, Mapping[str, int]], bases: dict[str, str] | None = None
) -> dict[str, Category]:
    """Category key -> its Category, from how often each spelling (display name) of it is used.
    `bases`: each key's `base_slug`, as far as known (the missing ones are added)."""
    slugs = _assign_slugs(sorted(spellings), {} if bases is None else bases)
    return {key: Category(slugs[key], most_used(counts), key) for key, counts in spellings.items()}


def most_used(counts: Mapping[str, int]) -> str:
    """The spelling used most often (ties: the alphabetically first)."""
    if len(counts) == 1:
        return next(iter(counts))
    return min(counts, key=lambda s: (-counts[s], s))


def _assign_slugs(keys: list[str], bases: dict[str, str]) -> dict[str, str]:
    by_slug: dict[str, list[str]] = {}
    for key in keys:
        base = bases.get(key)
        if base is None:
            base = bases[key] = base_slug(key)
        by_slug.setdefault(base, []).append(key)
    slugs, others = {}, []
    for slug, group in by_slug.items():
        owner = group[0] if len(group) == 1 else min(group, key=lambda k: (not re.fullmatch(r"[\w ]+", k), k))
        slugs[owner] = slug
        others += [(key, slug) for key in group if key != owner]
    taken = set(slugs.values())
    for key, slug in sorted(others):
        length = 8
        while (
            suffixed
            := f"{_cut(slug, MAX_SLUG - 1 - length, MAX_SLUG_BYTES - 1 - length)}-{short_hash(key, length)}"
        ) in taken:
            length += 4
        slugs[key] = suffixed
        taken.add(suffixed)
    return slugs
