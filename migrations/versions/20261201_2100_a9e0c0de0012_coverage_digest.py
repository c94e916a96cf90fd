"""reminders: the weekly coverage digest (kind coverage-digest), a message about a week, not a follow-up

Revision ID: a9e0c0de0012
Revises: a9e0c0de0011
Create Date: 2026-12-01 21:00:00

The kind column grows to the new value's length; the digest checks take the new kind as
one about a day (its week's Monday) with no follow-up. A downgrade drops the weekly
digests' rows: they are a week's messages, planned again by the dispatcher if it comes back.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e0c0de0012'
down_revision = 'a9e0c0de0011'
branch_labels = None
depends_on = None

OLD_KINDS = ('due', 'digest', 'assigned')
NEW_KINDS = ('due', 'digest', 'assigned', 'coverage-digest')
OLD_DAY_KINDS = "kind = 'digest'"
NEW_DAY_KINDS = "kind IN ('digest', 'coverage-digest')"


def _kinds(values):
    return 'kind IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def _checks(batch_op, kinds, day_kinds, length, old_length):
    batch_op.drop_constraint(op.f('ck_reminders_reminder_kind'), type_='check')
    batch_op.drop_constraint(op.f('ck_reminders_digest_has_a_day'), type_='check')
    batch_op.drop_constraint(op.f('ck_reminders_reminder_has_a_follow_up'), type_='check')
    batch_op.alter_column(
        'kind', existing_type=sa.String(length=old_length), type_=sa.String(length=length),
        existing_nullable=False,
    )
    batch_op.create_check_constraint('reminder_kind', _kinds(kinds))
    batch_op.create_check_constraint('digest_has_a_day', f"({day_kinds}) = (digest_day IS NOT NULL)")
    batch_op.create_check_constraint(
        'reminder_has_a_follow_up', f"({day_kinds}) OR (follow_up_id IS NOT NULL)"
    )


def upgrade():
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        _checks(batch_op, NEW_KINDS, NEW_DAY_KINDS, 15, 8)


def downgrade():
    op.execute("DELETE FROM reminders WHERE kind = 'coverage-digest'")
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        _checks(batch_op, OLD_KINDS, OLD_DAY_KINDS, 8, 15)
