"""events: stable UIDs, SEQUENCE, cancellation time, description format, series and their overridden occurrences; hashed follow-up feed tokens

Revision ID: a9e0c0de0009
Revises: a8e0c0de0008
Create Date: 2026-12-01 17:00:00

Events stored so far get the UID ``event-<id>@mts-crm`` (new ones a random one), SEQUENCE 0,
and, when cancelled, their last update as the time they were cancelled.

On SQLite, making ``uid`` NOT NULL and adding table CHECKs rebuilds ``events`` (a copy, then a
drop of the old table). Foreign keys are on and cannot be switched off inside the migration's
transaction, so the drop would delete every event's sub-items and participants (ON DELETE
CASCADE) and unlink its outreach and follow-ups (SET NULL): those links are kept in temporary
tables around the rebuild and put back after it. PostgreSQL alters the table in place.
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e0c0de0009'
down_revision = 'a8e0c0de0008'
branch_labels = None
depends_on = None

ACTIONS_BEFORE = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'retire', 'reinstate', 'complete', 'reopen', 'cancel', 'reassign', 'password-change', 'demo'"
NEW_ACTIONS = "'postpone', 'cancel-occurrence', 'move-occurrence', 'restore-occurrence', 'add-participant', 'update-participant', 'remove-participant', 'feed-token', 'revoke-feed-token'"
ACTIONS = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'retire', 'reinstate', 'complete', 'reopen', 'cancel', 'reassign', 'postpone', 'cancel-occurrence', 'move-occurrence', 'restore-occurrence', 'add-participant', 'update-participant', 'remove-participant', 'feed-token', 'revoke-feed-token', 'password-change', 'demo'"

EVENT_CHECKS = (
    ('ck_events_description_format', "description_format IN ('text', 'markdown')"),
    ('ck_events_recurrence_freq', "recurrence IN ('weekly', 'monthly')"),
    ('ck_events_recurrence_interval', 'recurrence_interval BETWEEN 1 AND 12'),
    ('ck_events_recurrence_count', 'recurrence_count IS NULL OR recurrence_count BETWEEN 2 AND 200'),
    ('ck_events_series_ends', '(recurrence IS NULL AND recurrence_until IS NULL AND recurrence_count IS NULL) OR (recurrence IS NOT NULL AND (recurrence_until IS NULL) <> (recurrence_count IS NULL))'),
    ('ck_events_cancelled_when_cancelled', "(status = 'cancelled') = (cancelled_at IS NOT NULL)"),
)

# What points at events: kept around a rebuild of the table on SQLite (see above).
_LINK_TABLES = (('event_subitems', 'keep_event_subitems'), ('event_participants', 'keep_event_participants'))
_LINK_COLUMNS = (('outreach_records', 'keep_outreach_events'), ('follow_ups', 'keep_follow_up_events'))


def _keep_event_links():
    for table, kept in _LINK_TABLES:
        op.execute(f'CREATE TEMP TABLE {kept} AS SELECT * FROM {table}')
    for table, kept in _LINK_COLUMNS:
        op.execute(f'CREATE TEMP TABLE {kept} AS SELECT id, event_id FROM {table} WHERE event_id IS NOT NULL')


def _restore_event_links():
    for table, kept in _LINK_TABLES:
        # The rebuild's drop of the old table deleted them; any left over (none) would clash.
        op.execute(f'DELETE FROM {table}')
        op.execute(f'INSERT INTO {table} SELECT * FROM {kept}')
        op.execute(f'DROP TABLE {kept}')
    for table, kept in _LINK_COLUMNS:
        op.execute(f'UPDATE {table} SET event_id = (SELECT k.event_id FROM {kept} k WHERE k.id = {table}.id) WHERE id IN (SELECT id FROM {kept})')
        op.execute(f'DROP TABLE {kept}')


def _fill_spans(sqlite):
    """The span of every stored event (none is a series yet): its own times, an all-day one
    from midnight to midnight in its zone. Zones are read here, not in SQL, which SQLite
    cannot."""
    bind = op.get_bind()
    rows = bind.execute(sa.text('SELECT id, is_all_day, starts_at, ends_at, start_date, end_date, timezone FROM events')).all()
    spans = []
    for event_id, all_day, starts_at, ends_at, start_date, end_date, zone_name in rows:
        if all_day:
            zone = ZoneInfo(zone_name)
            first, last = (_as_date(start_date), _as_date(end_date) + timedelta(days=1))
            starts = datetime.combine(first, time(0), tzinfo=zone).astimezone(timezone.utc)
            ends = datetime.combine(last, time(0), tzinfo=zone).astimezone(timezone.utc)
        else:
            starts, ends = _as_utc(starts_at), _as_utc(ends_at)
        if sqlite:  # naive UTC, as the models store it there
            starts, ends = starts.replace(tzinfo=None), ends.replace(tzinfo=None)
        spans.append({'i': event_id, 's': starts, 'e': ends})
    if spans:
        update = sa.text('UPDATE events SET span_starts_at = :s, span_ends_at = :e WHERE id = :i').bindparams(
            sa.bindparam('s', type_=sa.DateTime(timezone=True)), sa.bindparam('e', type_=sa.DateTime(timezone=True))
        )
        bind.execute(update, spans)


def _as_date(value):
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _as_utc(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # Added nullable and filled first: the rebuild (SQLite) or ALTER (PostgreSQL) below makes
    # uid NOT NULL and checks cancelled_at against the status.
    op.add_column('events', sa.Column('uid', sa.String(length=255), nullable=True))
    op.add_column('events', sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('events', sa.Column('span_starts_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('events', sa.Column('span_ends_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE events SET uid = 'event-' || id || '@mts-crm'")
    _fill_spans(sqlite)
    op.execute("UPDATE events SET cancelled_at = updated_at WHERE status = 'cancelled'")
    if sqlite:
        _keep_event_links()
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.alter_column('uid', existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column('span_starts_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('span_ends_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_events_span_starts_at'), ['span_starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_span_ends_at'), ['span_ends_at'], unique=False)
        batch_op.add_column(sa.Column('description_format', sa.String(length=8), server_default='text', nullable=False))
        batch_op.add_column(sa.Column('sequence', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('recurrence', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('recurrence_interval', sa.Integer(), server_default=sa.text('1'), nullable=False))
        batch_op.add_column(sa.Column('recurrence_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_count', sa.Integer(), nullable=True))
        for name, condition in EVENT_CHECKS:
            batch_op.create_check_constraint(op.f(name), condition)
        batch_op.create_index('uq_events_uid', ['uid'], unique=True)
    if sqlite:
        _restore_event_links()

    op.create_table(
        'event_occurrences',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('original_start', sa.DateTime(timezone=True), nullable=True),
        sa.Column('original_date', sa.Date(), nullable=True),
        sa.Column('is_cancelled', sa.Boolean(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('start_date', sa.Date(), nullable=True),
        sa.Column('end_date', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('(original_start IS NULL) <> (original_date IS NULL)', name=op.f('ck_event_occurrences_one_original')),
        sa.CheckConstraint('(starts_at IS NULL) = (ends_at IS NULL) AND (start_date IS NULL) = (end_date IS NULL) AND (ends_at IS NULL OR ends_at >= starts_at) AND (end_date IS NULL OR end_date >= start_date)', name=op.f('ck_event_occurrences_moved_consistent')),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_occurrences_event_id_events'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_event_occurrences')),
        sa.UniqueConstraint('event_id', 'original_date', name=op.f('uq_event_occurrences_event_id_original_date')),
        sa.UniqueConstraint('event_id', 'original_start', name=op.f('uq_event_occurrences_event_id_original_start')),
    )
    with op.batch_alter_table('event_occurrences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_occurrences_event_id'), ['event_id'], unique=False)

    # users is never rebuilt on SQLite (see a8e0c0de0008): plain ADD COLUMN and an index.
    op.add_column('users', sa.Column('feed_token_hash', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('feed_token_created_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index('uq_users_feed_token_hash', 'users', ['feed_token_hash'], unique=True)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.alter_column('action', existing_type=sa.String(length=16), type_=sa.String(length=18), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS})')


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.execute(f'DELETE FROM audit_log WHERE action IN ({NEW_ACTIONS})')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.alter_column('action', existing_type=sa.String(length=18), type_=sa.String(length=16), existing_nullable=False)
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS_BEFORE})')

    op.drop_index('uq_users_feed_token_hash', table_name='users')
    op.drop_column('users', 'feed_token_created_at')
    op.drop_column('users', 'feed_token_hash')

    with op.batch_alter_table('event_occurrences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_occurrences_event_id'))
    op.drop_table('event_occurrences')

    if sqlite:
        _keep_event_links()
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('uq_events_uid')
        batch_op.drop_index(batch_op.f('ix_events_span_ends_at'))
        batch_op.drop_index(batch_op.f('ix_events_span_starts_at'))
        for name, _condition in reversed(EVENT_CHECKS):
            batch_op.drop_constraint(op.f(name), type_='check')
        batch_op.drop_column('recurrence_count')
        batch_op.drop_column('recurrence_until')
        batch_op.drop_column('recurrence_interval')
        batch_op.drop_column('recurrence')
        batch_op.drop_column('sequence')
        batch_op.drop_column('description_format')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('uid')
        batch_op.drop_column('span_ends_at')
        batch_op.drop_column('span_starts_at')
    if sqlite:
        _restore_event_links()
