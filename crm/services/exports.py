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
- ``left_out_count(query)``: how many people of a list's query an export leaves out.
- ``neutralise(value)``: the text of a CSV cell that no spreadsheet will run.
- ``PEOPLE_COLUMNS`` / ``ORGANISATION_COLUMNS``: the columns, in order, with their headers
  in words, as the lists show them ("First name", "Country").
- ``outreach_csv(query)`` / ``outreach_xlsx(query)``: the outreach list (a ``select()`` of
  Outreach), one row per record; the people a record's People column leaves out are
  counted in the column beside it.

Restricted (GDPR art. 18), erased and deleted people are never exported: the rule is applied
here, inside every export, so that no caller's filter can forget it (the outreach export
leaves them out of its People column, and deleted organisations out of its Organisations
column). Deleted organisations are left out too, so the admins' list of deleted records
exports nothing, and so are positions at deleted organisations (their names are for those
who may see deleted records).

Formula injection, CSV: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'``, and so does every part of a cell after a ``;``: a
spreadsheet that opens the file with ``;`` as its separator (German Excel does) splits the
cell there, and the joined parts of tags, organisations and titles would each start a cell.
Every CSV cell is text to the spreadsheet that opens it, so every cell is neutralised,
numbers included (a negative number would come out as ``'-5``; no exported number can be
negative today).

XLSX: text is written as string cells, which a spreadsheet never evaluates, so nothing is
prefixed (a phone number stays ``+49 ...``); numbers are numeric cells. Every character XML
1.0 forbids (most C0 controls, lone surrogates, U+FFFE, U+FFFF) is dropped from every cell,
whatever got into the database: one of them would make the whole file unreadable.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import Organisation, Outreach, Person, Position
from crm.services.audit import plain_value
from crm.services.pagination import capped_count

BATCH_SIZE = 1000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
XLSX_MAX_CELL = 32_767  # Excel's limit on the characters of one cell
LIST_SEPARATOR = "; "
# Characters XML 1.0 does not allow anywhere in a document (its production "Char").
XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A part of a cell after a ";" (and any spaces) that starts like a formula.
_FORMULA_AFTER_SEPARATOR = re.compile(r"(;[ ]*)(?=[=+\-@\t\r])")


@dataclass(frozen=True)
class ExportColumn:
    """One column of an export: its header (in words, as the list shows it) and how to read
    a record."""

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


def csv_cell(value: object) -> str:
    """A CSV cell no spreadsheet will run, however it splits it: neutralised at its start
    and after every ``;`` (``alpha; =cmd`` becomes ``alpha; '=cmd``)."""
    return _FORMULA_AFTER_SEPARATOR.sub(r"\1'", neutralise(value))


def xml_text(text: str) -> str:
    """The text without the characters XML 1.0 forbids, which no XLSX file can carry."""
    return XML_FORBIDDEN.sub("", text)


def _xlsx_cell(sheet: Any, value: object) -> object:
    """Numbers stay numeric; everything else is a string cell, which no spreadsheet runs.

    openpyxl would turn text starting with ``=`` into a formula and ``#N/A`` into an error
    value: the cell's type is set to string after its value, so text stays text.
    """
    if value is None:
        return None
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = xml_text(as_text(value))[:XLSX_MAX_CELL]
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


# --- Columns ---------------------------------------------------------------------------------


def _current_positions(person: Person) -> list[Position]:
    return [p for p in person.positions if p.is_current and p.organisation.deleted_at is None]


def _joined(values: Iterable[object]) -> str:
    return LIST_SEPARATOR.join(as_text(v) for v in values)


def _tag_names(record: Person | Organisation) -> str:
    return _joined(sorted(t.name for t in record.tags))


