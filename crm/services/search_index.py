"""The word index behind register search: terms per live person and organisation.

An organisation's terms are the words of its name, acronym and e-mail. A person's are the
words of their name and e-mail and the terms of every live organisation they hold (or
held) a position at, so "muller" finds the people of Müller Präzision GmbH from the index
alone. Each term carries its record's sort key, and deleted or erased records have no
terms: a search's page and count never read the people table.

Nothing here is called by the write paths: the session hook in ``crm.services.search_sync``
collects what each flush changed and calls ``rewrite`` once. ``rebuild`` rewrites everything
after a bulk load (``crm reindex``, the demo).
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.models import Organisation, Person, Position, SearchTerm
from crm.models.base import table_of
from crm.services.text import normalise_text

TERM_LENGTH = 60
_EMAIL_SPLIT = re.compile(r"[@._+-]+")


def terms_of(*texts: str | None) -> set[str]:
    """Distinct search words of the given texts (e-mails split at @ . _ + -)."""
    words: set[str] = set()
    for text in texts:
        if not text:
            continue
        for part in _EMAIL_SPLIT.split(text) if "@" in text else [text]:
            words.update(w[:TERM_LENGTH] for w in normalise_text(part).split() if w)
    return words


_LIVE_PEOPLE = sa.select(
    Person.id, Person.sort_name, Person.first_name, Person.last_name, Person.email
).where(Person.deleted_at.is_(None), Person.erased_at.is_(None))
_LIVE_ORGANISATIONS = sa.select(
    Organisation.id,
    Organisation.name_normalised,
    Organisation.name,
    Organisation.acronym,
    Organisation.email,
).where(Organisation.deleted_at.is_(None))


def _rows(
    entity: str, record_id: int, sort_key: str, terms: Iterable[str]
) -> Iterator[dict[str, object]]:
    for term in sorted(terms):
        yield {"entity": entity, "entity_id": record_id, "term": term, "sort_key": sort_key}


_terms = table_of(SearchTerm)
CHUNK = 5_000  # ids per statement: far below the bound-parameter limits of both databases


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def rewrite(session: Session, person_ids: Iterable[int], organisation_ids: Iterable[int]) -> None:
    """Rewrite the terms of these people and organisations from the register as it is now
    (in the database, so after a flush): one DELETE and one INSERT for all of them. Deleted
    and erased records, and records that are gone, lose their terms."""
    no_ids: list[int] = []
    batches = itertools.zip_longest(
        _chunks(sorted(set(person_ids))), _chunks(sorted(set(organisation_ids))), fillvalue=no_ids
    )
    for some_people, some_organisations in batches:
        rows = _person_rows(session, some_people) + _organisation_rows(session, some_organisations)
        whose = [
            sa.and_(_terms.c.entity == entity, _terms.c.entity_id.in_(ids))
            for entity, ids in (("person", some_people), ("organisation", some_organisations))
            if ids
        ]
        # Core statements on the table: this runs inside a flush, where the ORM's own DML
        # (and its synchronising of loaded objects) has nothing to do.
        session.execute(sa.delete(_terms).where(sa.or_(*whose)))
        if rows:
            session.execute(sa.insert(_terms), rows)


def _person_rows(session: Session, ids: list[int]) -> list[dict[str, object]]:
    if not ids:
        return []
    # On PostgreSQL, lock the people first (in id order): an erasure or a delete of one of
    # them running at the same time then waits for this rewrite, or this one for it, and
    # never leaves behind terms it wrote from a version of the person that is gone.
    session.execute(
        sa.select(Person.id).where(Person.id.in_(ids)).order_by(Person.id).with_for_update()
    )
    organisation_terms: dict[int, set[str]] = defaultdict(set)
    held = (
        _LIVE_ORGANISATIONS.join(Position, Position.organisation_id == Organisation.id)
        .add_columns(Position.person_id)
        .where(Position.person_id.in_(ids))
    )
    for _id, _key, name, acronym, email, person_id in session.execute(held):
        organisation_terms[person_id] |= terms_of(name, acronym, email)
    rows: list[dict[str, object]] = []
    for person_id, sort_key, first_name, last_name, email in session.execute(
        _LIVE_PEOPLE.where(Person.id.in_(ids))
    ):
        terms = terms_of(first_name, last_name, email) | organisation_terms[person_id]
        rows.extend(_rows("person", person_id, sort_key, terms))
    return rows


def _organisation_rows(session: Session, ids: list[int]) -> list[dict[str, object]]:
    if not ids:
        return []
    rows: list[dict[str, object]] = []
    for record_id, sort_key, name, acronym, email in session.execute(
        _LIVE_ORGANISATIONS.where(Organisation.id.in_(ids))
    ):
        rows.extend(_rows("organisation", record_id, sort_key, terms_of(name, acronym, email)))
    return rows


def people_of(session: Session, organisation_ids: Iterable[int]) -> set[int]:
    """The people holding (or having held) a position at these organisations: their terms
    carry the organisations' words."""
    found: set[int] = set()
    for some in _chunks(sorted(set(organisation_ids))):
        found.update(
            session.scalars(
                sa.select(Position.person_id).where(Position.organisation_id.in_(some)).distinct()
            )
        )
    return found


