"""outreach rules (a slot kept for the outreach services; empty until it needs a change)

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


def upgrade():
    pass


def downgrade():
    pass
