"""register lists on PostgreSQL: the name-order indexes hold live, unerased people

Revision ID: a5e0c0de0005
Revises: a4e0c0de0004
Create Date: 2026-12-01 08:04:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a5e0c0de0005'
down_revision = 'a4e0c0de0004'
branch_labels = None
depends_on = None


LIVE = "deleted_at IS NULL AND erased_at IS NULL"
LIVE_BEFORE = "deleted_at IS NULL"
INDEXES = {
    "ix_people_live_sort_name": ["sort_name", "id"],
    "ix_people_live_country_sort_name": ["country_code", "sort_name", "id"],
}


def _recreate(where):
    # Plain index operations, no batch: a batch on SQLite would copy the people table, and
    # dropping the old copy would cascade to every position and consent.
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="people")
        op.create_index(
            name, "people", columns, unique=False,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def upgrade():
    _recreate(LIVE)


def downgrade():
    _recreate(LIVE_BEFORE)