PEOPLE_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("ID", lambda p: p.id),
    ExportColumn("First name", lambda p: p.first_name),
    ExportColumn("Last name", lambda p: p.last_name),
    ExportColumn("E-mail", lambda p: p.email),
    ExportColumn("Phone", lambda p: p.phone),
    ExportColumn("Country", lambda p: p.country_code),
    ExportColumn("Language", lambda p: p.language_code),
    # Current positions only, in the order they started; the three columns line up.
    ExportColumn(
        "Organisations", lambda p: _joined(x.organisation.name for x in _current_positions(p))
    ),
    ExportColumn("Position titles", lambda p: _joined(x.title for x in _current_positions(p))),
    ExportColumn("Position roles", lambda p: _joined(x.role for x in _current_positions(p))),
    ExportColumn("Tags", _tag_names),
    ExportColumn("Created", lambda p: p.created_at),
    ExportColumn("Last changed", lambda p: p.updated_at),
)

ORGANISATION_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("ID", lambda o: o.id),
    ExportColumn("Name", lambda o: o.name),
    ExportColumn("Acronym", lambda o: o.acronym),
    ExportColumn("Kind", lambda o: o.kind),
    ExportColumn("Country", lambda o: o.country_code),
    ExportColumn("City", lambda o: o.city),
    ExportColumn("Size class", lambda o: o.size_class),
    ExportColumn("Headcount", lambda o: o.headcount),
    ExportColumn("Value-chain role", lambda o: o.value_chain_role),
    ExportColumn("Policy level", lambda o: o.policy_level),
    ExportColumn("Website", lambda o: o.website),
    ExportColumn("E-mail", lambda o: o.email),
    ExportColumn("Phone", lambda o: o.phone),
    ExportColumn("Tags", _tag_names),
    ExportColumn(
        "Responsible officer",
        lambda o: o.responsible_officer.display_name if o.responsible_officer else None,
    ),
    ExportColumn("Created", lambda o: o.created_at),
    ExportColumn("Last changed", lambda o: o.updated_at),
)


def _reached_people(record: Outreach) -> list[Person]:
    return sorted(
        (p for p in record.people if _is_exportable(p)), key=lambda p: (p.sort_name or "", p.id)
    )


def _reached_organisations(record: Outreach) -> list[Organisation]:
    return sorted(
        (o for o in record.organisations if o.deleted_at is None),
        key=lambda o: (o.name_normalised, o.id),
    )


OUTREACH_COLUMNS: tuple[ExportColumn, ...] = (
    ExportColumn("ID", lambda r: r.id),
    ExportColumn("Date and time (UTC)", lambda r: r.occurred_at),
    ExportColumn("Channel", lambda r: r.channel.label),
    ExportColumn("Direction", lambda r: r.direction),
    ExportColumn("Subject", lambda r: r.subject),
    ExportColumn("Outcome", lambda r: r.outcome),
    ExportColumn("Sub-items", lambda r: _joined(sorted(i.code for i in r.subitems))),
    ExportColumn("Organisations", lambda r: _joined(o.name for o in _reached_organisations(r))),
    ExportColumn("People", lambda r: _joined(p.full_name for p in _reached_people(r))),
    # The note of the register's exports, per record: counting the people left out across a
    # whole list of a million records would cost every list view seconds.
    ExportColumn(
        "People left out (restricted, erased or deleted)",
        lambda r: sum(1 for p in r.people if not _is_exportable(p)),
    ),
    ExportColumn("Materials", lambda r: _joined(m.title for m in r.materials)),
    ExportColumn("Event", lambda r: r.event.title if r.event else None),
    ExportColumn("Logged by", lambda r: r.logged_by.display_name if r.logged_by else None),
    ExportColumn("Notes", lambda r: r.notes),
    ExportColumn("Created", lambda r: r.created_at),
    ExportColumn("Last changed", lambda r: r.updated_at),
)


# --- Queries ---------------------------------------------------------------------------------


def _check_entity(query: sa.Select[Any], model: type) -> None:
    descriptions = query.column_descriptions
    if len(descriptions) != 1 or descriptions[0].get("entity") is not model:
        raise TypeError(f"expected a select() of {model.__name__} alone, got {query}")


def exportable_people(query: sa.Select[Person]) -> sa.Select[Person]:
    """The caller's filter, narrowed to people whose data may leave the system."""
    _check_entity(query, Person)
    return query.where(
        Person.is_restricted.is_(False),
        Person.erased_at.is_(None),
        Person.deleted_at.is_(None),
    )


