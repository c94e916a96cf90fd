"""outreach list (a slot kept for the outreach list; empty until it needs a change)

Revision ID: a8e0c0de0008
Revises: a7e0c0de0007
Create Date: 2026-12-01 11:08:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8e0c0de0008'
down_revision = 'a7e0c0de0007'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
