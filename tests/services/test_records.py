"""The typed helpers that stand in for what SQLAlchemy's stubs cannot know."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.models import Organisation, Person, Tag
from crm.models.base import rows_matched, table_of
from crm.services.records import get_record, get_records
from tests import factories


def test_table_of_is_the_mapped_table() -> None:
    assert table_of(Person) is Person.__table__
    assert isinstance(table_of(Tag), sa.Table)


def test_table_of_refuses_a_mapping_to_something_else() -> None:
    class OnASubquery:  # what __table__ is for a model mapped to a select
        __table__ = sa.select(sa.literal(1).label("id")).subquery()

    with pytest.raises(TypeError, match="OnASubquery is not mapped to a table"):
        table_of(OnASubquery)  # type: ignore[arg-type]


def test_rows_matched_counts_what_a_delete_removed(app, db) -> None:
    db.session.add_all([Tag(name="rows-matched-1"), Tag(name="rows-matched-2")])
    db.session.flush()
    doomed = sa.delete(Tag).where(Tag.name.like("rows-matched-%"))
    assert rows_matched(db.session.execute(doomed)) == 2
    assert rows_matched(db.session.execute(doomed)) == 0


def test_get_record_loads_by_the_model_given(app, db) -> None:
    organisation = factories.make_organisation()
    person = factories.make_person(organisation=organisation)
    assert get_record(Person, person.id) is person
    assert get_record(Organisation, organisation.id) is organisation
    assert get_record(Person, person.id + 10_000) is None


def test_get_records_loads_those_that_exist(app, db) -> None:
    first, second = factories.make_person(), factories.make_person()
    found = get_records(Person, [first.id, second.id, second.id + 10_000])
    assert sorted(p.id for p in found) == sorted([first.id, second.id])
    assert get_records(Organisation, []) == []
