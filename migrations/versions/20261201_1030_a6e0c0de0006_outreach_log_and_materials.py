"""outreach log: the organisation a person counted for; materials retired, keyed, with audiences

Revision ID: a6e0c0de0006
Revises: a5e0c0de0005
Create Date: 2026-12-01 10:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6e0c0de0006'
down_revision = 'a5e0c0de0005'
branch_labels = None
depends_on = None

KINDS_BEFORE = "'guidelines', 'training-module', 'position-paper', 'policy-recommendations', 'other'"
KINDS = "'guidelines', 'training-module', 'position-paper', 'policy-recommendations', 'help-desk', 'other'"
AUDIENCES = "'employer-owner', 'manager', 'employee', 'worker-representative', 'association-staff'"
ROLES = "'employer-owner', 'manager', 'employee', 'worker-representative', 'association-staff', 'policy-maker', 'other'"
ACTIONS_BEFORE = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'password-change', 'demo'"
ACTIONS = "'create', 'update', 'delete', 'restore', 'merge', 'merged-into', 'not-duplicate', 'add-position', 'end-position', 'add-link', 'end-link', 'consent', 'restrict', 'lift-restriction', 'lawful-basis', 'subject-access', 'erase', 'retire', 'reinstate', 'password-change', 'demo'"


def _keeping_material_links(rebuild, children):
    """Run ``rebuild`` (a batch over materials) without losing the rows that refer to it.

    On SQLite a batch copies the table and drops the old one, and with foreign keys on that
    drop deletes every row of ``children`` (ON DELETE CASCADE): they are kept aside and put
    back. PostgreSQL alters the table in place.
    """
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for table in children:
            op.execute(f'CREATE TEMPORARY TABLE kept_{table} AS SELECT * FROM {table}')
    rebuild()
    if sqlite:
        for table in children:
            op.execute(f'DELETE FROM {table}')
            op.execute(f'INSERT INTO {table} SELECT * FROM kept_{table}')
            op.execute(f'DROP TABLE kept_{table}')


def upgrade():
    # outreach_people is referenced by no table: its batch copy on SQLite loses nothing.
    with op.batch_alter_table('outreach_people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outreach_people_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outreach_people_organisation_id_organisations'), 'organisations',
            ['organisation_id'], ['id'], ondelete='SET NULL',
        )

    op.create_table('material_audiences',
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('audience', sa.Enum('employer-owner', 'manager', 'employee', 'worker-representative', 'association-staff', name='audience', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_material_audiences_material_id_materials'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('material_id', 'audience', name=op.f('pk_material_audiences'))
    )
    op.execute(
        f'INSERT INTO material_audiences (material_id, audience) SELECT id, audience '
        f'FROM materials WHERE audience IN ({AUDIENCES})'
    )

    def rebuild():
        with op.batch_alter_table('materials', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_materials_material_kind'), type_='check')
            batch_op.drop_constraint(op.f('ck_materials_position_role'), type_='check')
            batch_op.drop_column('audience')
            batch_op.add_column(sa.Column('key', sa.String(length=60), nullable=True))
            batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))
            batch_op.create_unique_constraint(batch_op.f('uq_materials_key'), ['key'])
            batch_op.create_check_constraint(op.f('ck_materials_material_kind'), f'kind IN ({KINDS})')

    _keeping_material_links(rebuild, ('outreach_materials', 'material_audiences'))

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS})')


def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_log_audit_action'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_log_audit_action'), f'action IN ({ACTIONS_BEFORE})')

    op.execute("UPDATE materials SET kind = 'other' WHERE kind = 'help-desk'")

    def rebuild():
        with op.batch_alter_table('materials', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_materials_material_kind'), type_='check')
            batch_op.drop_constraint(batch_op.f('uq_materials_key'), type_='unique')
            batch_op.drop_column('retired_at')
            batch_op.drop_column('key')
            batch_op.add_column(sa.Column('audience', sa.String(length=21), nullable=True))
            batch_op.create_check_constraint(op.f('ck_materials_material_kind'), f'kind IN ({KINDS_BEFORE})')
            batch_op.create_check_constraint(op.f('ck_materials_position_role'), f'audience IN ({ROLES})')

    _keeping_material_links(rebuild, ('outreach_materials', 'material_audiences'))
    op.execute(
        'UPDATE materials SET audience = (SELECT MIN(a.audience) FROM material_audiences a '
        'WHERE a.material_id = materials.id)'
    )
    op.drop_table('material_audiences')

    with op.batch_alter_table('outreach_people', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outreach_people_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outreach_people_organisation_id'))
        batch_op.drop_column('organisation_id')
