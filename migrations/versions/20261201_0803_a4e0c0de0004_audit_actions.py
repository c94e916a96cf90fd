"""audit: actions as an enum; an index of restricted people

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


ACTIONS = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'password-change', 'demo'"


def upgrade():
    # audit_log is referenced by no other table, so the batch copy on SQLite loses nothing.
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.alter_column(
            'action', existing_type=sa.String(length=40), type_=sa.String(length=16),
            existing_nullable=False,
        )
        batch_op.create_check_constraint(
            op.f('ck_audit_log_audit_action'), f"action IN ({ACTIONS})"
        )
    # Created outside a batch: a batch on SQLite would copy the people table, and dropping
    # the old copy would cascade to every position and consent.
    op.create_index(
        'ix_people_restricted', 'people', ['id'], unique=False,
        sqlite_where=sa.text('is_restricted = 1'), postgresql_where=sa.text('is_restricted'),
    )


def downgrade():
    op.drop_index('ix_people_restricted', table_name='people')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.alter_column(
            'action', existing_type=sa.String(length=16), type_=sa.String(length=40),
            existing_nullable=False,
        )
