"""What linkletter wrote into dist/, kept in the state folder, so that a file it no longer
generates (a removed feed definition, a renamed category) is removed instead of being served
frozen forever, and a file it did not write is never touched.

The manifest records each file's SHA-256 as last written and each folder linkletter created. A
file is removed only while it still holds exactly those bytes (a file someone replaced is theirs
now), and a folder only when linkletter created it and it is empty. It also keeps how many items
each published feed held, for the check that a build does not silently empty a feed, and what
each feed (and the pages) were made from and each file's identity, so an unchanged feed is not
rendered again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import orjson

from ..errors import WARNING, Problem, UserError, ValueProblem
from ..values.files import read_bounded
from .output import safe_join, write_atomic

MANIFEST_NAME = "dist-manifest.json"
MAX_MANIFEST_BYTES = 64 * 2**20


@dataclass
class Manifest:
    files: dict[str, str] = field(default_factory=dict)  # path in dist/ -> sha256 of what was written
    folders: set[str] = field(default_factory=set)  # folders in dist/ linkletter created
    feeds: dict[str, int] = field(default_factory=dict)  # feed file -> item count when written
    content: dict[str, int] = field(default_factory=dict)  # content sub-folder -> bookmark files
    fingerprints: dict[str, str] = field(default_factory=dict)  # feed -> what it was made from
    identities: dict[str, list[int]] = field(default_factory=dict)  # file -> size, mtime_ns, inode
    pages: dict[str, str] = field(default_factory=dict)  # page file -> what the pages were made from


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_manifest(path: Path, shown: str) -> Manifest:
    """The manifest at `path`; an empty one when there is none yet. UserError if unreadable."""
    try:
        data = _decoded(read_bounded(path, MAX_MANIFEST_BYTES, "the manifest"))
        identities = _typed(data.get("identities", {}), list)
        numbers = chain.from_iterable(identities.values())
        if set(map(len, identities.values())) - {4} or _types(numbers) - {int}:
            raise ValueError("not identities")
        return Manifest(
            files=_typed(data["files"], str),
            folders=set(_typed(dict.fromkeys(data["folders"]), type(None))),
            feeds=_typed(data.get("feeds", {}), int),
            content=_typed(data.get("content", {}), int),
            fingerprints=_typed(data.get("fingerprints", {}), str),
            identities=identities,
            pages=_typed(data.get("pages", {}), str),
        )
    except ValueProblem as exc:
        if exc.message == "not found":
            return Manifest()
        raise UserError(exc.at(shown)) from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise UserError(
            Problem(
                shown, "is not a linkletter manifest", hint="move it away; the next build writes a new one"
            )
        ) from None


def _decoded(raw: bytes) -> Any:
    """orjson (a third faster on 13,686 files), else json: orjson refuses the escapes (\\udcxx)
    a content folder's name that is not UTF-8 is written with."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw.decode())


def _typed(mapping: object, kind: type) -> dict:
    """`mapping` if it is a dict of strings to `kind`s (checked in C: a site of 4,561 feeds has
    13,686 files), else ValueError."""
    if type(mapping) is not dict or _types(mapping) - {str} or _types(mapping.values()) - {kind}:
        raise ValueError("not a mapping")
    return mapping


def _types(values: Iterable) -> set[type]:
    return set(map(type, values))


def save_manifest(path: Path, manifest: Manifest) -> None:
    data = {
        "files": manifest.files,
        "folders": sorted(manifest.folders),
        "feeds": manifest.feeds,
        "content": manifest.content,
        "fingerprints": manifest.fingerprints,
        "identities": manifest.identities,
        "pages": manifest.pages,
    }
    try:  # orjson: a tenth of the time of json's C encoder, with sorted keys
        encoded = orjson.dumps(data, option=orjson.OPT_SORT_KEYS) + b"\n"
    except orjson.JSONEncodeError:  # a name that is not UTF-8 (a content folder's): as \udcxx
        encoded = (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()
    try:
        if path.read_bytes() == encoded:
            return
    except OSError:
        pass
    write_atomic(path, encoded)


def remove_stale(root: Path, manifest: Manifest, current: set[str]) -> tuple[list[str], list[Problem]]:
    """Remove what the manifest lists and `current` no longer holds; returns (removed, problems).
    The manifest is updated in place."""
    removed, problems = [], []
    for relpath in sorted(set(manifest.files) - current):
        outcome = _remove_file(root, relpath, manifest.files.pop(relpath))
        if isinstance(outcome, Problem):
            problems.append(outcome)
        elif outcome:
            removed.append(relpath)
        manifest.feeds.pop(relpath, None)
        manifest.identities.pop(relpath, None)
    folders = {path.rpartition("/")[0] for path in current} - {""}  # each once (13,686 files, 2 folders)
    needed = {parent for folder in folders for parent in _parents(f"{folder}/")}
    for folder in sorted(manifest.folders - needed, key=lambda f: (-f.count("/"), f)):
        manifest.folders.discard(folder)
        _remove_empty_folder(root, folder)
    return removed, problems


def _remove_file(root: Path, relpath: str, sha256: str) -> bool | Problem:
    try:
        path = safe_join(root, relpath)
        if path.is_symlink() or not path.is_file() or digest_of(path.read_bytes()) != sha256:
            return False  # gone already, or someone else's now: never touched
        path.unlink()
        return True
    except UserError:
        return False
    except OSError as exc:
        return Problem(
            f"{root.name}/{relpath}",
            f"no longer generated, but cannot be removed: {exc.strerror}",
            hint="remove it by hand",
            severity=WARNING,
        )


def _remove_empty_folder(root: Path, relpath: str) -> None:
    try:
        path = safe_join(root, relpath)
        if not path.is_symlink() and path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    except (UserError, OSError):
        pass


def _parents(relpath: str) -> list[str]:
    parts = relpath.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]
