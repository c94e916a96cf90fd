"""Finding records in the register: filters, accent-free search, sorting and pages.

The same filtered ``select()`` feeds the lists and the exports, so an export holds exactly
what the list shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Organisation,
    Person,
    Position,
    SearchTerm,
    Tag,
    organisation_tags,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
    person_tags,
)
from crm.services import search_index
from crm.services.search_index import matching_ids
from crm.services.text import normalise_text

PAGE_SIZE = 50
MAX_TOKENS = 6
MAX_NUMBER = 10**9  # page numbers and ids beyond any list, and within every integer column


@dataclass
class RegisterFilter:
    """What a list is narrowed to; every field optional. Built from the query string."""

    q: str = ""
    kind: str = ""
    country: str = ""
    size: str = ""
    tag: str = ""
    officer: int | None = None
    engaged: str = ""  # a sub-item code the record was engaged on
    never_engaged: str = ""  # a sub-item code the record was never engaged on
    organisation: int | None = None  # people: positions at this organisation
    deleted: bool = False  # admins: show deleted records instead
    sort: str = "name"
    page: int = 1
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any) -> RegisterFilter:
        """Read the query string; a bad value is dropped with a message, never a 500."""
        result = cls()
        result.q = (args.get("q") or "").strip()[:200]
        for name in ("kind", "country", "size", "tag", "engaged", "never_engaged", "sort"):
            value = (args.get(name) or "").strip()[:80]
            if value:
                setattr(result, name, value)
        for name in ("officer", "organisation", "page"):
            raw = (args.get(name) or "").strip()
            if raw:
                try:
                    setattr(result, name, min(max(1, int(raw)), MAX_NUMBER))
                except ValueError:
                    result.errors.append(f"{name}: {raw!r} is not a number; ignored")
        result.deleted = args.get("deleted") == "1"
        result.country = result.country.upper()
        return result

    def args(self, **override: Any) -> dict[str, Any]:
        """The query string of this filter (for links to other pages and sorts)."""
        values = {
            "q": self.q,
            "kind": self.kind,
            "country": self.country,
            "size": self.size,
            "tag": self.tag,
            "officer": self.officer,
            "engaged": self.engaged,
            "never_engaged": self.never_engaged,
            "organisation": self.organisation,
            "deleted": "1" if self.deleted else "",
            "sort": self.sort,
            "page": self.page,
        }
        values.update(override)
        if values["page"] == 1:
            del values["page"]
        return {k: v for k, v in values.items() if v not in (None, "")}


def _tokens(q: str) -> list[str]:
    return [t for t in normalise_text(q).split() if t][:MAX_TOKENS]


def _engaged(
    link_table: sa.Table, link_column: sa.Column[int], record_id: Any, code: str
) -> sa.ColumnElement[bool]:
    item_ids = sa.select(CommitmentItem.id).where(CommitmentItem.code == code)
    return sa.exists().where(
        link_column == record_id,
        outreach_subitems.c.outreach_id == link_table.c.outreach_id,
        outreach_subitems.c.commitment_item_id.in_(item_ids),
    )


ORGANISATION_SORTS = {
    "name": (Organisation.name_normalised, Organisation.id),
    "-name": (Organisation.name_normalised.desc(), Organisation.id.desc()),
    "country": (Organisation.country_code, Organisation.name_normalised),
    "kind": (Organisation.kind, Organisation.name_normalised),
    "-updated": (Organisation.updated_at.desc(), Organisation.id.desc()),
}
PEOPLE_SORTS = {
    "name": (Person.sort_name, Person.id),
    "-name": (Person.sort_name.desc(), Person.id.desc()),
    "country": (Person.country_code, Person.sort_name, Person.id),
    "-updated": (Person.updated_at.desc(), Person.id.desc()),
}


def _deleted_match(token: str, *columns: sa.ColumnElement[str | None]) -> sa.ColumnElement[bool]:
    """A word typed, among deleted records (which the word index leaves out): any of the
    lower-case columns contains it. Deleted records are few, so scanning them is cheap."""
    return sa.or_(*(sa.func.lower(column).contains(token, autoescape=True) for column in columns))


def organisations_query(f: RegisterFilter) -> sa.Select[tuple[Organisation]]:
    query = sa.select(Organisation).where(
        Organisation.deleted_at.is_not(None) if f.deleted else Organisation.deleted_at.is_(None)
    )
    for token in _tokens(f.q):
        if f.deleted:
            query = query.where(
                _deleted_match(
                    token, Organisation.name_normalised, Organisation.acronym, Organisation.email
                )
            )
        else:
            query = query.where(Organisation.id.in_(matching_ids("organisation", token)))
    if f.kind:
        query = query.where(Organisation.kind == f.kind)
    if f.country:
        query = query.where(Organisation.country_code == f.country)
    if f.size:
        query = query.where(Organisation.size_class == f.size)
    if f.officer:
        query = query.where(Organisation.responsible_officer_id == f.officer)
    if f.tag:
        query = query.where(
            sa.exists().where(
                organisation_tags.c.organisation_id == Organisation.id,
                organisation_tags.c.tag_id == Tag.id,
                Tag.name == f.tag,
            )
        )
    link = outreach_organisations
    if f.engaged:
        query = query.where(_engaged(link, link.c.organisation_id, Organisation.id, f.engaged))
    if f.never_engaged:
        query = query.where(
            ~_engaged(link, link.c.organisation_id, Organisation.id, f.never_engaged)
        )
    return query.order_by(*ORGANISATION_SORTS.get(f.sort, ORGANISATION_SORTS["name"]))


def people_query(f: RegisterFilter) -> sa.Select[tuple[Person]]:
    query = sa.select(Person).where(
        Person.deleted_at.is_not(None) if f.deleted else Person.deleted_at.is_(None)
    )
    for token in _tokens(f.q):
        # Every word typed must start a word of the name or e-mail, or of an organisation
        # the person holds a position at: index range scans, not a scan of every person.
        if f.deleted:
            query = query.where(
                _deleted_match(token, Person.name_normalised, Person.email_normalised)
            )
        else:
            query = query.where(Person.id.in_(matching_ids("person", token)))
    if f.country:
        query = query.where(Person.country_code == f.country)
    if f.officer:
        query = query.where(Person.responsible_officer_id == f.officer)
    if f.organisation:
        query = query.where(
            sa.exists().where(
                Position.person_id == Person.id, Position.organisation_id == f.organisation
            )
        )
    if f.kind or f.size:
        at = sa.exists().where(
            Position.person_id == Person.id, Position.organisation_id == Organisation.id
        )
        if f.kind:
            at = at.where(Organisation.kind == f.kind)
        if f.size:
            at = at.where(Organisation.size_class == f.size)
        query = query.where(at)
    if f.tag:
        query = query.where(
            sa.exists().where(
                person_tags.c.person_id == Person.id,
                person_tags.c.tag_id == Tag.id,
                Tag.name == f.tag,
            )
        )
    link = outreach_people
    if f.engaged:
        query = query.where(_engaged(link, link.c.person_id, Person.id, f.engaged))
    if f.never_engaged:
        query = query.where(~_engaged(link, link.c.person_id, Person.id, f.never_engaged))
    order = PEOPLE_SORTS.get(f.sort, PEOPLE_SORTS["name"])
    if _tokens(f.q) and order is PEOPLE_SORTS["name"]:
        # A search matches few people: sort those few. Ordering by the bare column would make
        # SQLite walk the name index over everyone, testing each person against the matches.
        order = (sa.func.coalesce(Person.sort_name, ""), Person.id)
    return query.order_by(*order)


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    pages: int
    is_capped: bool = False  # more than COUNT_CAP records: total and pages are lower bounds
    has_next: bool = False


COUNT_CAP = 10_000


def _capped_count(query: sa.Select[Any], in_order: bool = False) -> sa.Select[tuple[int]]:
    # Count ids only: a subquery of whole rows makes SQLite decode every column it counts.
    # in_order: the query's order is an index's, and walking that index is the cheapest
    # count (SQLite would otherwise scan the table: 2 ms instead of 0.5 for 10,001 people).
    capped = (
        (query if in_order else query.order_by(None))
        .with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
        .limit(COUNT_CAP + 1)
        .subquery()
    )
    return sa.select(sa.func.count()).select_from(capped).correlate(None)


def paginate(
    query: sa.Select[Any],
    page: int,
    size: int = PAGE_SIZE,
    rows: bool = False,
    count_in_order: bool = False,
) -> Page:
    """One page of ``query`` and how many records there are, counted up to ``COUNT_CAP``.

    Counting every one of 100,000 people on each page view was most of the list's cost; past
    ten thousand the exact number helps nobody (the page says "more than 10,000"). The count
    comes with the page, as a subquery that both databases run once: one statement per page.
    ``rows``: plain column tuples (with ``total`` last) instead of ORM objects.
    """
    count = _capped_count(query, count_in_order)
    counted = query.add_columns(count.scalar_subquery().label("total"))

    def fetch(limit: int, offset: int) -> list[Any]:
        found = list(db.session.execute(counted.limit(limit).offset(offset)))
        return found if rows else [row[0] for row in found]

    asked = max(1, page)
    found = list(db.session.execute(counted.limit(size).offset((asked - 1) * size)))
    if found:
        total = found[0].total
    else:  # nothing on this page: none at all, or past the last page
        total = 0 if asked == 1 else db.session.scalar(count) or 0
    return _page(total, asked, size, fetch, fetched=found if rows else [row[0] for row in found])


def _page(
    total: int,
    page: int,
    size: int,
    fetch: Callable[[int, int], list[Any]],
    fetched: list[Any] | None = None,
) -> Page:
    """The page asked for (clamped to the last one) of ``total`` records, counted up to
    ``COUNT_CAP + 1``; ``fetch(limit, offset)`` reads its items unless ``fetched`` holds
    those of the page asked for already."""
    asked = page
    is_capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // size))
    page = max(1, page) if is_capped else min(max(1, page), pages)
    items = fetched if fetched is not None and page == asked else fetch(size, (page - 1) * size)
    if is_capped and not items and page > 1:
        page = pages
        items = fetch(size, (page - 1) * size)
    has_next = page < pages or (is_capped and len(items) == size)
    return Page(items, total, page, max(pages, page), is_capped, has_next)


def find_organisation(name: str) -> Organisation:
    """The one live organisation a typed name points to; otherwise a message that helps."""
    from crm.services.errors import ValidationError

    tokens = _tokens(name)
    if not tokens:
        raise ValidationError("type the organisation's name", field="organisation")
    exact = db.session.scalars(
        sa.select(Organisation)
        .where(Organisation.name_normalised == " ".join(tokens), Organisation.deleted_at.is_(None))
        .limit(2)
    ).all()
    if len(exact) == 1:
        return exact[0]
    matches = organisation_suggestions(name, limit=6)
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise ValidationError(
            f"no organisation matches {name!r}; create it first", field="organisation"
        )
    listed = "; ".join(f"{o.name} ({o.country_code})" for o in matches[:5])
    raise ValidationError(
        f"{name!r} matches several organisations: {listed}. Type more of the name",
        field="organisation",
    )


def organisation_suggestions(q: str, limit: int = 10) -> list[Organisation]:
    """Live organisations whose name holds every word typed, shortest names first."""
    query = sa.select(Organisation).where(Organisation.deleted_at.is_(None))
    tokens = _tokens(q)
    if not tokens:
        return []
    for token in tokens:
        query = query.where(Organisation.id.in_(matching_ids("organisation", token)))
    query = query.order_by(sa.func.length(Organisation.name_normalised), Organisation.id)
    return list(db.session.scalars(query.limit(limit)))


@dataclass
class PersonRow:
    """One line of the people list: plain values, no ORM objects to build and track."""

    id: int
    first_name: str
    last_name: str
    email: str | None
    country_code: str | None
    is_restricted: bool
    positions: list[tuple[str, str]] = field(default_factory=list)  # (organisation, title)
    tags: list[str] = field(default_factory=list)


# Built once, in Core (no ORM entities to set up per row): the same statements serve every
# page, only their parameters change.
_people = Person.__table__
_positions = Position.__table__
_organisations = Organisation.__table__
_tags = Tag.__table__
_CURRENT_POSITIONS = (
    sa.select(_positions.c.person_id, _organisations.c.name, _positions.c.title)
    .join(_organisations, _organisations.c.id == _positions.c.organisation_id)
    .where(
        _positions.c.person_id.in_(sa.bindparam("ids", expanding=True)),
        sa.or_(_positions.c.ends_on.is_(None), _positions.c.ends_on >= sa.bindparam("today")),
    )
    .order_by(_positions.c.person_id, _positions.c.starts_on.desc(), _positions.c.id)
)
_TAGS = (
    sa.select(person_tags.c.person_id, _tags.c.name)
    .join(_tags, _tags.c.id == person_tags.c.tag_id)
    .where(person_tags.c.person_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(_tags.c.name)
)
_PERSON_COLUMNS = (
    Person.id,
    Person.first_name,
    Person.last_name,
    Person.email,
    Person.country_code,
    Person.is_restricted,
)


_NARROWING = (
    "kind",
    "country",
    "size",
    "tag",
    "officer",
    "organisation",
    "engaged",
    "never_engaged",
    "deleted",
)


def _narrowed(f: RegisterFilter, *but: str) -> bool:
    """Whether a filter other than the words typed (and those named) narrows the list."""
    return any(getattr(f, name) for name in _NARROWING if name not in but)


def _in_index_order(f: RegisterFilter) -> bool:
    """Live people in name order, of all countries or one: an index holds them in order."""
    order = PEOPLE_SORTS.get(f.sort, PEOPLE_SORTS["name"])
    return not (_tokens(f.q) or _narrowed(f, "country")) and order in (
        PEOPLE_SORTS["name"],
        PEOPLE_SORTS["-name"],
    )


def _words_only(f: RegisterFilter) -> bool:
    """A search of live people by words alone, in the default order: the word index answers
    it without reading the people who match (2,096 for "muller" at 100,000 people)."""
    order = PEOPLE_SORTS.get(f.sort, PEOPLE_SORTS["name"])
    return bool(_tokens(f.q)) and not _narrowed(f) and order is PEOPLE_SORTS["name"]


@functools.cache
def _indexed_search(shape: search_index.Shape) -> sa.Select[Any]:
    """One page of the people matching the words, with their number (parameters ``limit``,
    ``offset``, ``cap`` and those of ``search_index.prefix_parameters``): the index ranks
    and counts, and only the 50 people shown are read."""
    terms = SearchTerm.__table__
    ranked = (
        search_index.matches("person", shape)
        .order_by(terms.c.sort_key, terms.c.entity_id)
        .limit(sa.bindparam("limit"))
        .offset(sa.bindparam("offset"))
        .subquery("ranked")
    )
    total = search_index.counting("person", shape).scalar_subquery()
    return (
        sa.select(*(_people.c[c.key] for c in _PERSON_COLUMNS), total.label("total"))
        .join_from(ranked, _people, _people.c.id == ranked.c.entity_id)
        .order_by(ranked.c.sort_key, ranked.c.entity_id)
    )


def _indexed_search_page(f: RegisterFilter) -> Page:
    tokens = _tokens(f.q)
    shape, parameters = search_index.prefix_parameters(tokens)
    statement = _indexed_search(shape)

    def fetch(limit: int, offset: int) -> list[Any]:
        values = {**parameters, "limit": limit, "offset": offset, "cap": COUNT_CAP + 1}
        return list(db.session.execute(statement, values))

    asked = max(1, f.page)
    items = fetch(PAGE_SIZE, (asked - 1) * PAGE_SIZE)
    # The count comes with the rows; past the last page there are none to bring it.
    total = items[0].total if items else search_index.count_matches("person", tokens, COUNT_CAP)
    return _page(total, asked, PAGE_SIZE, fetch, fetched=items)


def people_page(f: RegisterFilter) -> Page:
    """A page of the people list with current positions and tags, in three plain queries.

    Building ORM objects for 50 people, their positions, organisations and tags was most of
    the list's time at 100,000 people.
    """
    if _words_only(f):
        page = _indexed_search_page(f)
    else:
        query = people_query(f).with_only_columns(*_PERSON_COLUMNS, maintain_column_froms=True)
        page = paginate(query, f.page, rows=True, count_in_order=_in_index_order(f))
    rows = {r.id: PersonRow(*r[:6]) for r in page.items}
    if rows:
        params = {"ids": list(rows), "today": date.today()}
        for person_id, name, title in db.session.execute(_CURRENT_POSITIONS, params):
            rows[person_id].positions.append((name, title))
        for person_id, name in db.session.execute(_TAGS, params):
            rows[person_id].tags.append(name)
    page.items = list(rows.values())
    return page
