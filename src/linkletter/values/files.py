"""Reading a user's file: regular files only, at most a given size, as UTF-8 text."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ValueProblem


def read_bounded(path: Path | str, limit: int, what: str = "this file", hint: str | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ValueProblem otherwise. Never blocks
    on a FIFO or a device and never reads more than `limit` + 1 bytes."""
    return read_seen(path, limit, what, hint)[0]


def read_seen(
    path: Path | str, limit: int, what: str = "this file", hint: str | None = None
) -> tuple[bytes, tuple[int, int, int, int]]:
    """`read_bounded`, and the file's identity (`file_identity`) as it was opened, before it
    was read."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ValueProblem("not found") from None
    except OSError as exc:
        raise ValueProblem(f"cannot be read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueProblem("is not a regular file; skipped", "keep only files here")
        if info.st_size > limit:
            raise ValueProblem(
                f"is {_size(info.st_size, exact=False)}; {what} may be at most {_size(limit)}", hint
            )
        data = _read_upto(fd, limit + 1, info.st_size + 1)
    except OSError as exc:
        raise ValueProblem(f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        raise ValueProblem(f"is larger than {_size(limit)}; {what} may be at most {_size(limit)}", hint)
    return data, identity_of(info)


def _read_upto(fd: int, most: int, expected: int) -> bytes:
    """At most `most` bytes up to the end of the file, in reads of the size it is expected to
    have (one read for a file that did not grow since fstat; a buffer of `most` bytes for each
    small file made reading thousands of them slow)."""
    chunks: list[bytes] = []
    left = most
    while left > 0:
        chunk = os.read(fd, min(left, expected))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def file_identity(path: Path) -> tuple[int, int, int, int] | None:
    """What tells that a file changed without reading it: size, mtime, ctime (which moves even
    when an editor or `touch -d` puts the mtime back) and inode; None if it cannot be seen."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return identity_of(info)


def identity_of(info: os.stat_result) -> tuple[int, int, int, int]:
    """`file_identity` from a file's `stat`."""
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino


def decode_text(data: bytes) -> str:
    """UTF-8 (a byte-order mark allowed) with LF line ends; ValueProblem names the line of a bad byte."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueProblem(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8",
            line=data[: exc.start].count(b"\n") + 1,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _size(count: int, exact: bool = True) -> str:
    if count >= 2**20:
        whole = exact and count % 2**20 == 0
        return f"{count // 2**20} MiB" if whole else f"{count / 2**20:.1f} MiB"
    return f"{count / 1024:.0f} KB" if count >= 1024 else f"{count} bytes"
