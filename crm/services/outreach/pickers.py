"""What the outreach form's pickers offer and how they read what was typed.

The type-aheads ask these functions while the user types; without JavaScript the form sends
the typed text instead, and the same functions resolve it on the server (an exact e-mail or
code, or a single match of the words). Erased and deleted people and organisations are never
offered: the search index holds live records only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from crm.extensions import db
from crm.models import CommitmentItem, Event, Organisation, Person, Position
from crm.services.checks import clean_text
from crm.services.errors import ValidationError
from crm.services.search import find_organisation, organisation_suggestions
from crm.services.search_index import matching_ids
from crm.services.text import normalise_text

QUERY_LIMIT = 200  # characters of a type-ahead query
MAX_TOKENS = 6
SUGGESTIONS = 10  # people and organisations per answer
SUBITEM_SUGGESTIONS = 15
EVENT_SUGGESTIONS = 20
EVENT_WINDOW = timedelta(days=45)  # events offered around the outreach's date
CANDIDATES = 6  # shown to tick when typed text matches several records


class Ambiguous(ValidationError):
    """Typed text that matches several records; ``candidates`` are offered to tick."""

    def __init__(self, message: str, field: str, candidates: list[object]) -> None:
        super().__init__(message, field=field)
        self.candidates = candidates


@dataclass(frozen=True)
class PersonChoice:
    id: int
    name: str
    email: str | None = None
    organisation_id: int | None = None  # where they hold a position today
    organisation_name: str | None = None
    is_gone: bool = False  # deleted or erased since it was chosen

    def as_json(self) -> dict[str, object]:
        organisation = (
            {"id": self.organisation_id, "name": self.organisation_name}
            if self.organisation_id is not None
            else None
        )
        return {"id": self.id, "name": self.name, "email": self.email, "organisation": organisation}


@dataclass(frozen=True)
class OrganisationChoice:
    id: int
    name: str
    country: str | None = None
    is_gone: bool = False

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "country": self.country}


@dataclass(frozen=True)
class SubitemChoice:
    id: int
    code: str
    text: str
    is_leaf: bool = True

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "code": self.code, "text": self.text}


@dataclass(frozen=True)
class EventChoice:
    id: int
    title: str
    starts_on: date
    city: str | None = None
    label: str = field(default="", compare=False)

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "on": self.starts_on.isoformat(),
            "label": self.label,
        }


def clean_query(value: object, field: str = "q") -> str:
    """What was typed into a picker: text of at most ``QUERY_LIMIT`` characters, or ""."""
    return clean_text(value, field, QUERY_LIMIT) or ""


def _tokens(text: str) -> list[str]:
    return normalise_text(text).split()[:MAX_TOKENS]


# People ------------------------------------------------------------------------------


def current_organisations(person_ids: Collection[int], on: date) -> dict[int, tuple[int, str]]:
    """Per person, the live organisation where they hold a position on ``on`` (the latest
    begun if several): the one a picked person's outreach is offered to count for."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        sa.select(Position.person_id, Organisation.id, Organisation.name)
        .join(Organisation, Organisation.id == Position.organisation_id)
        .where(
            Position.person_id.in_(person_ids),
            Organisation.deleted_at.is_(None),
            sa.or_(Position.starts_on.is_(None), Position.starts_on <= on),
            sa.or_(Position.ends_on.is_(None), Position.ends_on >= on),
        )
        .order_by(Position.person_id, Position.starts_on.desc(), Position.id.desc())
    ).all()
    found: dict[int, tuple[int, str]] = {}
    for person_id, organisation_id, name in rows:
        found.setdefault(person_id, (organisation_id, name))
    return found


def _is_gone(person: Person) -> bool:
    return person.deleted_at is not None or person.erased_at is not None


def _people(people: Iterable[Person], on: date) -> list[PersonChoice]:
    """A deleted or erased person (still ticked on a record, or sent by id) is named so that
    they can be unticked, and nothing more: their e-mail and organisation are for those who
    see deleted records, on the register's pages."""
    people = list(people)
    where = current_organisations([p.id for p in people if not _is_gone(p)], on)
    choices = []
    for person in people:
        organisation_id, organisation_name = where.get(person.id, (None, None))
        gone = _is_gone(person)
        choices.append(
            PersonChoice(
                person.id,
                person.full_name or f"Erased person #{person.id}",
                None if gone else person.email,
                organisation_id,
                organisation_name,
                is_gone=gone,
            )
        )
    return choices


