"""The migrations build exactly the schema the models describe, on the database under test."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from crm.models import Base


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
