"""The send ledger: which issues exist (and which bookmarks they hold), which recipients the
SMTP server accepted or refused for each, and the addresses suppressed after a hard bounce.
SQLite in `.linkletter/`, never inside dist/.

Every write is its own transaction, committed right after the server's reply and before anything
else happens, in WAL mode with `synchronous=NORMAL`: a commit is a write into the WAL file, which
the operating system keeps when the process crashes or is killed (`kill -9`), so the database
then holds every acceptance that was committed, and nothing half-written. The WAL is synced to the
disk at checkpoints, not at every commit (`FULL` would cost an fsync, about 0.4 ms, per message):
a power cut or a kernel crash can lose the last commits before it, and those recipients would get
the issue again (see the README, "Sending the digest").

Why one commit per message, and not one per batch: exactly-once after `kill -9` needs (1) no
recipient recorded before the server accepted their message, which would skip them, and (2) as
few accepted messages as possible not yet recorded when the process dies, each of which is mailed
again by the next run. Batching commits keeps (1) but lets a kill lose a whole batch: up to that
many duplicates instead of at most one per connection. A commit here is one small write into
the WAL file (about 50 µs, under a tenth of a message's time), so it is not worth that.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..errors import Problem, UserError

SENT, FAILED = "sent", "failed"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issues (
    slug TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    start TEXT NOT NULL,
    end TEXT NOT NULL,
    created TEXT NOT NULL,
    bookmarks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    issue TEXT NOT NULL REFERENCES issues(slug),
    recipient TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
    message_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,
    PRIMARY KEY (issue, recipient)
);
CREATE TABLE IF NOT EXISTS suppressions (
    address TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


def _hint(exc: Exception) -> str:
    """A folder or file linkletter may not write is not a damaged ledger: restoring a backup
    would not help, and the ledger must not be deleted."""
    text = str(exc).lower()
    if (
        isinstance(exc, PermissionError)
        or "readonly" in text
        or "read-only" in text
        or "unable to open" in text
    ):
        return (
            "the state folder (build.state) and the ledger in it must be writable by the user who runs "
            "linkletter; never delete the ledger, or everyone is mailed again"
        )
    return (
        "restore it from a backup; never delete it while an issue is being sent, or everyone is mailed again"
    )


@dataclass(frozen=True)
class IssueRecord:
    slug: str
    number: int
    start: datetime
    end: datetime
    created: datetime
    bookmark_ids: tuple[str, ...]


class Ledger:
    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(_SCHEMA)
            self.db.execute("SELECT slug, number, start, end, created, bookmarks FROM issues LIMIT 0")
            self.db.execute("SELECT issue, recipient, status, message_id, detail, at FROM deliveries LIMIT 0")
        except (sqlite3.Error, OSError) as exc:
            raise UserError(
                Problem(str(path), f"cannot use the send ledger: {exc}", hint=_hint(exc))
            ) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def issues(self) -> list[IssueRecord]:
        rows = self.db.execute(
            "SELECT slug, number, start, end, created, bookmarks FROM issues ORDER BY number"
        )
        return [_issue(row) for row in rows]

    def find_issue(self, slug: str) -> IssueRecord | None:
        return next((i for i in self.issues() if i.slug == slug), None)

    def record_issue(self, slug: str, start: datetime, end: datetime, created: datetime, ids) -> IssueRecord:
        """Record a new issue (numbered after the last) unless one with this slug exists."""
        with self._transaction():
            existing = self.find_issue(slug)
            if existing is not None:
                return existing
            (number,) = self.db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM issues").fetchone()
            self.db.execute(
                "INSERT INTO issues VALUES (?, ?, ?, ?, ?, ?)",
                (
                    slug,
                    number,
                    start.isoformat(),
                    end.isoformat(),
                    created.isoformat(),
                    json.dumps(list(ids)),
                ),
            )
        record = self.find_issue(slug)
        assert record is not None, "recorded in the transaction above"
        return record

    def deliveries(self, slug: str) -> dict[str, str]:
        """recipient address (lower case) -> status, for one issue."""
        rows = self.db.execute("SELECT recipient, status FROM deliveries WHERE issue = ?", (slug,))
        return dict(rows.fetchall())

    def record_delivery(
        self, slug: str, recipient: str, status: str, message_id: str, detail: str, at: datetime
    ):
        """One statement, so one commit: called right after the server's reply."""
        self.db.execute(
            "INSERT OR REPLACE INTO deliveries VALUES (?, ?, ?, ?, ?, ?)",
            (slug, recipient.lower(), status, message_id, detail, at.isoformat()),
        )

    def forget_failures(self, slug: str) -> int:
        """Drop the recorded refusals of one issue (`send --retry-failed`); how many there were."""
        with self._transaction():
            cursor = self.db.execute("DELETE FROM deliveries WHERE issue = ? AND status = 'failed'", (slug,))
        return cursor.rowcount

    def suppressed(self) -> dict[str, tuple[str, str]]:
        """address (lower case) -> (reason, when), for every suppressed address."""
        rows = self.db.execute("SELECT address, reason, at FROM suppressions ORDER BY address")
        return {address: (reason, at) for address, reason, at in rows}

    def suppress(self, address: str, reason: str, at: datetime) -> None:
        with self._transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO suppressions VALUES (?, ?, ?)",
                (address.lower(), reason, at.isoformat()),
            )

    def lift(self, address: str) -> bool:
        """Remove `address` from the suppressions; whether it was there."""
        with self._transaction():
            cursor = self.db.execute("DELETE FROM suppressions WHERE address = ?", (address.lower(),))
        return cursor.rowcount > 0

    def _transaction(self):
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type, *rest):
        self.db.execute("ROLLBACK" if exc_type else "COMMIT")


def _issue(row) -> IssueRecord:
    slug, number, start, end, created, ids = row
    return IssueRecord(
        slug,
        number,
        datetime.fromisoformat(start),
        datetime.fromisoformat(end),
        datetime.fromisoformat(created),
        tuple(json.loads(ids)),
    )