def left_out_count(query: sa.Select[Person]) -> int:
    """How many people of a list an export of it leaves out (counted up to ``COUNT_CAP``), so
    the list can say so before the download. Lists hold neither erased nor deleted people,
    so these are the restricted ones, who are few."""
    _check_entity(query, Person)
    # "= true", not "IS 1": the form a partial index of restricted people would serve.
    left_out = query.where(Person.is_restricted == sa.true())
    return db.session.scalar(capped_count(left_out)) or 0


def _is_exportable(person: Person) -> bool:
    # Checked again per row: a row cannot slip through even if the query were rewritten.
    return not (person.is_restricted or person.erased_at or person.deleted_at)


def _batches(
    query: sa.Select[Any], columns: Sequence[ExportColumn], keep: Callable[[Any], bool]
) -> Iterator[list[list[object]]]:
    for batch in db.session.scalars(query.execution_options(yield_per=BATCH_SIZE)).partitions():
        yield [[c.value(record) for c in columns] for record in batch if keep(record)]


def _people_batches(query: sa.Select[Person]) -> Iterator[list[list[object]]]:
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
    query: sa.Select[Organisation],
) -> Iterator[list[list[object]]]:
    """Deleted organisations are left out as well: they have dropped out of every list."""
    _check_entity(query, Organisation)
    query = query.where(Organisation.deleted_at.is_(None)).options(
        selectinload(Organisation.tags), selectinload(Organisation.responsible_officer)
    )
    return _batches(query, ORGANISATION_COLUMNS, lambda o: o.deleted_at is None)


def _outreach_batches(query: sa.Select[Outreach]) -> Iterator[list[list[object]]]:
    """Rows of values, ``BATCH_SIZE`` records at a time, their links loaded per batch.
    Deleted records are left out, as deleted organisations are: the admins' list of
    deleted records exports nothing."""
    _check_entity(query, Outreach)
    query = query.where(Outreach.deleted_at.is_(None)).options(
        selectinload(Outreach.people),
        selectinload(Outreach.organisations),
        selectinload(Outreach.subitems),
        selectinload(Outreach.materials),
        selectinload(Outreach.event),
        selectinload(Outreach.logged_by),
    )
    return _batches(query, OUTREACH_COLUMNS, lambda r: r.deleted_at is None)


# --- Writers ---------------------------------------------------------------------------------


def csv_chunks(
    headers: Sequence[str], batches: Iterable[Sequence[Sequence[object]]]
) -> Iterator[bytes]:
    """A CSV file as UTF-8 chunks: BOM and header first, then one chunk per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([csv_cell(h) for h in headers])
    for batch in batches:
        writer.writerows([csv_cell(v) for v in row] for row in batch)
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
    sheet.append([_xlsx_cell(sheet, h) for h in headers])
    for batch in batches:
        for row in batch:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def people_csv(query: sa.Select[Person]) -> Iterator[bytes]:
    return csv_chunks([c.header for c in PEOPLE_COLUMNS], _people_batches(query))


def organisations_csv(query: sa.Select[Organisation]) -> Iterator[bytes]:
    return csv_chunks([c.header for c in ORGANISATION_COLUMNS], _organisation_batches(query))


def people_xlsx(query: sa.Select[Person]) -> bytes:
    return xlsx_bytes("People", [c.header for c in PEOPLE_COLUMNS], _people_batches(query))


def organisations_xlsx(query: sa.Select[Organisation]) -> bytes:
    return xlsx_bytes(
        "Organisations", [c.header for c in ORGANISATION_COLUMNS], _organisation_batches(query)
    )


def outreach_csv(query: sa.Select[Outreach]) -> Iterator[bytes]:
    return csv_chunks([c.header for c in OUTREACH_COLUMNS], _outreach_batches(query))


def outreach_xlsx(query: sa.Select[Outreach]) -> bytes:
    return xlsx_bytes("Outreach", [c.header for c in OUTREACH_COLUMNS], _outreach_batches(query))
