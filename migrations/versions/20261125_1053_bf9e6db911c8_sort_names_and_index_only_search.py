"""sort names and index-only search

People get ``sort_name`` ("last first", lower-case, accent-free), the order of every list of
people. The search index keeps live records only, gives each term its record's sort key,
and lists under each person the terms of the organisations they hold a position at, so a
search's page and count come from the index alone.

The existing index is converted in SQL; only ``sort_name`` needs Python, for the same
accent folding as the rest of the register (``crm.services.text.normalise_text``, a pure
function: the one piece of application code this migration uses).

Revision ID: bf9e6db911c8
Revises: c454a4ed274d
Create Date: 2026-11-25 10:53:48.835817

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bf9e6db911c8'
down_revision = 'c454a4ed274d'
branch_labels = None
depends_on = None

BATCH = 5_000


def _fill_sort_names(connection):
    from crm.services.text import normalise_text

    people = sa.table(
        'people',
        sa.column('id', sa.Integer),
        sa.column('first_name', sa.String),
        sa.column('last_name', sa.String),
        sa.column('sort_name', sa.String),
    )
    rows = connection.execute(
        sa.select(people.c.id, people.c.first_name, people.c.last_name)
    ).fetchall()
    update = (
        sa.update(people)
        .where(people.c.id == sa.bindparam('person_id'))
        .values(sort_name=sa.bindparam('value'))
    )
    for start in range(0, len(rows), BATCH):
        connection.execute(
            update,
            [
                {'person_id': id_, 'value': normalise_text(f'{last} {first}')[:210]}
                for id_, first, last in rows[start:start + BATCH]
            ],
        )


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=210), server_default='', nullable=False))
        batch_op.drop_index(batch_op.f('ix_people_sort_name'))
    _fill_sort_names(op.get_bind())
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_live_sort_name', ['sort_name', 'id'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_people_country_code'))
        batch_op.create_index('ix_people_live_country_sort_name', ['country_code', 'sort_name', 'id'], unique=False, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_key', sa.String(length=210), nullable=True))
        batch_op.drop_index(batch_op.f('ix_search_terms_lookup'))
    # Deleted and erased records are no longer in the index.
    op.execute(
        "DELETE FROM search_terms WHERE entity = 'person' AND entity_id IN "
        "(SELECT id FROM people WHERE deleted_at IS NOT NULL OR erased_at IS NOT NULL)"
    )
    op.execute(
        "DELETE FROM search_terms WHERE entity = 'organisation' AND entity_id IN "
        "(SELECT id FROM organisations WHERE deleted_at IS NOT NULL)"
    )
    op.execute(
        "UPDATE search_terms SET sort_key = (SELECT sort_name FROM people "
        "WHERE people.id = search_terms.entity_id) WHERE entity = 'person'"
    )
    op.execute(
        "UPDATE search_terms SET sort_key = (SELECT name_normalised FROM organisations "
        "WHERE organisations.id = search_terms.entity_id) WHERE entity = 'organisation'"
    )
    # A person's terms now include those of the live organisations they hold a position at.
    op.execute(
        "INSERT INTO search_terms (entity, entity_id, term, sort_key) "
        "SELECT DISTINCT 'person', positions.person_id, terms.term, people.sort_name "
        "FROM positions "
        "JOIN search_terms AS terms ON terms.entity = 'organisation' "
        "AND terms.entity_id = positions.organisation_id "
        "JOIN people ON people.id = positions.person_id "
        "WHERE people.deleted_at IS NULL AND people.erased_at IS NULL "
        "ON CONFLICT DO NOTHING"
    )
    # Terms of records that no longer exist (none should) have no sort key: they go.
    op.execute("DELETE FROM search_terms WHERE sort_key IS NULL")
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.alter_column('sort_key', existing_type=sa.String(length=210), nullable=False)
        batch_op.create_index('ix_search_terms_lookup', ['entity', 'term', 'sort_key', 'entity_id'], unique=False)


def downgrade():
    # The terms stay as they are (people keep their organisations' words, which the previous
    # revision finds anyway); run `crm reindex` after a downgrade to index deleted records.
    with op.batch_alter_table('search_terms', schema=None) as batch_op:
        batch_op.drop_index('ix_search_terms_lookup')
        batch_op.create_index(batch_op.f('ix_search_terms_lookup'), ['entity', 'term', 'entity_id'], unique=False)
        batch_op.drop_column('sort_key')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_live_country_sort_name')
        batch_op.create_index(batch_op.f('ix_people_country_code'), ['country_code'], unique=False)
        batch_op.drop_index('ix_people_live_sort_name')
        batch_op.create_index(batch_op.f('ix_people_sort_name'), ['last_name', 'first_name', 'id'], unique=False)
    # Not through a batch: on SQLite that copies the table and drops the old one, and with
    # foreign keys on, dropping people would cascade to their positions and consents.
    op.execute('ALTER TABLE people DROP COLUMN sort_name')
