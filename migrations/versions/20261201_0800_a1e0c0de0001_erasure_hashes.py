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
    op.create_table('erased_email_hashes',
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_erased_email_hashes_person_id_people'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('person_id', 'email_hash', name=op.f('pk_erased_email_hashes'))
    )
    with op.batch_alter_table('erased_email_hashes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erased_email_hashes_email_hash'), ['email_hash'], unique=False)

    # The one hash each erased person had so far (their last e-mail) moves into the table.
    op.execute(
        "INSERT INTO erased_email_hashes (person_id, email_hash) "
        "SELECT id, erased_email_hash FROM people WHERE erased_email_hash IS NOT NULL"
    )
    # Not batch mode: on SQLite a batch drop recreates the table, and dropping the old
    # "people" with foreign keys on deletes every position, consent and link of every person
    # (ON DELETE CASCADE). SQLite (3.35 and later) and PostgreSQL both drop a column in place.
    op.drop_index(op.f('ix_people_erased_email_hash'), table_name='people')
    op.execute("ALTER TABLE people DROP COLUMN erased_email_hash")


def downgrade():
    # In place, as in upgrade(): adding a nullable column never recreates the table.
    op.add_column('people', sa.Column('erased_email_hash', sa.String(length=64), nullable=True))
    op.create_index(op.f('ix_people_erased_email_hash'), 'people', ['erased_email_hash'], unique=False)

    # The column holds one hash per person: any one of theirs still recognises them.
    op.execute(
        "UPDATE people SET erased_email_hash = (SELECT min(h.email_hash) "
        "FROM erased_email_hashes h WHERE h.person_id = people.id)"
    )
    with op.batch_alter_table('erased_email_hashes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erased_email_hashes_email_hash'))

    op.drop_table('erased_email_hashes')
