"""A digest of every table of a SQLite file, to prove that a change leaves ``crm demo`` alone.

    python -m tests.demo.digest before.sqlite3 > before.txt   # crm demo with the old code
    python -m tests.demo.digest after.sqlite3 > after.txt     # the same day, seed and scale
    diff before.txt after.txt

Rows are read in id order (all columns where a table has no id). Columns that differ between
two runs of the same code are left out: salted password hashes, random tokens and wall-clock
times (the audit log's ``at``, the timestamps of the seeded framework and materials), and the
times of the follow-ups the demo makes due in the hours after it ran (and of their
reminders), which follow the clock. The calendar is anchored on today, so compare runs made
on the same day.
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys

VARYING = {
    ("users", "password_hash"),
    ("users", "session_token"),
    ("users", "calendar_token"),
    ("audit_log", "at"),
    ("frameworks", "created_at"),
    ("frameworks", "updated_at"),
    ("commitment_items", "created_at"),
    ("commitment_items", "updated_at"),
    # The programme's own materials are created by crm seed, at the time it runs.
    ("materials", "created_at"),
    ("materials", "updated_at"),
}
# Columns that follow the clock in some rows only: the follow-ups due soon after the run
# (marked by their note, crm.demo.followups.SOON_NOTE) and their reminders.
SOON = "follow_up_id IN (SELECT id FROM follow_ups WHERE notes LIKE 'Planned by crm demo%')"
CLOCKED = {
    ("follow_ups", "due_at"): "notes LIKE 'Planned by crm demo%'",
    ("follow_ups", "due_date"): "notes LIKE 'Planned by crm demo%'",
    ("follow_ups", "due_time"): "notes LIKE 'Planned by crm demo%'",
    ("follow_ups", "created_at"): "notes LIKE 'Planned by crm demo%'",
    ("follow_ups", "updated_at"): "notes LIKE 'Planned by crm demo%'",
    ("reminders", "key"): SOON,
    ("reminders", "remind_at"): SOON,
    ("reminders", "created_at"): SOON,
}


def table_digests(path: str) -> dict[str, tuple[int, str]]:
    """Rows and SHA-256 of each table, by table name."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    names = [
        name
        for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    digests = {}
    for name in names:
        columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{name}")')]
        kept = ", ".join(
            f'CASE WHEN {CLOCKED[name, column]} THEN NULL ELSE "{column}" END'
            if (name, column) in CLOCKED
            else f'"{column}"'
            for column in columns
            if (name, column) not in VARYING
        )
        order = "id" if "id" in columns else ", ".join(f'"{column}"' for column in columns)
        digest, rows = hashlib.sha256(), 0
        for row in connection.execute(f'SELECT {kept} FROM "{name}" ORDER BY {order}'):
            digest.update(repr(row).encode())
            rows += 1
        digests[name] = (rows, digest.hexdigest())
    connection.close()
    return digests


def main() -> None:
    digests = table_digests(sys.argv[1])
    everything = hashlib.sha256()
    for name, (rows, digest) in digests.items():
        everything.update(f"{name}:{digest}".encode())
        print(f"{name:32} {rows:8} {digest}")
    print(f"{'all tables':32} {'':8} {everything.hexdigest()}")


if __name__ == "__main__":
    main()
