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
    pass


def downgrade():
    pass
