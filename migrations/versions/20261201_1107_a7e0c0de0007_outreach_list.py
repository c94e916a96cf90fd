"""outreach list: the time index of live records and the facets of the list's filters

Revision ID: a7e0c0de0007
Revises: a6e0c0de0006
Create Date: 2026-12-01 11:07:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a7e0c0de0007'
down_revision = 'a6e0c0de0006'
branch_labels = None
depends_on = None


LIVE = "deleted_at IS NULL"
DELETED = "deleted_at IS NOT NULL"
INDEXES = {
    # name: (columns, condition)
    "ix_outreach_records_live_occurred_at": (["occurred_at", "id"], LIVE),
    "ix_outreach_records_live_logged_by_occurred_at": (
        ["logged_by_id", "occurred_at", "id"], LIVE
    ),
    "ix_outreach_records_live_channel_occurred_at": (["channel", "occurred_at", "id"], LIVE),
    "ix_outreach_records_deleted_occurred_at": (["occurred_at", "id"], DELETED),
}

# The facets of the records already logged (crm.services.outreach.facets keeps them
# current from now on; this is its rebuild as it stood when the table was made).
REACHED = """
    SELECT outreach_id, organisation_id FROM outreach_organisations
    UNION
    SELECT outreach_id, organisation_id FROM outreach_people WHERE organisation_id IS NOT NULL
"""
FILL = (
    """
    INSERT INTO outreach_facets (facet, occurred_at, outreach_id)
    WITH RECURSIVE up (leaf_id, item_id) AS (
        SELECT id, id FROM commitment_items
        UNION ALL
        SELECT up.leaf_id, above.parent_id FROM up
        JOIN commitment_items AS above ON above.id = up.item_id
        WHERE above.parent_id IS NOT NULL
    )
    SELECT DISTINCT 'i:' || CAST(up.item_id AS VARCHAR), r.occurred_at, r.id
    FROM outreach_records AS r
    JOIN outreach_subitems AS s ON s.outreach_id = r.id
    JOIN up ON up.leaf_id = s.commitment_item_id
    WHERE r.deleted_at IS NULL
    """,
    f"""
    INSERT INTO outreach_facets (facet, occurred_at, outreach_id)
    SELECT DISTINCT 'c:' || o.country_code, r.occurred_at, r.id
    FROM outreach_records AS r
    JOIN ({REACHED}) AS reached ON reached.outreach_id = r.id
    JOIN organisations AS o ON o.id = reached.organisation_id
    WHERE o.country_code IS NOT NULL AND r.deleted_at IS NULL
    """,
    f"""
    INSERT INTO outreach_facets (facet, occurred_at, outreach_id)
    SELECT DISTINCT 'k:' || o.kind, r.occurred_at, r.id
    FROM outreach_records AS r
    JOIN ({REACHED}) AS reached ON reached.outreach_id = r.id
    JOIN organisations AS o ON o.id = reached.organisation_id
    WHERE r.deleted_at IS NULL
    """,
    f"""
    INSERT INTO outreach_facets (facet, occurred_at, outreach_id)
    SELECT DISTINCT 'i:' || CAST(s.commitment_item_id AS VARCHAR) || ' c:' || o.country_code,
        r.occurred_at, r.id
    FROM outreach_records AS r
    JOIN outreach_subitems AS s ON s.outreach_id = r.id
    JOIN ({REACHED}) AS reached ON reached.outreach_id = r.id
    JOIN organisations AS o ON o.id = reached.organisation_id
    WHERE o.country_code IS NOT NULL AND r.deleted_at IS NULL
    """,
)


def upgrade():
    # Plain index operations, no batch: a batch on SQLite would copy outreach_records, and
    # dropping the old copy would cascade to every link of every record.
    for name, (columns, where) in INDEXES.items():
        op.create_index(
            name, "outreach_records", columns, unique=False,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )
    op.create_table(
        "outreach_facets",
        sa.Column("facet", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outreach_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["outreach_id"], ["outreach_records.id"],
            name=op.f("fk_outreach_facets_outreach_id_outreach_records"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "facet", "occurred_at", "outreach_id", name=op.f("pk_outreach_facets")
        ),
        sqlite_with_rowid=False,
    )
    op.create_index(
        op.f("ix_outreach_facets_outreach_id"), "outreach_facets", ["outreach_id"], unique=False
    )
    for statement in FILL:
        op.execute(statement)


def downgrade():
    op.drop_index(op.f("ix_outreach_facets_outreach_id"), table_name="outreach_facets")
    op.drop_table("outreach_facets")
    for name in INDEXES:
        op.drop_index(name, table_name="outreach_records")
