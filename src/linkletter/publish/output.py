"""Writing into dist/: never outside it, never a half-written file, never an unchanged file.

A changed file is written to a temporary file in the same folder, flushed to disk, and renamed
over the old one (`os.replace` is atomic on POSIX), so a reader or a crash sees either the
complete old file or the complete new one. Temporary files have a short name only linkletter
uses (`.linkletter-XXXXXXXX.tmp`, whatever the target's length), so cleaning up after a killed
build never touches another program's temporaries.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path, PurePosixPath

from ..errors import Problem, UserError

WRITTEN, UNCHANGED = "written", "unchanged"
TEMP_PREFIX, TEMP_SUFFIX = ".linkletter-", ".tmp"


def safe_join(root: Path, relpath: str) -> Path:
    """root/relpath, refusing anything that would land outside root."""
    return _target(root, relpath)[0]


def _target(root: Path, relpath: str) -> tuple[Path, os.stat_result | None]:
    """safe_join's path, and its lstat (None if nothing is there). Its folder is checked once
    per build (`forget_resolved` starts afresh): thousands of files share a few folders."""
    folder, _, name = relpath.rpartition("/")
    if name in ("", ".", ".."):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    parent = _FOLDERS.get((root, folder)) or _checked_folder(root, folder, relpath)
    target = parent / name
    try:
        found: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        found = None
    except OSError:  # e.g. a file where a folder should be: writing reports it
        found = None
    if (
        found is not None
        and stat.S_ISLNK(found.st_mode)
        and not target.resolve().is_relative_to(_resolved(root))
    ):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    return target, found


_FOLDERS: dict[tuple[Path, str], Path] = {}


def _checked_folder(root: Path, folder: str, relpath: str) -> Path:
    pure = PurePosixPath(folder) if folder else PurePosixPath()
    if (
        relpath.startswith("/")
        or pure.is_absolute()
        or any(p in ("..", ".", "") for p in folder.split("/") if folder)
    ):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    path = root.joinpath(*pure.parts)
    if not _resolved(path).is_relative_to(_resolved(root)):
        raise UserError(Problem(relpath, "refusing to write outside the output folder"))
    if path.is_dir():  # remembered once it exists (it may be made by this build's first file in it)
        _FOLDERS[(root, folder)] = path
    return path


_RESOLVED: dict[Path, Path] = {}


def _resolved(folder: Path) -> Path:
    """folder.resolve(), remembered during one build's writes (`forget_resolved` starts afresh)."""
    if folder not in _RESOLVED:
        _RESOLVED[folder] = folder.resolve()
    return _RESOLVED[folder]


def forget_resolved() -> None:
    _RESOLVED.clear()
    _FOLDERS.clear()


def write_if_changed(
    root: Path, relpath: str, data: bytes, created: list[str] | None = None, batch: Batch | None = None
) -> str:
    """Write data to root/relpath atomically unless it already holds exactly these bytes. The
    folders it had to create are added to `created` (relative to root); with `batch`, the file
    is renamed into place by `Batch.commit` (see there)."""
    target, found = _target(root, relpath)
    try:
        if found is not None and stat.S_ISLNK(found.st_mode):
            found = os.stat(target)  # a link inside dist/ (checked): what it points at
        # only a regular file of the same size may hold these bytes (a FIFO is never read)
        same_size = found is not None and stat.S_ISREG(found.st_mode) and found.st_size == len(data)
        if same_size and target.read_bytes() == data:
            return UNCHANGED
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise output_error(f"{root.name}/{relpath}", exc) from None
    try:
        if (root, relpath.rpartition("/")[0]) not in _FOLDERS and not target.parent.is_dir():
            make_folders(root, target.parent, created)
        if batch is None:
            write_atomic(target, data)
        else:
            batch.add(_write_temporary(target, data), target)
    except OSError as exc:
        raise output_error(f"{root.name}/{relpath}", exc) from None
    return WRITTEN


def make_folders(root: Path, folder: Path, created: list[str] | None) -> None:
    missing = [
        f for f in (folder, *folder.parents) if f.is_relative_to(root) and f != root and not f.is_dir()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    if created is not None:
        created.extend(f.relative_to(root).as_posix() for f in reversed(missing))


def write_atomic(target: Path, data: bytes) -> None:
    """The file's bytes are on disk (fsync) before it is renamed into place, so it is never seen
    half written; then the folder is fsynced, so the rename survives a power cut."""
    temp = _write_temporary(target, data, sync=True)
    try:
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    _fsync_folder(target.parent)


def _write_temporary(target: Path, data: bytes, sync: bool = False) -> str:
    """A new temporary file beside target holding data, readable by all (0644, as a web server
    needs). os-level calls: `mkstemp` and a file object cost six more system calls per file."""
    fd, temp = _new_temporary(str(target.parent))
    try:
        try:
            _write_bytes(fd, data)
            os.fchmod(fd, 0o644)
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return temp


def _write_bytes(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _new_temporary(folder: str) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        temp = os.path.join(folder, f"{TEMP_PREFIX}{os.urandom(4).hex()}{TEMP_SUFFIX}")
        try:
            return os.open(temp, flags, 0o600), temp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", folder)


class Batch:
    """Many files written at once: each to a temporary file beside its target, then one `sync`
    puts all their bytes on disk, then each is renamed into place and each folder fsynced once.
    A crash leaves every target complete (old or new) and at most linkletter's own temporaries,
    which the next build removes; one sync costs far less than a thousand fsyncs."""

    def __init__(self) -> None:
        self.pending: list[tuple[str, Path]] = []

    def add(self, temp: str, target: Path) -> None:
        self.pending.append((temp, target))

    def commit(self) -> list[tuple[Path, OSError]]:
        """Rename every pending file into place; the ones that could not be, with the error."""
        if not self.pending:
            return []
        os.sync()
        failed, folders = [], set()
        for temp, target in self.pending:
            try:
                os.replace(temp, target)
                folders.add(target.parent)
            except OSError as exc:
                Path(temp).unlink(missing_ok=True)
                failed.append((target, exc))
        for folder in sorted(folders):
            _fsync_folder(folder)
        self.pending.clear()
        return failed


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
    """linkletter's own temporary files left by a process that was killed mid-write; nobody
    else's (call it holding the build lock, before writing)."""
    forget_resolved()
    if not root.is_dir():
        return
    for folder, _, names in os.walk(root):  # not `rglob`: a site of 4,561 feeds has 13,686 files
        for name in names:
            if name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX):
                try:
                    os.unlink(os.path.join(folder, name))
                except OSError:
                    pass


class OutputError(UserError):
    """A file in dist/ could not be written; `errno` tells a full disk from a single bad file."""

    errno: int | None = None


def output_error(shown: str, exc: OSError) -> UserError:
    error = OutputError(
        Problem(
            shown,
            f"cannot write: {exc.strerror or exc}",
            hint="check that the output folder exists, is writable and the disk is not full",
        )
    )
    error.errno = exc.errno
    return error
