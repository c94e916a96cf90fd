"""follow-ups due on a day or at a time in a zone; reminders as an outbox keyed per message; scheduler runs; digest hours

Revision ID: a8e0c0de0008
Revises: a7e0c0de0007
Create Date: 2026-12-01 13:40:00

The old ``reminders`` table is dropped and made anew: until now only ``crm demo`` wrote rows
into it (nothing planned or sent reminders), and its rows had no recipient or key. The
dispatcher plans the reminders of open follow-ups that have none, so nothing is lost.
Follow-ups already stored had only a UTC time: they keep it, read in UTC.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a8e0c0de0008'
down_revision = 'a7e0c0de0007'
branch_labels = None
depends_on = None

ACTIONS_BEFORE = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'retire', 'reinstate', 'password-change', 'demo'"
ACTIONS = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'retire', 'reinstate', 'complete', 'reopen', 'cancel', 'reassign', 'password-change', 'demo'"
STATUSES = ('pending', 'sending', 'sent', 'failed', 'cancelled')
KINDS = ('due', 'digest', 'assigned')


def _new_reminders():
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS, name='reminder_kind', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('follow_up_id', sa.Integer(), nullable=True),
        sa.Column('recipient_id', sa.Integer(), nullable=False),
        sa.Column('digest_day', sa.Date(), nullable=True),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='reminder_status', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('claimed_by', sa.String(length=200), nullable=True),
        sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('message_id', sa.String(length=250), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_reminders_attempts_not_negative')),
        sa.CheckConstraint("(kind = 'digest') = (digest_day IS NOT NULL)", name=op.f('ck_reminders_digest_has_a_day')),
        sa.CheckConstraint("(kind = 'digest') OR (follow_up_id IS NOT NULL)", name=op.f('ck_reminders_reminder_has_a_follow_up')),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name=op.f('ck_reminders_sent_when_sent')),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_reminders_follow_up_id_follow_ups'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_reminders_recipient_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
        sa.UniqueConstraint('key', name=op.f('uq_reminders_key')),
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_status_remind_at', ['status', 'remind_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_follow_up_id'), ['follow_up_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_recipient_id'), ['recipient_id'], unique=False)


def _old_reminders():
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('follow_up_id', sa.Integer(), nullable=False),
        sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='reminder_status', native_enum=False, create_constraint=True), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.CheckConstraint('attempts >= 0', name=op.f('ck_reminders_attempts_not_negative')),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_reminders_follow_up_id_follow_ups'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminders')),
        sa.UniqueConstraint('follow_up_id', 'remind_at', name=op.f('uq_reminders_follow_up_id_remind_at')),
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index('ix_reminders_status_remind_at', ['status', 'remind_at'], unique=False)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # First, so that rebuilding follow_ups on SQLite (a copy, then a drop of the old table)
    # cascades into nothing.
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_reminders_status_remind_at')
    op.drop_table('reminders')

    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_time', sa.Time(), nullable=True))
        batch_op.add_column(sa.Column('due_zone', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resulting_outreach_id', sa.Integer(), nullable=True))
    if sqlite:
        op.execute("UPDATE follow_ups SET due_zone = 'UTC', due_date = date(due_at), due_time = strftime('%H:%M:%S.000000', due_at)")
    else:
        op.execute("UPDATE follow_ups SET due_zone = 'UTC', due_date = CAST(due_at AT TIME ZONE 'UTC' AS DATE), due_time = CAST(due_at AT TIME ZONE 'UTC' AS TIME)")
    op.execute("UPDATE follow_ups SET cancelled_at = updated_at WHERE status = 'cancelled'")
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.alter_column('due_date', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('due_zone', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_check_constraint(op.f('ck_follow_ups_cancelled_when_cancelled'), "(status = 'cancelled') = (cancelled_at IS NOT NULL)")
        batch_op.create_index('ix_follow_ups_assignee_status_due_at', ['assignee_id', 'status', 'due_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_follow_ups_resulting_outreach_id_outreach_records'), 'outreach_records', ['resulting_outreach_id'], ['id'], ondelete='SET NULL')

    _new_reminders()

    op.create_table(
        'follow_up_subitems',
        sa.Column('follow_up_id', sa.Integer(), nullable=False),
        sa.Column('commitment_item_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commitment_item_id'], ['commitment_items.id'], name=op.f('fk_follow_up_subitems_commitment_item_id_commitment_items'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['follow_up_id'], ['follow_ups.id'], name=op.f('fk_follow_up_subitems_follow_up_id_follow_ups'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('follow_up_id', 'commitment_item_id', name=op.f('pk_follow_up_subitems')),
    )
    with op.batch_alter_table('follow_up_subitems', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follow_up_subitems_commitment_item_id'), ['commitment_item_id'], unique=False)

    op.create_table(
        'scheduler_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=80), nullable=False),
        sa.Column('runner', sa.String(length=200), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduler_runs')),
    )
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scheduler_runs_started_at'), ['started_at'], unique=False)

    # users is never rebuilt on SQLite: dropping its old copy would fire the ON DELETE of
    # every table that points at it. ADD COLUMN takes the named CHECK in place.
    if sqlite:
        op.execute("ALTER TABLE users ADD COLUMN digest_hour SMALLINT DEFAULT 8 CONSTRAINT ck_users_digest_hour_of_the_day CHECK (digest_hour BETWEEN 0 AND 23)")
    else:
        op.add_column('users', sa.Column('digest_hour', sa.SmallInteger(), server_default=sa.text('8'), nullable=True))
        op.create_check_constraint(op.f('ck_users_digest_hour_of_the_day'), 'users', 'digest_hour BETWEEN 0 AND 23')

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS})')


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute("DELETE FROM audit_log WHERE action IN ('complete', 'reopen', 'cancel', 'reassign')")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS_BEFORE})')
    if sqlite:
        op.execute('ALTER TABLE users DROP COLUMN digest_hour')
    else:
        op.drop_constraint(op.f('ck_users_digest_hour_of_the_day'), 'users', type_='check')
        op.drop_column('users', 'digest_hour')
    with op.batch_alter_table('scheduler_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scheduler_runs_started_at'))
    op.drop_table('scheduler_runs')
    with op.batch_alter_table('follow_up_subitems', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_up_subitems_commitment_item_id'))
    op.drop_table('follow_up_subitems')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_recipient_id'))
        batch_op.drop_index(batch_op.f('ix_reminders_follow_up_id'))
        batch_op.drop_index('ix_reminders_status_remind_at')
    op.drop_table('reminders')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_follow_ups_resulting_outreach_id_outreach_records'), type_='foreignkey')
        batch_op.drop_index('ix_follow_ups_assignee_status_due_at')
        batch_op.drop_constraint(op.f('ck_follow_ups_cancelled_when_cancelled'), type_='check')
        batch_op.drop_column('resulting_outreach_id')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('due_zone')
        batch_op.drop_column('due_time')
        batch_op.drop_column('due_date')
    _old_reminders()
