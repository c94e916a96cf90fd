"""Finding records in the register: filters, accent-free search, sorting and pages.

The same filtered ``select()`` feeds the lists and the exports, so an export holds exactly
what the list shows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from crm.clock import local_today
from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Organisation,
    OrganisationKind,
    Person,
    Position,
    SearchTerm,
    SizeClass,
    Tag,
    User,
    organisation_tags,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
    person_tags,
)
from crm.services import pagination, search_index
from crm.services.checks import (
    clean_choice,
    clean_country,
    clean_enum_value,
    clean_flag,
    clean_int,
    clean_record_id,
    clean_text,
)
from crm.services.errors import ValidationError
from crm.services.framework import clean_sub_item
from crm.services.pagination import MAX_PAGE, Page, link_args, page_of, paginate
from crm.services.search_index import matching_ids
from crm.services.text import normalise_text

MAX_TOKENS = 6


def _both_ways(**orders: tuple[Any, ...]) -> dict[str, tuple[Any, ...]]:
    """Each sort ascending under its name and descending under ``-name``, every column of
    it reversed: a sort the page offers works both ways."""
    sorts: dict[str, tuple[Any, ...]] = {}
    for name, columns in orders.items():
        sorts[name] = columns
        sorts["-" + name] = tuple(column.desc() for column in columns)
    return sorts


ORGANISATION_SORTS = _both_ways(
    name=(Organisation.name_normalised, Organisation.id),
    country=(Organisation.country_code, Organisation.name_normalised, Organisation.id),
    kind=(Organisation.kind, Organisation.name_normalised, Organisation.id),
    updated=(Organisation.updated_at, Organisation.id),
)
PEOPLE_SORTS = _both_ways(
    name=(Person.sort_name, Person.id),
    country=(Person.country_code, Person.sort_name, Person.id),
    updated=(Person.updated_at, Person.id),
)

_TEXT_PARAMETERS = ("q", "tag", "engaged", "never_engaged")


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
    # Parameters whose values were refused (``read``): the form shows itself open with them.
    refused: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, args: Any, sorts: Collection[str] | None = None) -> RegisterFilter:
        """Read the query string; a value that is not one the list knows raises
        ``ValidationError`` naming the parameter (the view answers 400), never a 500 and
        never a silently empty list. ``sorts``: the sorts of the list (default: any)."""
        result, errors = cls.read(args, sorts)
        if errors:
            raise errors[0]
        return result

    @classmethod
    def read(
        cls, args: Any, sorts: Collection[str] | None = None
    ) -> tuple[RegisterFilter, list[ValidationError]]:
        """The filter of every good value, and the errors of the others. Text typed into a
        text field stays in the filter even when refused, so the form can show it again."""
        result = cls()
        errors: list[ValidationError] = []
        known_sorts = sorts if sorts is not None else {*ORGANISATION_SORTS, *PEOPLE_SORTS}
        readers: dict[str, Callable[[object], object]] = {
            "q": lambda v: clean_text(v, "q", 200) or "",
            "kind": lambda v: clean_enum_value(OrganisationKind, v, "kind"),
            "country": lambda v: clean_country(v, "country") or "",
            "size": lambda v: clean_enum_value(SizeClass, v, "size"),
            "tag": lambda v: clean_text(v, "tag", 80) or "",
            "officer": lambda v: clean_record_id(User, v, "officer", "user"),
            "engaged": lambda v: clean_sub_item(v, "engaged"),
            "never_engaged": lambda v: clean_sub_item(v, "never_engaged"),
            "organisation": lambda v: clean_record_id(
                Organisation, v, "organisation", "organisation"
            ),
            "deleted": lambda v: clean_flag(v, "deleted"),
            "sort": lambda v: clean_choice(v, known_sorts, "sort") or "name",
            "page": lambda v: clean_int(v, "page", 1, MAX_PAGE) or 1,
        }
        for name, read in readers.items():
            raw = args.get(name)
            if raw in (None, ""):
                continue
            try:
                setattr(result, name, read(raw))
            except ValidationError as error:
                errors.append(error)
                if name in _TEXT_PARAMETERS and isinstance(raw, str):
                    setattr(result, name, raw[:200])
        result.refused = [error.field or "" for error in errors]
        return result, errors

    def selection(self) -> tuple[Any, ...]:
        """What the filter selects, whatever the page or the order: the key under which a
        list's count is remembered (``pagination.paginate``)."""
        return (
            self.q,
            self.kind,
            self.country,
            self.size,
            self.tag,
            self.officer,
            self.engaged,
            self.never_engaged,
            self.organisation,
            self.deleted,
        )

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
        return link_args(values, override, "name")


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


