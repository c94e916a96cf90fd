"""privacy: keyed hashes of every e-mail an erased person had

Revision ID: a1e0c0de0001
Revises: bf9e6db911c8
Create Date: 2026-12-01 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a1e0c0de0001'
down_revision = 'bf9e6db911c8'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
