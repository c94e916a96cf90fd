"""targets: size classes as a bit set, the metrics smes-reached and countries-covered, one target per sub-item, period, metric and narrowing

Revision ID: a9e0c0de0010
Revises: a9e0c0de0009
Create Date: 2026-12-01 19:30:00

The comma-separated size classes become a small integer (micro 1, small 2, medium 4, large
8): a target that counted organisations narrowed by size classes is an ``smes-reached``
target now. Nothing references ``targets``, so SQLite's batch rebuild of it loses nothing.
A downgrade writes the classes back as text and the new metrics as the old ones they
narrow (countries-covered has none and is dropped).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a9e0c0de0010'
down_revision = 'a9e0c0de0009'
branch_labels = None
depends_on = None

OLD_METRICS = ('organisations-engaged', 'people-reached', 'outreach-logged', 'events-attended')
NEW_METRICS = (
    'organisations-engaged', 'smes-reached', 'people-reached', 'outreach-logged',
    'events-attended', 'countries-covered',
)
BITS = (('micro', 1), ('small', 2), ('medium', 4), ('large', 8))
KEY = ['commitment_item_id', 'period_start', 'period_end', 'metric']


def _metric_check(values: tuple[str, ...]) -> str:
    return 'metric IN (' + ', '.join(f"'{value}'" for value in values) + ')'


def upgrade():
    op.add_column('targets', sa.Column('size_mask', sa.SmallInteger(), nullable=False, server_default=sa.text('0')))
    mask = ' + '.join(
        f"CASE WHEN ',' || size_classes || ',' LIKE '%,{name},%' THEN {bit} ELSE 0 END"
        for name, bit in BITS
    )
    op.execute(f"UPDATE targets SET size_mask = {mask} WHERE size_classes IS NOT NULL")
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_targets_target_metric'), type_='check')
        batch_op.drop_column('size_classes')
        batch_op.alter_column('size_mask', new_column_name='size_classes')
        batch_op.create_check_constraint('target_metric', _metric_check(NEW_METRICS))
        batch_op.create_check_constraint('size_classes_known', 'size_classes BETWEEN 0 AND 15')
    op.execute(
        "UPDATE targets SET metric = 'smes-reached', organisation_kind = NULL "
        "WHERE metric = 'organisations-engaged' AND size_classes <> 0"
    )
    # No kind is a narrowing of its own, which one unique index would not see (NULLs differ).
    op.create_index(
        'uq_targets_narrowed_by_kind', 'targets', KEY + ['organisation_kind', 'size_classes'],
        unique=True, sqlite_where=sa.text('organisation_kind IS NOT NULL'),
        postgresql_where=sa.text('organisation_kind IS NOT NULL'),
    )
    op.create_index(
        'uq_targets_not_narrowed_by_kind', 'targets', KEY + ['size_classes'], unique=True,
        sqlite_where=sa.text('organisation_kind IS NULL'),
        postgresql_where=sa.text('organisation_kind IS NULL'),
    )


def downgrade():
    op.drop_index('uq_targets_not_narrowed_by_kind', table_name='targets')
    op.drop_index('uq_targets_narrowed_by_kind', table_name='targets')
    op.execute("DELETE FROM targets WHERE metric = 'countries-covered'")
    op.execute(
        "UPDATE targets SET metric = 'organisations-engaged', organisation_kind = 'enterprise' "
        "WHERE metric = 'smes-reached'"
    )
    op.add_column('targets', sa.Column('size_text', sa.String(length=40), nullable=True))
    parts = ' || '.join(
        f"CASE WHEN size_classes & {bit} <> 0 THEN ',{name}' ELSE '' END" for name, bit in BITS
    )
    op.execute(f"UPDATE targets SET size_text = substr({parts}, 2) WHERE size_classes <> 0")
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_targets_size_classes_known'), type_='check')
        batch_op.drop_constraint(op.f('ck_targets_target_metric'), type_='check')
        batch_op.drop_column('size_classes')
        batch_op.alter_column('size_text', new_column_name='size_classes')
        batch_op.create_check_constraint('target_metric', _metric_check(OLD_METRICS))
