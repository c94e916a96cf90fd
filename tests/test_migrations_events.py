"""Migration a9e0c0de0009: events get UIDs, SEQUENCE and their cancellation time, and nothing
that points at them is lost when SQLite rebuilds the table (up and down)."""

from __future__ import annotations

import os

import sqlalchemy as sa

from tests.livedb import crm_command, scratch_database

BEFORE = "a8e0c0de0008"
LINKS = {
    "subitems": "SELECT event_id, commitment_item_id FROM event_subitems",
    "participants": (
        "SELECT id, event_id, person_id, organisation_id, role, attendance, version "
        "FROM event_participants"
    ),
    "outreach": "SELECT id, event_id FROM outreach_records WHERE event_id IS NOT NULL",
    "follow_ups": "SELECT id, event_id FROM follow_ups WHERE event_id IS NOT NULL",
}


def _links(connection: sa.Connection) -> dict[str, set[tuple[object, ...]]]:
    return {name: set(connection.execute(sa.text(sql))) for name, sql in LINKS.items()}


def test_events_keep_their_links_up_and_down(database_url, tmp_path) -> None:
    with scratch_database(database_url, tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(CRM_ENV="development", CRM_DATABASE_URL=url)
        # The demo writes today's schema: it is loaded at the head, then taken back.
        crm_command("db", "upgrade", env=env)
        crm_command("seed", env=env)
        crm_command("demo", "--password", "migration test 1", env=env)
        crm_command("db", "downgrade", BEFORE, env=env)
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                before = _links(connection)
                cancelled = set(
                    connection.execute(
                        sa.text("SELECT id, updated_at FROM events WHERE status = 'cancelled'")
                    )
                )
                events = connection.scalar(sa.text("SELECT count(*) FROM events"))
            assert all(len(rows) > 5 for rows in before.values()), before
            assert cancelled
            crm_command("db", "upgrade", env=env)
            with engine.connect() as connection:
                assert _links(connection) == before
                rows = connection.execute(
                    sa.text(
                        "SELECT id, uid, sequence, description_format, cancelled_at FROM events"
                    )
                ).all()
                assert len(rows) == events
                assert all(uid == f"event-{i}@mts-crm" for i, uid, _s, _f, _c in rows)
                assert {(s, f) for _i, _u, s, f, _c in rows} == {(0, "text")}
                assert {(i, c) for i, _u, _s, _f, c in rows if c is not None} == cancelled
                assert connection.scalar(sa.text("SELECT count(*) FROM event_occurrences")) == 0
            crm_command("db", "downgrade", BEFORE, env=env)
            with engine.connect() as connection:
                assert _links(connection) == before
                columns = {c["name"] for c in sa.inspect(connection).get_columns("events")}
                assert not {"uid", "sequence", "cancelled_at", "recurrence"} & columns
                assert "event_occurrences" not in sa.inspect(connection).get_table_names()
        finally:
            engine.dispose()
