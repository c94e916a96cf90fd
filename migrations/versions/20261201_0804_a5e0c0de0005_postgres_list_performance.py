"""register lists on PostgreSQL

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


def upgrade():
    pass


def downgrade():
    pass
