"""Writing into dist/: never outside it, never a half-written file, never an unchanged file.

A changed file is written to a temporary file in the same folder, flushed to disk, and renamed
over the old one (`os.replace` is atomic on POSIX), so a reader or a crash sees either the
complete old file or the complete new one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path, PurePosixPath

from ..errors import Problem, UserError

WRITTEN, UNCHANGED = "written", "unchanged"


def safe_join(root: Path, relpath: str) -> Path:
    """root/relpath, refusing anything that would land outside root."""
    pure = PurePosixPath(relpath)
    if pure.is_absolute() or not pure.parts or any(p in ("..", ".", "") for p in pure.parts):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    target = root.joinpath(*pure.parts)
    resolved_root = root.resolve()
    if not target.resolve().is_relative_to(resolved_root):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    return target


def write_if_changed(root: Path, relpath: str, data: bytes) -> str:
    """Write data to root/relpath atomically unless it already holds exactly these bytes."""
    target = safe_join(root, relpath)
    try:
        if target.read_bytes() == data:
            return UNCHANGED
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise _output_error(f"{root.name}/{relpath}", exc) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, data)
    except OSError as exc:
        raise _output_error(f"{root.name}/{relpath}", exc) from None
    return WRITTEN


def write_atomic(target: Path, data: bytes) -> None:
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(target.parent)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(root: Path) -> None:
    """Temporary files left by a process that was killed mid-write."""
    if not root.is_dir():
        return
    for temp in root.rglob(".*.tmp"):
        try:
            temp.unlink()
        except OSError:
            pass


def _output_error(shown: str, exc: OSError) -> UserError:
    return UserError(
        Problem(
            shown,
            f"cannot write: {exc.strerror or exc}",
            hint="check that the output folder exists, is writable and the disk is not full",
        )
    )
