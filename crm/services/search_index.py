"""The word index behind register search: terms per person and organisation.

A person's terms are the words of their name and e-mail; an organisation's the words of its
name, acronym and e-mail. People are also found by the terms of organisations they hold a
position at, joined at query time, so renaming an organisation needs no re-indexing of its
people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Organisation, Person, SearchTerm
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


def person_terms(person: Person) -> set[str]:
    return terms_of(person.first_name, person.last_name, person.email)


def organisation_terms(organisation: Organisation) -> set[str]:
    return terms_of(organisation.name, organisation.acronym, organisation.email)


def reindex(record: Person | Organisation) -> None:
    """Rewrite one record's terms (after a create, an edit, a merge or an erasure)."""
    entity = "person" if isinstance(record, Person) else "organisation"
    db.session.flush()
    db.session.execute(
        sa.delete(SearchTerm).where(SearchTerm.entity == entity, SearchTerm.entity_id == record.id)
    )
    terms = person_terms(record) if isinstance(record, Person) else organisation_terms(record)
    if terms:
        db.session.execute(
            sa.insert(SearchTerm),
            [{"entity": entity, "entity_id": record.id, "term": term} for term in sorted(terms)],
        )


def forget(record: Person | Organisation) -> None:
    """Drop a record's terms (an erased person must not stay findable by name)."""
    entity = "person" if isinstance(record, Person) else "organisation"
    db.session.execute(
        sa.delete(SearchTerm).where(SearchTerm.entity == entity, SearchTerm.entity_id == record.id)
    )


def _rows(entity: str, pairs: Iterable[tuple[int, set[str]]]) -> Iterator[dict[str, object]]:
    for record_id, terms in pairs:
        for term in terms:
            yield {"entity": entity, "entity_id": record_id, "term": term}


def rebuild(batch: int = 5_000) -> int:
    """Rebuild the whole index from the register (after bulk loads); returns rows written."""
    db.session.execute(sa.delete(SearchTerm))
    written = 0
    sources = (
        ("person", sa.select(Person.id, Person.first_name, Person.last_name, Person.email)),
        (
            "organisation",
            sa.select(Organisation.id, Organisation.name, Organisation.acronym, Organisation.email),
        ),
    )
    for entity, query in sources:
        pending: list[dict[str, object]] = []
        for row in db.session.execute(query.execution_options(yield_per=batch)):
            pending.extend(_rows(entity, [(row[0], terms_of(*row[1:]))]))
            if len(pending) >= batch:
                db.session.execute(sa.insert(SearchTerm), pending)
                written += len(pending)
                pending = []
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


def matching_ids(entity: str, token: str) -> sa.Select[tuple[int]]:
    """Ids of records of ``entity`` with a term starting with ``token``."""
    query = sa.select(SearchTerm.entity_id).where(
        SearchTerm.entity == entity, SearchTerm.term >= token
    )
    upper = _after_prefix(token)
    if upper is not None:
        query = query.where(SearchTerm.term < upper)
    return query
