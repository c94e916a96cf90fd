"""Spreadsheet exports of the register: the current filter of a list as CSV or XLSX.

Public functions (each takes the list's ``select()`` of Person or Organisation):

- ``people_csv(query)`` / ``organisations_csv(query)``: an iterator of UTF-8 byte chunks of a
  CSV file (byte-order mark first so that Excel reads the accents, CRLF line ends), produced
  ``BATCH_SIZE`` records at a time (``yield_per``; positions, organisations and tags come with
  one ``selectinload`` query per batch). The query runs while the chunks are consumed, so a
  view streams them with ``stream_with_context`` to keep the session alive.
- ``people_xlsx(query)`` / ``organisations_xlsx(query)``: the bytes of an XLSX workbook, written
  with openpyxl in write-only mode (rows go to a temporary file, not into memory).
- ``csv_chunks(headers, batches)`` / ``xlsx_bytes(title, headers, batches)``: the writers, for
  other exports of rows.
- ``exportable_people(query)``: the query narrowed to the people who may leave the system.
- ``neutralise(value)``: the text of a spreadsheet cell that no spreadsheet will run.
- ``PEOPLE_COLUMNS`` / ``ORGANISATION_COLUMNS``: the columns, in order, with their headers.

Restricted (GDPR art. 18), erased and deleted people are never exported: the rule is applied
here, inside every export, so that no caller's filter can forget it. Deleted organisations are
left out too, so the admins' list of deleted records exports nothing.

Formula injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``. In CSV every cell is text to the spreadsheet that opens it, so
every cell is neutralised, numbers included (a negative number would come out as ``'-5``; no
exported number can be negative today). In XLSX numbers are written as numeric cells, which
cannot hold a formula, and only strings are neutralised.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Organisation, Person, Position
from crm.services.audit import plain_value

BATCH_SIZE = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
XLSX_MAX_CELL = 32_767  # Excel's limit on the characters of one cell
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: its header (stable, snake_case) and how to read a record."""

    header: str
    value: Callable[[Any], object]


def as_text(value: object) -> str:
    """The plain text form of a value: enums by their stored value, times in UTC ISO 8601
    (``audit.plain_value``, as the audit log keeps them), nothing as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(plain_value(value))


def neutralise(value: object) -> str:
    """Text for a spreadsheet cell; a leading ``'`` keeps formula-like text from running."""
    text = as_text(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _xlsx_value(value: object) -> object:
    """Numbers stay numeric (a numeric cell cannot hold a formula); everything else is text.

    Control characters XML cannot carry are dropped *before* neutralising, or ``\\x01=1``
    would lose its first character and start with ``=`` after the check.
    """
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", as_text(value)))[:XLSX_MAX_CELL]


# --- Columns ---------------------------------------------------------------------------------


def _current_positions(person: Person) -> list[Position]:
    return [p for p in person.positions if p.is_current]


def _joined(values: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(as_text(v) for v in values)


def _tag_names(record: Person | Organisation) -> str:
    return _joined(sorted(t.name for t in record.tags))


PEOPLE_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("id", lambda p: p.id),
    ExportColumn("first_name", lambda p: p.first_name),
    ExportColumn("last_name", lambda p: p.last_name),
    ExportColumn("email", lambda p: p.email),
    ExportColumn("phone", lambda p: p.phone),
    ExportColumn("country", lambda p: p.country_code),
    ExportColumn("language", lambda p: p.language_code),
    # Current positions only, in the order they started; the three columns line up.
    ExportColumn(
        "organisations", lambda p: _joined(x.organisation.name for x in _current_positions(p))
    ),
    ExportColumn("position_titles", lambda p: _joined(x.title for x in _current_positions(p))),
    ExportColumn("position_roles", lambda p: _joined(x.role for x in _current_positions(p))),
    ExportColumn("tags", _tag_names),
    ExportColumn("created_at", lambda p: p.created_at),
    ExportColumn("updated_at", lambda p: p.updated_at),
)

ORGANISATION_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("id", lambda o: o.id),
    ExportColumn("name", lambda o: o.name),
    ExportColumn("acronym", lambda o: o.acronym),
    ExportColumn("kind", lambda o: o.kind),
    ExportColumn("country", lambda o: o.country_code),
    ExportColumn("city", lambda o: o.city),
    ExportColumn("size_class", lambda o: o.size_class),
    ExportColumn("headcount", lambda o: o.headcount),
    ExportColumn("value_chain_role", lambda o: o.value_chain_role),
    ExportColumn("policy_level", lambda o: o.policy_level),
    ExportColumn("website", lambda o: o.website),
    ExportColumn("email", lambda o: o.email),
    ExportColumn("phone", lambda o: o.phone),
    ExportColumn("tags", _tag_names),
    ExportColumn(
        "responsible_officer",
        lambda o: o.responsible_officer.display_name if o.responsible_officer else None,
    ),
    ExportColumn("created_at", lambda o: o.created_at),
    ExportColumn("updated_at", lambda o: o.updated_at),
)


