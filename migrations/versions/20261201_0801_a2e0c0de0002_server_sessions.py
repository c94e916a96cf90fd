"""sign-in: server-side sessions and the per-account-and-address throttle

Revision ID: a2e0c0de0002
Revises: a1e0c0de0001
Create Date: 2026-12-01 08:01:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a2e0c0de0002'
down_revision = 'a1e0c0de0001'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
