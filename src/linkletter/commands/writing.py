"""Writing a build's files into dist/ (one bad file does not stop the others, a full disk does)
and keeping what the next build needs: the manifest and the short-cut's state."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import WARNING, Problem, UserError, shown_path
from ..model import Config, Progress
from ..publish.manifest import MANIFEST_NAME, Manifest, digest_of, save_manifest
from ..publish.output import UNCHANGED, Batch, output_error, remove_stale_temporaries, write_if_changed
from .shortcut import inputs_key, new_state, save_state

if TYPE_CHECKING:
    from .build import BuildResult
    from .lights import Planned

_DISK_WIDE = {errno.ENOSPC, errno.EROFS, errno.EDQUOT}


def manifest_path(config: Config) -> Path:
    return config.build.state_dir / MANIFEST_NAME


def write_locked(
    config: Config,
    result: BuildResult,
    manifest: Manifest,
    names: list[str],
    files: Iterator[tuple[str, bytes]],
    progress: Progress | None = None,
) -> None:
    """Write every changed file. One file that cannot be written (a name the file system refuses,
    a folder in the way) does not stop the others; a full disk or a read-only file system, or
    the same failure three times in a row, stops the rest. Files already replaced stay complete.
    Every file's bytes are on disk before it is renamed into place (`output.Batch`)."""
    root = config.build.output_dir
    remove_stale_temporaries(root)
    batch = Batch()
    try:
        _write_all(config, result, manifest, names, files, batch, progress)
    finally:
        for target, exc in batch.commit():
            relpath = target.relative_to(root).as_posix()
            result.problems += output_error(f"{root.name}/{relpath}", exc).problems
            manifest.files.pop(relpath, None)
            result.written.remove(relpath)


def _write_all(
    config: Config,
    result: BuildResult,
    manifest: Manifest,
    names: list[str],
    files: Iterator[tuple[str, bytes]],
    batch: Batch,
    progress: Progress | None,
) -> None:
    root = config.build.output_dir
    failures: list[int | None] = []
    created: list[str] = []
    for index, (relpath, data) in enumerate(files):
        if progress:
            progress("writing", index + 1, len(names))
        try:
            status = write_if_changed(root, relpath, data, created, batch)
        except UserError as exc:
            result.problems += exc.problems
            failures.append(getattr(exc, "errno", None))
            if _hopeless(failures):
                if len(names) > index + 1:
                    result.problems.append(_not_written(config, len(names) - index - 1))
                return
            continue
        failures.clear()
        manifest.files[relpath] = digest_of(data)
        manifest.folders.update(created)
        (result.unchanged if status == UNCHANGED else result.written).append(relpath)


def keep_manifest(config: Config, manifest: Manifest) -> list[Problem]:
    try:
        save_manifest(manifest_path(config), manifest)
    except OSError as exc:
        return [
            Problem(
                shown_path(manifest_path(config), config.root),
                f"cannot be written: {exc.strerror or exc}",
                hint="files this build wrote will not be removed when they are no longer generated; "
                "free space in the state folder",
                severity=WARNING,
            )
        ]
    return []


def _not_written(config: Config, count: int) -> Problem:
    return Problem(
        config.build.output_dir.name,
        f"{count} file(s) were not written; the ones already in place are complete",
        hint="fix the cause and build again",
    )


def _hopeless(failures: list[int | None]) -> bool:
    """Whether to stop writing: the disk is full or read-only, or one cause failed three times."""
    return failures[-1] in _DISK_WIDE or (len(failures) >= 3 and len(set(failures[-3:])) == 1)


def keep_state(
    config: Config,
    result: BuildResult,
    manifest: Manifest,
    planned: Planned,
    now: datetime,
    problems: list[Problem],
    inputs: tuple,
) -> None:
    """After a complete build (every file in place, the manifest kept), what the short-cut needs."""
    outputs = {
        p: manifest.identities[p] for p in result.written + result.unchanged if p in manifest.identities
    }
    if len(outputs) != len(manifest.files) or any(p.is_error for p in result.problems if p.path == "dist"):
        return
    key = inputs_key(config, *inputs)
    save_state(
        config,
        new_state(key, now, planned.until, outputs, (result.bookmark_count, result.feed_count), problems),
    )
