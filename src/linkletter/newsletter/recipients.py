"""The recipients file: one address per line (`Name <addr>` allowed, `#` starts a comment), or
CSV with a header row that has an `email` (or `address`) column and optionally `name`."""

from __future__ import annotations

import csv
import io
from email.utils import parseaddr
from pathlib import Path

from ..errors import NOTE, Problem
from ..model import Recipient
from ..values.links import is_email_address

MAX_BYTES = 50 * 1024 * 1024


def load_recipients(path: Path, relpath: str) -> tuple[list[Recipient], list[Problem]]:
    """Every valid recipient once (first spelling wins), and a problem per bad or repeated line."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return [], [
                Problem(
                    relpath,
                    f"is larger than {MAX_BYTES // 2**20} MiB; nobody was read",
                    hint="split the list",
                )
            ]
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return [], [Problem(relpath, "not found", hint="set digest.recipients to your list of addresses")]
    except (OSError, UnicodeDecodeError) as exc:
        return [], [Problem(relpath, f"cannot be read as UTF-8 text: {exc}")]
    rows = list(_rows(text))
    recipients, problems, seen = [], [], {}
    for line, address, name in rows:
        address = address.strip()
        if not is_email_address(address):
            problems.append(Problem(relpath, f"{address!r} is not an email address; skipped", line=line))
            continue
        recipient = Recipient(address, " ".join(name.split()))
        if recipient.key in seen:
            problems.append(
                Problem(
                    relpath,
                    f"{address} is listed twice (first on line {seen[recipient.key]}); it gets one copy",
                    line=line,
                    severity=NOTE,
                )
            )
            continue
        seen[recipient.key] = line
        recipients.append(recipient)
    return recipients, problems


def _rows(text: str):
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    header = [cell.strip().lower() for cell in next(csv.reader([first]), [])]
    if {"email", "address"} & set(header):
        yield from _csv_rows(text, header)
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            name, address = parseaddr(line)
            yield number, address or line, name


def _csv_rows(text: str, header: list[str]):
    column = "email" if "email" in header else "address"
    reader = csv.DictReader(io.StringIO(text), fieldnames=header)
    seen_header = False
    for row in reader:
        values = {k: (v or "") for k, v in row.items() if k}
        if not seen_header and values.get(column, "").strip().lower() == column:
            seen_header = True
            continue
        if not any(v.strip() for v in values.values()) or values.get(column, "").lstrip().startswith("#"):
            continue
        yield reader.line_num, values.get(column, ""), values.get("name", "")