def rebuild(batch: int = 5_000) -> int:
    """Rebuild the whole index from the register (after bulk loads); returns rows written.

    Organisations' terms are kept in memory (36,813 at scale 100) and people are read in
    batches, so a rebuild costs a few reads instead of one per person.
    """
    db.session.execute(sa.delete(SearchTerm))
    written = 0
    pending: list[dict[str, object]] = []

    def write(rows: Iterable[dict[str, object]]) -> None:
        nonlocal written, pending
        pending.extend(rows)
        if len(pending) >= batch:
            db.session.execute(sa.insert(SearchTerm), pending)
            written += len(pending)
            pending = []

    organisation_terms: dict[int, set[str]] = {}
    for record_id, sort_key, name, acronym, email in db.session.execute(
        _LIVE_ORGANISATIONS.execution_options(yield_per=batch)
    ):
        organisation_terms[record_id] = terms_of(name, acronym, email)
        write(_rows("organisation", record_id, sort_key, organisation_terms[record_id]))
    held: dict[int, list[int]] = defaultdict(list)
    for person_id, organisation_id in db.session.execute(
        sa.select(Position.person_id, Position.organisation_id).execution_options(yield_per=batch)
    ):
        held[person_id].append(organisation_id)
    for person_id, sort_key, first_name, last_name, email in db.session.execute(
        _LIVE_PEOPLE.execution_options(yield_per=batch)
    ):
        terms = terms_of(first_name, last_name, email)
        for organisation_id in held.get(person_id, ()):
            terms |= organisation_terms.get(organisation_id, set())
        write(_rows("person", person_id, sort_key, terms))
    if pending:
        db.session.execute(sa.insert(SearchTerm), pending)
        written += len(pending)
    return written


_NEXT = {**{c: chr(ord(c) + 1) for c in "012345678abcdefghijklmnopqrstuvwxy"}, "9": "a"}


def _after_prefix(token: str) -> str | None:
    """The smallest string greater than every word starting with ``token``.

    Terms hold only digits and lower-case letters, which every collation orders the same way,
    so a range (not LIKE, which needs special indexes on both databases) finds prefixes.
    """
    stripped = token.rstrip("z")
    if not stripped:
        return None
    return stripped[:-1] + _NEXT[stripped[-1]]


def _term_range(
    lower: object, upper: object | None, terms: sa.FromClause = _terms
) -> list[sa.ColumnElement[bool]]:
    """Terms from ``lower`` up to, not including, ``upper`` (none: no upper end), as an index
    range: values or bound parameters."""
    condition = [terms.c.term >= lower]
    if upper is not None:
        condition.append(terms.c.term < upper)
    return condition


def matching_ids(entity: str, token: str) -> sa.Select[int]:
    """Ids of live records of ``entity`` with a term starting with ``token``."""
    return sa.select(_terms.c.entity_id).where(
        _terms.c.entity == entity, *_term_range(token, _after_prefix(token))
    )


Shape = tuple[bool, ...]  # per word typed, longest first: does its range have an upper end?


def prefix_parameters(tokens: list[str]) -> tuple[Shape, dict[str, str]]:
    """The shape of the statement that finds records matching every token (for ``matches``)
    and its parameters. The longest token comes first: it matches fewest terms, so its
    range scan drives the query and the others only narrow it."""
    shape: list[bool] = []
    parameters: dict[str, str] = {}
    for n, token in enumerate(sorted(tokens, key=len, reverse=True)):
        upper = _after_prefix(token)
        shape.append(upper is not None)
        parameters[f"from_{n}"] = token
        if upper is not None:
            parameters[f"to_{n}"] = upper
    return tuple(shape), parameters


def _range(n: int, bounded: bool, terms: sa.FromClause = _terms) -> list[sa.ColumnElement[bool]]:
    upper: sa.BindParameter[str] | None = sa.bindparam(f"to_{n}") if bounded else None
    return _term_range(sa.bindparam(f"from_{n}"), upper, terms)


@functools.cache
def matches(entity: str, shape: Shape) -> sa.Select[str, int]:
    """Distinct (sort key, id) of the records of ``entity`` with a term starting with every
    token, from the index alone; built once per shape (Core, bound parameters), so a search
    compiles nothing. Parameters: ``prefix_parameters``."""
    leading, *others = shape
    query = sa.select(_terms.c.sort_key, _terms.c.entity_id).where(
        _terms.c.entity == entity, *_range(0, leading)
    )
    for n, bounded in enumerate(others, start=1):
        narrowing = _terms.alias(f"t{n}")
        query = query.where(
            _terms.c.entity_id.in_(
                sa.select(narrowing.c.entity_id).where(
                    narrowing.c.entity == entity, *_range(n, bounded, narrowing)
                )
            )
        )
    return query.distinct()


@functools.cache
def counting(entity: str, shape: Shape) -> sa.Select[int]:
    """How many records ``matches`` finds, up to the parameter ``cap``."""
    ids = matches(entity, shape).with_only_columns(_terms.c.entity_id)
    return sa.select(sa.func.count()).select_from(ids.limit(sa.bindparam("cap")).subquery())


def count_matches(entity: str, tokens: list[str], cap: int) -> int:
    """How many records match every token, counted up to ``cap + 1``."""
    shape, parameters = prefix_parameters(tokens)
    return db.session.scalar(counting(entity, shape), {**parameters, "cap": cap + 1}) or 0
