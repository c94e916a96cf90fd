"""audit: actions as an enum

Revision ID: a4e0c0de0004
Revises: a3e0c0de0003
Create Date: 2026-12-01 08:03:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4e0c0de0004'
down_revision = 'a3e0c0de0003'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
