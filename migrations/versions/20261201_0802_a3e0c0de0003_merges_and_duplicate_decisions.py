"""register: merged_into_id and pairs marked not a duplicate

Revision ID: a3e0c0de0003
Revises: a2e0c0de0002
Create Date: 2026-12-01 08:02:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3e0c0de0003'
down_revision = 'a2e0c0de0002'
branch_labels = None
depends_on = None


def upgrade():
    # A plain column, no foreign key: on SQLite a foreign key could only be added by copying
    # the table and dropping the old one, and with foreign keys on, dropping people or
    # organisations cascades to their positions, links and consents. Records of the register
    # are never deleted for good (soft delete, erasure anonymises), so the id stays valid.
    for table in ("people", "organisations"):
        op.add_column(table, sa.Column("merged_into_id", sa.Integer(), nullable=True))
    op.create_table(
        "duplicate_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "person",
                "organisation",
                name="duplicate_kind",
                native_enum=False,
                create_constraint=True,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_id < second_id", name=op.f("ck_duplicate_decisions_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_duplicate_decisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_decisions")),
        sa.UniqueConstraint(
            "kind",
            "first_id",
            "second_id",
            name=op.f("uq_duplicate_decisions_kind_first_id_second_id"),
        ),
    )


def downgrade():
    op.drop_table("duplicate_decisions")
    for table in ("organisations", "people"):
        # Not through a batch, for the reason given in upgrade().
        op.execute(f"ALTER TABLE {table} DROP COLUMN merged_into_id")
