"""Writing the demo: rows buffered per table and inserted in chunks, with ids assigned here."""

from __future__ import annotations

from typing import Any, cast

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    Base,
    ConsentRecord,
    Event,
    EventOccurrence,
    EventParticipant,
    FollowUp,
    Material,
    Organisation,
    OrganisationLink,
    Person,
    Position,
    Reminder,
    Tag,
    Target,
)
from crm.models import Outreach as OutreachRecord
from crm.models.base import table_of

CHUNK_ROWS = 5_000

# Tables whose ids the generator assigns itself (PostgreSQL's sequences are moved past them).
_ID_TABLES: tuple[sa.Table, ...] = tuple(
    table_of(model)
    for model in (
        Tag,
        Material,
        Organisation,
        OrganisationLink,
        Person,
        Position,
        ConsentRecord,
        Event,
        EventParticipant,
        EventOccurrence,
        OutreachRecord,
        FollowUp,
        Reminder,
        Target,
    )
)


class _Writer:
    """Buffers rows per table and writes them in chunks, parent tables before their children.

    Every row of one table must carry the same keys: Core sends a chunk as one executemany.
    """

    def __init__(self, chunk_rows: int = CHUNK_ROWS) -> None:
        tables = Base.metadata.sorted_tables
        self._rank = {table.name: rank for rank, table in enumerate(tables)}
        self._tables = {table.name: table for table in tables}
        self._buffers: dict[str, list[dict[str, Any]]] = {}
        self._pending = 0
        self._chunk_rows = chunk_rows
        self.counts: dict[str, int] = {}

    def add(self, table: sa.FromClause, row: dict[str, Any]) -> None:
        self._buffers.setdefault(cast(sa.Table, table).name, []).append(row)
        self._pending += 1

    def flush_if_full(self) -> None:
        if self._pending >= 4 * self._chunk_rows:
            self.flush()

    def flush(self) -> None:
        for name in sorted(self._buffers, key=self._rank.__getitem__):
            rows = self._buffers[name]
            table = self._tables[name]
            for start in range(0, len(rows), self._chunk_rows):
                db.session.execute(sa.insert(table), rows[start : start + self._chunk_rows])
            self.counts[name] = self.counts.get(name, 0) + len(rows)
        self._buffers.clear()
        self._pending = 0
