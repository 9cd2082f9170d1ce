"""Saves of the same link merged into one bookmark (the rules are in `load`'s docstring), worked out
on light values: a `Light` is what merging, planning and reporting need of one file's parse,
without its text. A build keeps one `Light` per file (`cache`), merges and plans with them, and
turns into full `Bookmark`s only the merged bookmarks it shows (`materialize`), so a rebuild after
an edit reads and holds only what changed and what is shown."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from ..errors import NOTE, Problem
from ..model import Bookmark, Category
from ..values.text import category_key
from .bookmark import Parsed
from .categories import catalog_from, display_name

Spellings = tuple[tuple[str, str], ...]  # (category key, display name) of each name with a key


class Light(NamedTuple):
    """One file's parse without its text. `id` is None when the file gave no bookmark (a draft
    or an error: `problems` say which)."""

    id: str | None
    link: str
    date: datetime | None
    spellings: Spellings
    problems: tuple[Problem, ...]
    expiry: tuple[datetime, Problem] | None  # a signed image's expiry (see `bookmark.apply_now`)


class Merged(NamedTuple):
    """One bookmark after merging, without its text: its newest save's file holds that."""

    id: str
    link: str  # the newest save's
    date: datetime  # the earliest save's
    categories: tuple[Category, ...]
    source: str  # the earliest save's file
    also_in: tuple[str, ...]  # the other saves' files
    newest: str  # the newest save's file


@lru_cache(maxsize=8192)
def spelling(name: str) -> tuple[str, str]:
    return category_key(name), display_name(name)


def spellings_of(names: Iterable[str]) -> Spellings:
    found = tuple(pair for pair in map(spelling, names) if pair[0])
    return _SHARED.setdefault(found, found)  # one object per combination: smaller to keep and load


_SHARED: dict[Spellings, Spellings] = {}


def light_of(parsed: Parsed) -> Light:
    bookmark, problems = parsed.bookmark, tuple(parsed.problems)
    if bookmark is None:
        return Light(None, "", None, (), problems, parsed.expiry)
    return Light(
        bookmark.id, bookmark.link, bookmark.date, spellings_of(parsed.names), problems, parsed.expiry
    )


def problems_at(light: Light, now: datetime) -> tuple[Problem, ...]:
    """The file's problems at `now`, as `bookmark.apply_now` reports them."""
    if light.id is None or light.expiry is None or light.expiry[0] > now:
        return light.problems
    return (*light.problems, light.expiry[1])


def merge_lights(
    rows: Sequence[tuple[str, Light]], catalog: dict[str, Category] | None = None
) -> tuple[list[Merged], list[Problem]]:
    """One `Merged` per link, in the order the links first appear in `rows` ((file, light) in
    listing order), categories resolved (by `catalog`, else by the spellings in `rows`); and a
    note for each save merged into another."""
    groups: dict[str, list[tuple[str, Light]] | tuple[str, Light]] = {}  # a link saved once: no list
    for row in rows:
        key = row[1].id
        if key is not None:
            group = groups.setdefault(key, row)
            if group is not row:
                if isinstance(group, list):
                    group.append(row)
                else:
                    groups[key] = [group, row]
    resolve = _Resolver(catalog if catalog is not None else catalog_from(category_counts(rows)))
    known, make = resolve.known, tuple.__new__
    merged: list[Merged] = []
    notes: list[Problem] = []
    for key, group in groups.items():
        if isinstance(group, tuple):  # most links: saved once
            source, light = group
            categories = known.get(light.spellings) or resolve(light.spellings)
            merged.append(make(Merged, (key, light.link, light.date, categories, source, (), source)))
            continue
        group.sort(key=lambda item: (item[1].date, item[0]))
        (first, earliest), (newest, latest) = group[0], group[-1]
        assert earliest.date is not None
        others = tuple(source for source, _ in group[1:])
        pairs = tuple(pair for _, light in group for pair in light.spellings)
        merged.append(Merged(key, latest.link, earliest.date, resolve(pairs), first, others, newest))
        notes += merge_notes(first, others)
    return merged, notes


def merge_notes(first: str, others: Sequence[str]) -> list[Problem]:
    return [
        Problem(
            other,
            f"the same link as {first}; merged into one item "
            "(earliest date, newest save's text, all categories)",
            field="link",
            severity=NOTE,
        )
        for other in others
    ]


def category_counts(rows: Iterable[tuple[str, Light]]) -> dict[str, dict[str, int]]:
    """How often each spelling of each category key is used, over every file's names (plain
    dicts, not Counters: the plan snapshot keeps them, and a Counter unpickles in Python)."""
    combinations = Counter(light.spellings for _, light in rows if light.id is not None)
    counts: dict[str, dict[str, int]] = {}
    for pairs, times in combinations.items():
        for key, name in pairs:
            found = counts.get(key)
            if found is None:
                found = counts[key] = {}
            found[name] = found.get(name, 0) + times
    return counts


class _Resolver:
    """A file's (or a group's) spellings -> its categories, each once, in the order named."""

    def __init__(self, catalog: dict[str, Category]):
        self.catalog = catalog
        self.known: dict[Spellings, tuple[Category, ...]] = {}

    def __call__(self, pairs: Spellings) -> tuple[Category, ...]:
        found = self.known.get(pairs)
        if found is None:
            found = self.known[pairs] = tuple(self.catalog[k] for k in dict.fromkeys(k for k, _ in pairs))
        return found


def materialize(merged: Merged, newest: Bookmark) -> Bookmark:
    """The merged bookmark in full, from its newest save's bookmark (as `apply_now` left it)."""
    return replace(
        newest, date=merged.date, source=merged.source, also_in=merged.also_in, categories=merged.categories
    )


def merge_duplicates(parsed: list[tuple[Bookmark, tuple[str, ...]]]) -> tuple[list[Bookmark], list[Problem]]:
    """One bookmark per link, categories resolved: (bookmark, its raw category names) in listing
    order in, full bookmarks out."""
    by_source = {bookmark.source: bookmark for bookmark, _ in parsed}
    rows = [(b.source, Light(b.id, b.link, b.date, spellings_of(names), (), None)) for b, names in parsed]
    merged, notes = merge_lights(rows)
    return [materialize(m, by_source[m.newest]) for m in merged], notes
