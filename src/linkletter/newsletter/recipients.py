"""The recipients file: one address per line (`Name <addr>` allowed, `#` starts a comment), or
CSV with a header row that has an `email` (or `address`) column and optionally `name`.

Every line is read on its own, so one stray quote can never swallow the rows after it: a quoted
field that does not close on its line, a row with more fields than the header, a name that holds
an address or a control character (NUL, CR, LF), a field over the CSV limit, and a plain line with
more than one address are errors naming their line; that line is skipped, the others are kept.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from ..errors import NOTE, Problem
from ..model import Recipient
from ..values.links import is_email_address

MAX_BYTES = 50 * 1024 * 1024
_ANGLE = re.compile(r"^(?P<name>[^<>]*)<(?P<address>[^<>]*)>$")
_ADDRESS_LIKE = re.compile(r"[^\s<>@,;]+@[^\s<>@,;]+\.[^\s<>@,;]+")


class RowProblem(ValueError):
    """One line that cannot be a recipient."""


def load_recipients(path: Path, relpath: str) -> tuple[list[Recipient], list[Problem]]:
    """Every valid recipient once (first spelling wins), and a problem per bad or repeated line."""
    text, problem = _read(path, relpath)
    if problem:
        return [], [problem]
    recipients: list[Recipient] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for line, row in _rows(text):
        try:
            if isinstance(row, RowProblem):
                raise row
            recipient = _recipient(*row)
        except RowProblem as exc:
            problems.append(Problem(relpath, f"{exc}; skipped", line=line))
            continue
        if recipient.key in seen:
            problems.append(
                Problem(
                    relpath,
                    f"{recipient.address} is listed twice (first on line {seen[recipient.key]}); it gets one copy",
                    line=line,
                    severity=NOTE,
                )
            )
            continue
        seen[recipient.key] = line
        recipients.append(recipient)
    return recipients, problems


def _read(path: Path, relpath: str) -> tuple[str, Problem | None]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return "", Problem(
                relpath, f"is larger than {MAX_BYTES // 2**20} MiB; nobody was read", hint="split the list"
            )
        return path.read_bytes().decode("utf-8-sig"), None
    except FileNotFoundError:
        return "", Problem(relpath, "not found", hint="set digest.recipients to your list of addresses")
    except (OSError, UnicodeDecodeError) as exc:
        return "", Problem(relpath, f"cannot be read as UTF-8 text: {exc}")


def _recipient(address: str, name: str) -> Recipient:
    address = address.strip()
    if not is_email_address(address):
        raise RowProblem(f"{address!r} is not an email address")
    if any(not ch.isprintable() for ch in name):
        raise RowProblem(f"the name of {address} holds a control character")
    if _ADDRESS_LIKE.search(name):
        raise RowProblem(f"the name of {address} holds an address ({name!r}); one recipient per line")
    return Recipient(address, " ".join(name.split()))


def _rows(text: str):
    """(line number, (address, name) or the RowProblem of that line) for every line that is not
    blank or a comment."""
    lines = [(n, line) for n, line in enumerate(text.split("\n"), start=1) if _counts(line)]
    try:
        header = [cell.strip().lower() for cell in _cells(lines[0][1])] if lines else []
    except RowProblem:
        header = []
    if {"email", "address"} & set(header):
        yield from _csv_rows(lines[1:], header)
        return
    for number, line in lines:
        yield number, _attempt(_plain, line.strip())


def _attempt(parse, line: str):
    try:
        return parse(line)
    except RowProblem as exc:
        return exc


def _counts(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _plain(line: str) -> tuple[str, str]:
    match = _ANGLE.match(line)
    if match:
        return match["address"], match["name"].strip().strip('"').strip()
    if any(ch.isspace() or ch in ",;" for ch in line):
        raise RowProblem(f"{line!r} is not one address (write one address per line, or Name <address>)")
    return line, ""


def _csv_rows(lines: list[tuple[int, str]], header: list[str]):
    column = "email" if "email" in header else "address"
    for number, line in lines:
        row = _attempt(lambda text: _csv_row(text, header, column), line)
        if row is not None:
            yield number, row


def _csv_row(line: str, header: list[str], column: str) -> tuple[str, str] | None:
    cells = _cells(line)
    if len(cells) > len(header):
        raise RowProblem(
            f"has {len(cells)} fields, the header has {len(header)} (quote a name that holds a comma)"
        )
    values = dict(zip(header, cells, strict=False))
    if not any(v.strip() for v in values.values()):
        return None
    return values.get(column, ""), values.get("name", "")


def _cells(line: str) -> list[str]:
    line = line.removesuffix("\r")
    if line.count('"') % 2:
        raise RowProblem("a quoted field does not end on its line (a stray quote?)")
    if "\r" in line or "\0" in line:
        raise RowProblem("holds a control character (CR or NUL)")
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        raise RowProblem(f"cannot be read as CSV: {exc}") from None