# --- Queries ---------------------------------------------------------------------------------


def _check_entity(query: sa.Select[Any], model: type) -> None:
    descriptions = query.column_descriptions
    if len(descriptions) != 1 or descriptions[0].get("entity") is not model:
        raise TypeError(f"expected a select() of {model.__name__} alone, got {query}")


def exportable_people(query: sa.Select[tuple[Person]]) -> sa.Select[tuple[Person]]:
    """The caller's filter, narrowed to people whose data may leave the system."""
    _check_entity(query, Person)
    return query.where(
        Person.is_restricted.is_(False),
        Person.erased_at.is_(None),
        Person.deleted_at.is_(None),
    )


def _is_exportable(person: Person) -> bool:
    # Checked again per row: a row cannot slip through even if the query were rewritten.
    return not (person.is_restricted or person.erased_at or person.deleted_at)


def _batches(
    query: sa.Select[Any], columns: Sequence[ExportColumn], keep: Callable[[Any], bool]
) -> Iterator[list[list[object]]]:
    for batch in db.session.scalars(query.execution_options(yield_per=BATCH_SIZE)).partitions():
        yield [[c.value(record) for c in columns] for record in batch if keep(record)]


def _people_batches(query: sa.Select[tuple[Person]]) -> Iterator[list[list[object]]]:
    """Rows of values, ``BATCH_SIZE`` people at a time, positions and tags loaded per batch.

    Not a generator itself, so that a wrong query fails when the export is asked for, not
    halfway through a streamed response.
    """
    query = exportable_people(query).options(
        selectinload(Person.positions).selectinload(Position.organisation),
        selectinload(Person.tags),
    )
    return _batches(query, PEOPLE_COLUMNS, _is_exportable)


def _organisation_batches(
    query: sa.Select[tuple[Organisation]],
) -> Iterator[list[list[object]]]:
    """Deleted organisations are left out as well: they have dropped out of every list."""
    _check_entity(query, Organisation)
    query = query.where(Organisation.deleted_at.is_(None)).options(
        selectinload(Organisation.tags), selectinload(Organisation.responsible_officer)
    )
    return _batches(query, ORGANISATION_COLUMNS, lambda o: o.deleted_at is None)


# --- Writers ---------------------------------------------------------------------------------


def csv_chunks(
    headers: Sequence[str], batches: Iterable[Sequence[Sequence[object]]]
) -> Iterator[bytes]:
    """A CSV file as UTF-8 chunks: BOM and header first, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in headers])
    for batch in batches:
        writer.writerows([neutralise(v) for v in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():  # the header alone, when nothing matched
        yield buffer.getvalue().encode("utf-8")


def xlsx_bytes(
    title: str, headers: Sequence[str], batches: Iterable[Sequence[Sequence[object]]]
) -> bytes:
    """One sheet, header row frozen; write-only mode keeps memory flat for 100,000 rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    sheet.append([_xlsx_value(h) for h in headers])
    for batch in batches:
        for row in batch:
            sheet.append([_xlsx_value(v) for v in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def people_csv(query: sa.Select[tuple[Person]]) -> Iterator[bytes]:
    return csv_chunks([c.header for c in PEOPLE_COLUMNS], _people_batches(query))


def organisations_csv(query: sa.Select[tuple[Organisation]]) -> Iterator[bytes]:
    return csv_chunks([c.header for c in ORGANISATION_COLUMNS], _organisation_batches(query))


def people_xlsx(query: sa.Select[tuple[Person]]) -> bytes:
    return xlsx_bytes("People", [c.header for c in PEOPLE_COLUMNS], _people_batches(query))


def organisations_xlsx(query: sa.Select[tuple[Organisation]]) -> bytes:
    return xlsx_bytes(
        "Organisations", [c.header for c in ORGANISATION_COLUMNS], _organisation_batches(query)
    )
