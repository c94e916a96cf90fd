"""materials catalogue (a slot kept for the materials catalogue; empty until it needs a change)

Revision ID: a9e0c0de0009
Revises: a8e0c0de0008
Create Date: 2026-12-01 11:09:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e0c0de0009'
down_revision = 'a8e0c0de0008'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