def people_choices(person_ids: Iterable[int], on: date) -> list[PersonChoice]:
    """The chosen people in the order given (unknown ids left out), gone ones marked."""
    ids = list(dict.fromkeys(person_ids))
    by_id = {p.id: p for p in db.session.scalars(sa.select(Person).where(Person.id.in_(ids)))}
    return _people((by_id[i] for i in ids if i in by_id), on)


def person_suggestions(q: str, on: date, limit: int = SUGGESTIONS) -> list[PersonChoice]:
    """Live, unerased people matching every word typed (names, e-mail, their organisations'
    names), an exact e-mail first; each with their organisation on ``on``."""
    tokens = _tokens(q)
    if not tokens:
        return []
    live = sa.and_(Person.deleted_at.is_(None), Person.erased_at.is_(None))
    exact: list[Person] = []
    if "@" in q:
        exact = list(
            db.session.scalars(
                sa.select(Person).where(live, Person.email_normalised == q.strip().lower())
            )
        )
    query = sa.select(Person).where(live)
    for token in tokens:
        query = query.where(Person.id.in_(matching_ids("person", token)))
    found = db.session.scalars(query.order_by(Person.sort_name, Person.id).limit(limit)).all()
    ordered = list(dict.fromkeys([*exact, *found]))[:limit]
    return _people(ordered, on)


