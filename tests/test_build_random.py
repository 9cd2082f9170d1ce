"""Rebuilds after random changes (seeded, so a failure repeats): edits, additions, deletions,
renames, category and date changes (into the future too), the same link saved twice and then
not, drafts, broken files, touched files and a clock that moves on. After every step dist/ must
hold the bytes a full build of the same content makes (`--no-cache`, another folder), the build
must report the same problems, and it must have parsed only the files that changed. Both build
with --allow-shrink: the shrink guard depends on what was published before, by design."""

from __future__ import annotations

import os
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from conftest import FIXED_NOW, FIXTURES
from linkletter.commands.build import build_site
from linkletter.content import parse
from linkletter.settings.load import load_config

NAMES = [
    "Python",
    "python",
    "Rust",
    "Machine-Learning",
    "machine learning",
    "Web",
    "packaging",
    "Café",
    "C++",
]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "Tom &amp; Jerry", "blåbær", "日本語"]
HOUR_NS = 3600 * 10**9


class Corpus:
    """The content folder and what each file should say (None: a broken file)."""

    def __init__(self, root: Path, rng: random.Random):
        self.root, self.rng = root, rng
        self.files: dict[str, dict | None] = {}
        self.counter = 0
        self.now = FIXED_NOW
        self.written: set[str] = set()

    def new_name(self) -> str:
        self.counter += 1
        folder = self.rng.choice(["2024", "2023", "notes/deep", ""])
        return f"{folder}/item-{self.counter}.md".lstrip("/")

    def new_values(self, link: str | None = None) -> dict:
        rng = self.rng
        self.counter += 1
        values = {
            "title": f"{rng.choice(WORDS)} {self.counter}",
            "link": link or f"https://example.org/{self.counter}?utm_source=x",
            "date": self.now - timedelta(days=rng.uniform(0, 40)),
            "categories": rng.sample(NAMES, rng.randint(0, 3)),
            "body": rng.choice(["", "A *body* with a [link](https://example.org/).\n", "- one\n- two\n"]),
            "image": None,
            "draft": False,
        }
        if rng.random() < 0.3:  # a signed image that expires around now: the clock crosses it
            expires = int((self.now + timedelta(hours=rng.uniform(-48, 96))).timestamp())
            values["image"] = f"https://cdn.example.net/i.jpg?Expires={expires}&Signature=s"
        return values

    def write(self, name: str) -> None:
        values = self.files[name]
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if values is None:
            path.write_text("---\ntitle: [broken\ndate: not a date\n---\n")
        else:
            lines = ["---", f"title: {values['title']}", f"link: {values['link']}"]
            lines += [f"date: {values['date']:%Y-%m-%dT%H:%M:%S}Z"]
            lines += (
                ["categories:", *(f"- {c}" for c in values["categories"])] if values["categories"] else []
            )
            if values["image"]:
                lines.append(f"featuredImage: {values['image']}")
            if values["draft"]:
                lines.append("draft: true")
            path.write_text("\n".join([*lines, "---", values["body"]]))
        self.age(path)
        self.written.add(f"content/{name}")

    def age(self, path: Path) -> None:
        """An mtime outside the racy window, so the cache may trust the file's identity next time."""
        mtime = path.stat().st_mtime_ns - HOUR_NS
        os.utime(path, ns=(mtime, mtime))

    def pick(self, valid: bool = False) -> str | None:
        names = sorted(n for n, v in self.files.items() if v is not None or not valid)
        return self.rng.choice(names) if names else None

    def change(self) -> str:
        """One random change; returns its kind."""
        rng = self.rng
        kind = rng.choice(
            ["edit", "add", "add", "delete", "rename", "categories", "date", "twice", "untwice"]
            + ["draft", "break", "touch", "clock"]
        )
        name = self.pick(valid=kind not in ("delete", "rename", "touch", "edit"))
        if kind == "add" or name is None:
            name = self.new_name()
            self.files[name] = self.new_values()
            self.write(name)
            return "add"
        values = self.files[name]
        if kind == "delete":
            del self.files[name]
            (self.root / name).unlink()
        elif kind == "rename":
            target = self.new_name()
            self.files[target] = self.files.pop(name)
            (self.root / name).unlink()
            self.write(target)
        elif kind == "touch":
            path = self.root / name
            os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns - 10**9))
        elif kind == "clock":
            self.now += timedelta(hours=rng.choice([1, 7, 30, 75]))
        elif kind == "break":
            self.files[name] = None
            self.write(name)
        elif kind == "edit" or values is None:
            self.files[name] = {**(values or self.new_values()), "title": f"{rng.choice(WORDS)} edited"}
            self.write(name)
        elif kind == "twice":
            other = self.new_name()
            self.files[other] = {**self.new_values(link=values["link"]), "categories": rng.sample(NAMES, 2)}
            self.write(other)
        else:
            values.update(self._changed(kind, values))
            self.write(name)
        return kind

    def _changed(self, kind: str, values: dict) -> dict:
        rng = self.rng
        if kind == "categories":
            return {"categories": rng.sample(NAMES, rng.randint(0, 3))}
        if kind == "date":
            ahead = rng.choice([-30, -2, 0.5, 2, 45])  # days; ahead of now: held back, far: warned
            return {"date": self.now + timedelta(days=ahead)}
        if kind == "untwice":
            return {"link": f"https://example.org/untwined/{self.counter}"}
        return {"draft": not values["draft"]}


