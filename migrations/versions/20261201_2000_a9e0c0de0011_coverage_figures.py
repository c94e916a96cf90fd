"""coverage: the kept figures of the coverage view and the reference counts that move them

Revision ID: a9e0c0de0011
Revises: a9e0c0de0010
Create Date: 2026-12-01 20:00:00

The tables are filled by the application's own rebuild (crm.services.coverage.kept), run on
the migration's connection: the months of the records are days of the programme's zone
(CRM_TIMEZONE), which SQLite cannot compute in SQL.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e0c0de0011'
down_revision = 'a9e0c0de0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coverage_figures",
        sa.Column("period_key", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("axis", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("outreach", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("orgs_direct", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("orgs_indirect", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("people", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["commitment_items.id"],
            name=op.f("fk_coverage_figures_item_id_commitment_items"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "period_key", "item_id", "axis", "value", name=op.f("pk_coverage_figures")
        ),
    )
    op.create_table(
        "coverage_records",
        sa.Column("outreach_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month_key", sa.String(length=7), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("outreach_id", name=op.f("pk_coverage_records")),
    )
    op.create_table(
        "coverage_reach",
        sa.Column("member_type", sa.String(length=1), nullable=False),
        sa.Column("member_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month_key", sa.String(length=7), nullable=False),
        sa.Column("leaf_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "member_type", "member_id", "month_key", "leaf_id", "organisation_id", "kind",
            "country", "size", name=op.f("pk_coverage_reach"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "coverage_indirect",
        sa.Column("organisation_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("period_key", sa.String(length=24), nullable=False),
        sa.Column("item_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("size", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint(
            "organisation_id", "period_key", "item_id", name=op.f("pk_coverage_indirect")
        ),
        sqlite_with_rowid=False,
    )
    from crm.services.coverage import kept

    kept.rebuild(op.get_bind())


def downgrade():
    for table in ("coverage_indirect", "coverage_reach", "coverage_records", "coverage_figures"):
        op.drop_table(table)
