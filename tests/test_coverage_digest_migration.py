"""Migration a9e0c0de0012: the outbox takes the weekly coverage digest (a message about a
week's Monday, with no follow-up), and a downgrade drops those rows and the kind."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from tests.livedb import crm_command, scratch_database

BEFORE = "a9e0c0de0011"
INSERT = (
    "INSERT INTO reminders (key, kind, follow_up_id, recipient_id, digest_day, remind_at, "
    "status, attempts, created_at) VALUES (:key, :kind, NULL, :user, :day, "
    "'2026-12-07 07:00:00', 'pending', 0, '2026-12-07 07:00:00')"
)


def test_the_weekly_digest_kind_up_and_down(database_url, tmp_path) -> None:
    with scratch_database(database_url, tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(CRM_ENV="development", CRM_DATABASE_URL=url)
        crm_command("db", "upgrade", BEFORE, env=env)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO users (id, email, full_name, role, password_hash, "
                        "is_active, session_token, calendar_token, password_changed_at, "
                        "created_at, updated_at, version) VALUES (1, 'c@example.org', 'C', "
                        "'coordinator', 'x', TRUE, 's', 'c', '2026-12-01 10:00:00', "
                        "'2026-12-01 10:00:00', '2026-12-01 10:00:00', 1)"
                    )
                )
                connection.execute(
                    sa.text(INSERT),
                    {
                        "key": "digest:1:2026-12-07",
                        "kind": "digest",
                        "user": 1,
                        "day": "2026-12-07",
                    },
                )
            # Refused before: SQLite by the CHECK, PostgreSQL by the column's length first.
            refused = (sa.exc.IntegrityError, sa.exc.DataError)
            with pytest.raises(refused), engine.begin() as connection:
                connection.execute(
                    sa.text(INSERT),
                    {
                        "key": "coverage:1:2026-W50",
                        "kind": "coverage-digest",
                        "user": 1,
                        "day": "2026-12-07",
                    },
                )
            crm_command("db", "upgrade", env=env)
            with engine.begin() as connection:
                connection.execute(
                    sa.text(INSERT),
                    {
                        "key": "coverage:1:2026-W50",
                        "kind": "coverage-digest",
                        "user": 1,
                        "day": "2026-12-07",
                    },
                )
            # Still about a day: a weekly digest without its Monday is refused.
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
                connection.execute(
                    sa.text(INSERT),
                    {
                        "key": "coverage:1:2026-W51",
                        "kind": "coverage-digest",
                        "user": 1,
                        "day": None,
                    },
                )
            crm_command("db", "downgrade", BEFORE, env=env)
            with engine.connect() as connection:
                kinds = connection.execute(sa.text("SELECT kind FROM reminders")).scalars().all()
            assert kinds == ["digest"]
        finally:
            engine.dispose()
