"""Migration a1e0c0de0001: the erased e-mail hashes move into their own table, and nothing else
of the people's data goes with the old column."""

from __future__ import annotations

import os

import sqlalchemy as sa

from tests.livedb import crm_command, scratch_database

BEFORE = "bf9e6db911c8"
COUNT_CHILDREN = sa.text(
    "SELECT (SELECT count(*) FROM positions), (SELECT count(*) FROM person_tags), "
    "(SELECT count(*) FROM outreach_people)"
)


def test_erased_email_hashes_move_into_their_table(database_url, tmp_path) -> None:
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
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "UPDATE people SET erased_at = updated_at, first_name = '', "
                        "last_name = '', email = NULL, erased_email_hash = 'h' || id "
                        "WHERE id % 7 = 0"
                    )
                )
                erased = set(
                    connection.execute(
                        sa.text("SELECT id, erased_email_hash FROM people WHERE id % 7 = 0")
                    )
                )
                children = connection.execute(COUNT_CHILDREN).one()
            assert len(erased) > 3 and children[0] > 0
            crm_command("db", "upgrade", env=env)
            with engine.connect() as connection:
                moved = set(
                    connection.execute(
                        sa.text("SELECT person_id, email_hash FROM erased_email_hashes")
                    )
                )
                assert moved == erased
                # The column went in place: no cascade emptied the people's other tables.
                assert connection.execute(COUNT_CHILDREN).one() == children
                assert "erased_email_hash" not in {
                    c["name"] for c in sa.inspect(connection).get_columns("people")
                }
            crm_command("db", "downgrade", BEFORE, env=env)
            with engine.connect() as connection:
                back = set(
                    connection.execute(
                        sa.text(
                            "SELECT id, erased_email_hash FROM people "
                            "WHERE erased_email_hash IS NOT NULL"
                        )
                    )
                )
                assert back == erased
                assert connection.execute(COUNT_CHILDREN).one() == children
        finally:
            engine.dispose()