def find_person(text: str, on: date, field: str = "person_ids") -> PersonChoice:
    """The one live person typed text means: an exact e-mail, or the only match of its
    words. Several matches raise ``Ambiguous`` with them as candidates."""
    if not _tokens(text):
        raise ValidationError("type a name or an e-mail address", field=field)
    found = person_suggestions(text, on, limit=CANDIDATES + 1)
    if "@" in text and found and found[0].email and found[0].email.lower() == text.strip().lower():
        return found[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationError(
            f"nobody in the register matches {text[:80]!r}; add the person to the register first",
            field=field,
        )
    raise Ambiguous(
        f"{text[:80]!r} matches several people: tick the one you mean, or type their e-mail",
        field,
        list(found[:CANDIDATES]),
    )


# Organisations -------------------------------------------------------------------------


def organisation_choices(organisation_ids: Iterable[int]) -> list[OrganisationChoice]:
    """The chosen organisations in the order given, deleted ones marked."""
    ids = list(dict.fromkeys(organisation_ids))
    rows = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
    by_id = {o.id: o for o in rows}
    return [
        OrganisationChoice(o.id, o.name, o.country_code, is_gone=o.deleted_at is not None)
        for o in (by_id[i] for i in ids if i in by_id)
    ]


def organisation_offers(q: str, limit: int = SUGGESTIONS) -> list[OrganisationChoice]:
    return [
        OrganisationChoice(o.id, o.name, o.country_code) for o in organisation_suggestions(q, limit)
    ]


def find_organisation_choice(text: str, field: str = "organisation_ids") -> OrganisationChoice:
    """The one live organisation typed text means (the register's rule, ``find_organisation``);
    several matches raise ``Ambiguous`` with them as candidates."""
    try:
        organisation = find_organisation(text)
    except ValidationError as error:
        candidates = organisation_offers(text, CANDIDATES) if _tokens(text) else []
        if len(candidates) > 1:
            raise Ambiguous(
                f"{text[:80]!r} matches several organisations: tick the one you mean",
                field,
                list(candidates),
            ) from None
        raise ValidationError(error.message, field=field) from None
    return OrganisationChoice(organisation.id, organisation.name, organisation.country_code)


# Sub-items -----------------------------------------------------------------------------


def _items() -> list[SubitemChoice]:
    """Every commitment item, in framework order, each marked leaf or not (a few dozen rows)."""
    child = aliased(CommitmentItem)
    has_children = sa.exists().where(child.parent_id == CommitmentItem.id)
    rows = db.session.execute(
        sa.select(
            CommitmentItem.id, CommitmentItem.code, CommitmentItem.text, has_children
        ).order_by(CommitmentItem.framework_id, CommitmentItem.sort_order, CommitmentItem.id)
    ).all()
    return [SubitemChoice(i, code, text, not parent) for i, code, text, parent in rows]


def subitem_choices(item_ids: Iterable[int]) -> list[SubitemChoice]:
    """The chosen commitment items in the order given (unknown ids left out)."""
    ids = list(dict.fromkeys(item_ids))
    by_id = {item.id: item for item in _items() if item.id in ids}
    return [by_id[i] for i in ids if i in by_id]


_CODE = re.compile(r"[0-9][0-9a-z.]*")


def _matches(item: SubitemChoice, code: str, tokens: list[str]) -> bool:
    """A code typed ("1.3", "2.1a") matches codes that start with it; words match the text."""
    if _CODE.fullmatch(code):
        return item.code.lower().startswith(code)
    words = normalise_text(item.text).split()
    return all(any(word.startswith(token) for word in words) for token in tokens)


def subitem_suggestions(
    q: str, first: Collection[int] = (), limit: int = SUBITEM_SUGGESTIONS
) -> list[SubitemChoice]:
    """Sub-items (leaves only) whose code starts with what was typed ("1.3" offers 1.3a to
    1.3c) or whose text holds every word; ``first`` (the user's recent ones) lead. Nothing
    typed: the recent ones."""
    code = q.strip().lower()
    tokens = _tokens(q)
    leaves = [item for item in _items() if item.is_leaf]
    if not code:
        found = [item for item in leaves if item.id in first]
    else:
        found = [item for item in leaves if _matches(item, code, tokens)]
    order = {item_id: n for n, item_id in enumerate(first)}
    found.sort(key=lambda item: order.get(item.id, len(order)))
    return found[:limit]


def find_subitem(text: str, field: str = "subitem_ids") -> SubitemChoice:
    """The commitment item typed text means: its code ("1.3b", case ignored), or the only
    sub-item whose text holds the words. A commitment's or an item's code is taken as typed:
    the outreach service refuses it, naming the sub-items to choose instead."""
    code = text.strip().lower()
    if not code:
        raise ValidationError("type a sub-item's code (e.g. 1.3b) or words of it", field=field)
    exact = [item for item in _items() if item.code.lower() == code]
    if exact:
        return exact[0]
    found = subitem_suggestions(text, limit=CANDIDATES + 1)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationError(
            f"no sub-item matches {text[:80]!r}: type its code, e.g. 1.3b", field=field
        )
    raise Ambiguous(
        f"{text[:80]!r} matches several sub-items: tick the ones you mean",
        field,
        list(found[:CANDIDATES]),
    )


# Events --------------------------------------------------------------------------------


def _event_day(event: Event) -> date:
    if event.start_date is not None:
        return event.start_date
    assert event.starts_at is not None  # the table's check: timed events have a start
    return event.starts_at.date()


def _event_choice(event: Event) -> EventChoice:
    day = _event_day(event)
    place = f", {event.city}" if event.city else ""
    return EventChoice(
        event.id, event.title, day, event.city, f"{event.title} ({day:%d %b %Y}{place})"
    )


def events_around(
    on: date, q: str = "", keep: int | None = None, limit: int = EVENT_SUGGESTIONS
) -> list[EventChoice]:
    """Live events starting within ``EVENT_WINDOW`` of ``on``, nearest first, whose title
    holds every word typed; ``keep`` (the record's event) is always among them."""
    # The window stops at the ends of the calendar (a date typed as 0001-01-01 or
    # 9999-12-31 is refused by the outreach rules, but the form is shown again around it).
    first = on - EVENT_WINDOW if on - date.min > EVENT_WINDOW else date.min
    last = on + EVENT_WINDOW if date.max - on > EVENT_WINDOW else date.max
    window = sa.or_(
        sa.and_(Event.is_all_day.is_(True), Event.start_date.between(first, last)),
        sa.and_(
            Event.is_all_day.is_(False),
            Event.starts_at >= datetime.combine(first, time.min, UTC),
            Event.starts_at <= datetime.combine(last, time.max, UTC),
        ),
    )
    condition = sa.and_(Event.deleted_at.is_(None), window)
    if keep is not None:
        condition = sa.or_(condition, Event.id == keep)
    events = list(db.session.scalars(sa.select(Event).where(condition).limit(500)))
    tokens = _tokens(q)
    if tokens:
        events = [
            e
            for e in events
            if all(any(w.startswith(t) for w in normalise_text(e.title).split()) for t in tokens)
        ]
    events.sort(key=lambda e: (e.id != keep, abs((_event_day(e) - on).days), e.id))
    return [_event_choice(e) for e in events[:limit]]