def dist_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def full_build(project: Path, target: Path, now: datetime):
    """A build of the same content from nothing (no dist/, no state, --no-cache) in another folder."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(project, target, ignore=shutil.ignore_patterns("dist", ".linkletter"))
    return build_site(load_config(target), now, allow_shrink=True, use_cache=False)


def rebuild_after_random_changes(tmp_path: Path, monkeypatch, seed: int, steps: int) -> None:
    project = tmp_path / "site"
    shutil.copytree(FIXTURES / "site", project, ignore=shutil.ignore_patterns("content"))
    settings = project / "linkletter.yaml"
    settings.write_text(settings.read_text().replace("feed_limit: 20", "feed_limit: 3"))
    corpus = Corpus(project / "content", random.Random(seed))
    for _ in range(25):
        corpus.change()
    parsed: list[str] = []
    real = parse.parse_bookmark
    monkeypatch.setattr(
        parse, "parse_bookmark", lambda text, shown, site: parsed.append(shown) or real(text, shown, site)
    )
    build_site(load_config(project), corpus.now, allow_shrink=True)
    plans = []
    for step in range(steps):
        corpus.written.clear()
        kinds = [corpus.change() for _ in range(corpus.rng.choice([1, 1, 2, 3]))]
        parsed.clear()
        result = build_site(load_config(project), corpus.now, allow_shrink=True)
        plans.append(result.planned_by)
        assert set(parsed) <= corpus.written, f"step {step} ({kinds}): parsed unchanged files"
        expected = full_build(project, tmp_path / "full", corpus.now)
        where = f"seed {seed}, step {step} ({', '.join(kinds)})"
        assert dist_bytes(project / "dist") == dist_bytes(tmp_path / "full/dist"), where
        assert _problems(result) == _problems(expected), where
        assert (result.bookmark_count, result.feed_count) == (expected.bookmark_count, expected.feed_count)
    # most steps re-plan from the last full plan's snapshot; a category renamed plans in full
    assert plans.count("delta") > steps // 2, plans


def _problems(result) -> list[str]:
    """What the build reported, but for the shrink guard's warning: a build from nothing has
    published no feed that could shrink."""
    return [str(p) for p in result.problems if "--allow-shrink" not in p.message]


def test_rebuilds_after_random_changes_equal_full_builds(tmp_path, monkeypatch):
    rebuild_after_random_changes(tmp_path, monkeypatch, seed=1, steps=30)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(2, 8))
def test_rebuilds_after_many_random_changes_equal_full_builds(tmp_path, monkeypatch, seed):
    rebuild_after_random_changes(tmp_path, monkeypatch, seed=seed, steps=150)
