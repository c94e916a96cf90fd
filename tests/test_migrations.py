"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm.models import Base
from tests.livedb import scratch_database


def test_models_and_migrations_agree(app, db) -> None:  # noqa: ANN001
    context = MigrationContext.configure(
        db.session.connection(), opts={"compare_type": True, "compare_server_default": True}
    )
    differences = compare_metadata(context, Base.metadata)
    assert differences == [], (
        "models and migrations differ; draft a migration with `crm db migrate -m '...'`:\n"
        + "\n".join(map(str, differences))
    )


def test_every_table_has_named_constraints(app) -> None:  # noqa: ANN001
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


def test_checks_and_partial_indexes_match_the_models(app, db, database_url, tmp_path) -> None:  # noqa: ANN001
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