def _deleted_match(
    token: str, *columns: sa.ColumnExpressionArgument[str | None]
) -> sa.ColumnElement[bool]:
    """A word typed, among deleted records (which the word index leaves out): any of the
    lower-case columns contains it. Deleted records are few, so scanning them is cheap."""
    return sa.or_(*(sa.func.lower(column).contains(token, autoescape=True) for column in columns))


def organisations_query(f: RegisterFilter) -> sa.Select[Organisation]:
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


# Erased people are left out of every list, as they are of exports and searches: their record
# holds nothing left to find or read (no name, no e-mail) and stays only so that reports keep
# their counts; shown, it was a nameless first row nobody could open. The lists' partial
# indexes hold live, unerased people (models.register.LIVE_PEOPLE), so this condition costs
# nothing: both databases drop it as implied by the index (an OR over sort_name instead made
# PostgreSQL scan the table for the count: 6.4 ms instead of 1.6 ms at 100,000 people).
_NOT_ERASED = Person.erased_at.is_(None)


def people_query(f: RegisterFilter) -> sa.Select[Person]:
    query = sa.select(Person).where(
        Person.deleted_at.is_not(None) if f.deleted else Person.deleted_at.is_(None), _NOT_ERASED
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


def find_organisation(name: str) -> Organisation:
    """The one live organisation a typed name points to; otherwise a message that helps."""
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
        # A deleted organisation's name is for those who may see deleted records; the list
        # shows where people work now, and a deleted organisation is nobody's workplace.
        _organisations.c.deleted_at.is_(None),
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
        values = {**parameters, "limit": limit, "offset": offset, "cap": pagination.COUNT_CAP + 1}
        return list(db.session.execute(statement, values))

    asked = max(1, f.page)
    items = fetch(pagination.PAGE_SIZE, (asked - 1) * pagination.PAGE_SIZE)
    # The count comes with the rows; past the last page there are none to bring it.
    total = (
        items[0].total
        if items
        else search_index.count_matches("person", tokens, pagination.COUNT_CAP)
    )
    return page_of(total, asked, pagination.PAGE_SIZE, fetch, fetched=items)


def people_page(f: RegisterFilter) -> Page:
    """A page of the people list with current positions and tags, in three plain queries.

    Building ORM objects for 50 people, their positions, organisations and tags was most of
    the list's time at 100,000 people.
    """
    if _words_only(f):
        page = _indexed_search_page(f)
    else:
        query = people_query(f).with_only_columns(*_PERSON_COLUMNS, maintain_column_froms=True)
        page = paginate(
            query,
            f.page,
            rows=True,
            count_in_order=_in_index_order(f),
            count_key=("people", f.selection()),
        )
    rows = {r.id: PersonRow(*r[:6]) for r in page.items}
    if rows:
        params = {"ids": list(rows), "today": local_today()}
        for person_id, name, title in db.session.execute(_CURRENT_POSITIONS, params):
            rows[person_id].positions.append((name, title))
        for person_id, name in db.session.execute(_TAGS, params):
            rows[person_id].tags.append(name)
    page.items = list(rows.values())
    return page
