"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm.models import Base
from tests.livedb import scratch_database


def test_models_and_migrations_agree(app, db) -> None:
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "compare_server_default": True}
    )
    differences = compare_metadata(context, Base.metadata)
    assert differences == [], (
        "models and migrations differ; draft a migration with `crm db migrate -m '...'`:\n"
        + "\n".join(map(str, differences))
    )


def test_every_table_has_named_constraints(app) -> None:
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            assert constraint.name, f"{table.name} has an unnamed constraint {constraint!r}"


def _constraints_and_indexes(connection: sa.Connection) -> dict[str, object]:
    """What Alembic's comparison does not look at: CHECK constraints (our enums among them)
    and the predicates of partial indexes."""
    inspector = sa.inspect(connection)
    shape: dict[str, object] = {}
    for table in sorted(inspector.get_table_names()):
        if table == "alembic_version":
            continue
        checks = sorted(
            (c["name"], " ".join(c["sqltext"].split()))
            for c in inspector.get_check_constraints(table)
        )
        indexes = sorted(
            (
                i["name"],
                tuple(i["column_names"]),
                bool(i["unique"]),
                repr(sorted((k, str(v)) for k, v in i.get("dialect_options", {}).items())),
            )
            for i in inspector.get_indexes(table)
        )
        shape[table] = {"checks": checks, "indexes": indexes}
    return shape


def test_checks_and_partial_indexes_match_the_models(app, db, database_url, tmp_path) -> None:
    migrated = _constraints_and_indexes(db.session.connection())
    with scratch_database(database_url, tmp_path) as url:
        engine = sa.create_engine(url)
        try:
            Base.metadata.create_all(engine)
            with engine.connect() as connection:
                from_models = _constraints_and_indexes(connection)
        finally:
            engine.dispose()
    assert migrated["users"]["checks"], "no CHECK constraints reflected: the test sees nothing"
    assert migrated == from_models


@pytest.mark.slow  # migrates a scratch database step by step
def test_search_index_migration_gives_what_a_rebuild_gives(database_url, tmp_path) -> None:
    """bf9e6db911c8 converts the old index (own words of every record) in SQL and fills the
    people's sort names: the result must equal a rebuild from the register."""
    import os

    from crm.services.search_index import terms_of
    from crm.services.text import person_name_keys
    from tests.livedb import crm_command

    with scratch_database(database_url, tmp_path) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
        env.update(CRM_ENV="development", CRM_DATABASE_URL=url)
        crm_command("db", "upgrade", env=env)
        crm_command("seed", env=env)
        crm_command("demo", "--password", "migration test 1", env=env)
        crm_command("db", "downgrade", "c454a4ed274d", env=env)
        engine = sa.create_engine(url)
        try:
            with engine.begin() as connection:
                # Some deleted and erased records, and the index as the old code kept it.
                connection.execute(
                    sa.text("UPDATE people SET deleted_at = updated_at WHERE id % 23 = 0")
                )
                connection.execute(
                    sa.text(
                        "UPDATE people SET erased_at = updated_at, first_name = '', "
                        "last_name = '', email = NULL WHERE id % 31 = 0"
                    )
                )
                connection.execute(
                    sa.text("UPDATE organisations SET deleted_at = updated_at WHERE id % 17 = 0")
                )
                connection.execute(sa.text("DELETE FROM search_terms"))
                old = [
                    {"e": "person", "i": i, "t": t}
                    for i, first, last, email in connection.execute(
                        sa.text("SELECT id, first_name, last_name, email FROM people")
                    )
                    for t in terms_of(first, last, email)
                ] + [
                    {"e": "organisation", "i": i, "t": t}
                    for i, name, acronym, email in connection.execute(
                        sa.text("SELECT id, name, acronym, email FROM organisations")
                    )
                    for t in terms_of(name, acronym, email)
                ]
                connection.execute(
                    sa.text(
                        "INSERT INTO search_terms (entity, entity_id, term) VALUES (:e, :i, :t)"
                    ),
                    old,
                )
            crm_command("db", "upgrade", env=env)
            read = sa.text("SELECT entity, entity_id, term, sort_key FROM search_terms")
            with engine.connect() as connection:
                migrated = set(connection.execute(read))
                people = connection.execute(
                    sa.text("SELECT first_name, last_name, sort_name FROM people")
                ).all()
            crm_command("reindex", env=env)
            with engine.connect() as connection:
                rebuilt = set(connection.execute(read))
        finally:
            engine.dispose()
    assert len(migrated) > 10_000 and migrated == rebuilt
    assert all(person_name_keys(f, last)["sort_name"] == s for f, last, s in people)
