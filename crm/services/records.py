"""Register records whatever their model: loading one chosen at run time, and the rule that
an erased person takes no writes, which the register and data protection share."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Organisation, Person
from crm.services.errors import ValidationError


def get_record(
    model: type[Person] | type[Organisation], record_id: int
) -> Person | Organisation | None:
    """The person or organisation with this id, or None.

    ``Session.get`` is typed for one model class; given either of two, the type checker only
    knows their common base. What it returns is an instance of ``model``, which this checks.
    """
    record = db.session.get(model, record_id)
    if record is None or isinstance(record, (Person, Organisation)):
        return record
    raise TypeError(f"{model.__name__} #{record_id} loaded as {type(record).__name__}")


def get_records(
    model: type[Person] | type[Organisation], ids: Iterable[int]
) -> list[Person | Organisation]:
    """The people or organisations with these ids (those that exist), in no set order."""
    records: list[Person | Organisation] = []
    for record in db.session.scalars(sa.select(model).where(model.id.in_(ids))):
        if not isinstance(record, (Person, Organisation)):
            raise TypeError(f"a {model.__name__} loaded as {type(record).__name__}")
        records.append(record)
    return records


def refuse_erased(record: Organisation | Person) -> None:
    """An erased person's record keeps only what reports count: nothing may be added to it,
    changed on it or taken from it (anything new would be personal data again)."""
    if isinstance(record, Person) and record.erased_at is not None:
        raise ValidationError(
            f"person #{record.id} was erased; their record can no longer be changed"
        )
