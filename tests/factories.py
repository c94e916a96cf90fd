"""Factories for realistic objects; each flushes (so ids exist) and leaves committing to tests."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

import sqlalchemy as sa

from crm.clock import local_date
from crm.extensions import db
from crm.models import (
    Channel,
    CommitmentItem,
    Event,
    EventKind,
    FollowUp,
    FollowUpStatus,
    LawfulBasis,
    Material,
    MaterialKind,
    Organisation,
    OrganisationKind,
    OurRole,
    Outreach,
    OutreachPerson,
    Person,
    Position,
    PositionRole,
    Role,
    SizeClass,
    User,
)
from crm.models.followups import due_fields, due_moment
from crm.services.accounts import hash_password
from crm.services.outreach import counted_organisations
from crm.services.text import normalise_text, person_name_keys

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


@cache
def _password_hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow on purpose: hash each password once


def make_user(
    role: str | Role = Role.OFFICER,
    email: str | None = None,
    password: str = PASSWORD,
    full_name: str | None = None,
) -> User:
    n = next(_sequence)
    role = Role(role)
    user = User(
        email=email or f"{role.value}{n}@programme.example",
        full_name=full_name or f"Test {role.label} {n}",
        role=role,
        password_hash=_password_hash(password),
    )
    db.session.add(user)
    db.session.flush()
    return user


def make_organisation(
    name: str | None = None,
    kind: OrganisationKind = OrganisationKind.ENTERPRISE,
    country_code: str = "DE",
    headcount: int | None = 42,
) -> Organisation:
    n = next(_sequence)
    name = name or f"Müller Präzisionstechnik {n} GmbH"
    organisation = Organisation(
        name=name,
        name_normalised=normalise_text(name),
        kind=kind,
        country_code=country_code,
        city="Stuttgart",
        headcount=headcount if kind == OrganisationKind.ENTERPRISE else None,
        size_class=SizeClass.SMALL if kind == OrganisationKind.ENTERPRISE else None,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_person(
    first_name: str = "Jürgen",
    last_name: str | None = None,
    organisation: Organisation | None = None,
    email: str | None = None,
    role: PositionRole = PositionRole.MANAGER,
) -> Person:
    n = next(_sequence)
    last_name = last_name or f"Schäfer{n}"
    email = email or f"j.schaefer{n}@mueller-praezision.example"
    person = Person(
        first_name=first_name,
        last_name=last_name,
        **person_name_keys(first_name, last_name),
        email=email,
        email_normalised=email.lower(),
        country_code="DE",
        lawful_basis=LawfulBasis.LEGITIMATE_INTEREST,
        lawful_basis_source="Met at EMO Hannover, business card",
    )
    if organisation is not None:
        person.positions.append(
            Position(
                organisation=organisation,
                role=role,
                title="Head of production",
                starts_on=date(2020, 1, 1),
            )
        )
    db.session.add(person)
    db.session.flush()
    return person


def subitem(code: str) -> CommitmentItem:
    item = db.session.scalar(sa.select(CommitmentItem).where(CommitmentItem.code == code))
    assert item is not None, f"sub-item {code} is not seeded"
    return item


def make_outreach(
    subitem_codes: tuple[str, ...] = ("1.3b",),
    logged_by: User | None = None,
    organisations: list[Organisation] | None = None,
    occurred_at: datetime | None = None,
    people: list[Person] | None = None,
    materials: list[Material] | None = None,
    event: Event | None = None,
    channel: Channel = Channel.MEETING,
    subject: str = "Presented the DESIGN-MTS guidelines to the management",
    counted_for: dict[int, Organisation | None] | None = None,
) -> Outreach:
    """An outreach record as the service would store it, without its checks (tests that
    need a record deleted, erased people on it, or an odd shape build it here).

    Each person counts for the organisation ``outreach.counted_organisation`` gives on the
    day, unless ``counted_for`` (person id -> organisation) says otherwise.
    """
    occurred_at = occurred_at or datetime.now(UTC) - timedelta(days=3)
    organisations = organisations or []
    people = people or []
    counted = counted_organisations(
        [p.id for p in people], local_date(occurred_at), [o.id for o in organisations]
    )
    for person_id, organisation in (counted_for or {}).items():
        counted[person_id] = organisation.id if organisation is not None else None
    outreach = Outreach(
        occurred_at=occurred_at,
        channel=channel,
        subject=subject,
        logged_by_id=logged_by.id if logged_by else None,
        subitems=[subitem(code) for code in subitem_codes],
        organisations=organisations,
        materials=materials or [],
        event_id=event.id if event is not None else None,
        person_links=[OutreachPerson(person=p, organisation_id=counted[p.id]) for p in people],
    )
    db.session.add(outreach)
    db.session.flush()
    return outreach


def make_material(
    title: str = "DESIGN-MTS CSR guidelines for machine-tool enterprises",
    kind: MaterialKind = MaterialKind.GUIDELINES,
    retired: bool = False,
) -> Material:
    material = Material(
        kind=kind,
        title=title,
        language_code="en",
        retired_at=datetime.now(UTC) - timedelta(days=1) if retired else None,
    )
    db.session.add(material)
    db.session.flush()
    return material


def make_event(subitem_codes: tuple[str, ...] = ("1.3c",), title: str = "METAV 2026") -> Event:
    event = Event(
        title=title,
        kind=EventKind.TRADE_FAIR,
        is_all_day=True,
        start_date=date(2026, 3, 10),
        end_date=date(2026, 3, 13),
        city="Düsseldorf",
        country_code="DE",
        our_role=OurRole.EXHIBITOR,
        subitems=[subitem(code) for code in subitem_codes],
    )
    db.session.add(event)
    db.session.flush()
    return event


def make_follow_up(
    title: str = "Call back about the training module",
    assignee: User | None = None,
    due: datetime | None = None,
    *,
    due_date: date | None = None,
    due_time: time | None = None,
    zone: str = "Europe/Brussels",
    status: str | FollowUpStatus = FollowUpStatus.OPEN,
    created_by: User | None = None,
    person: Person | None = None,
    organisation: Organisation | None = None,
    outreach: Outreach | None = None,
    event: Event | None = None,
    subitem_codes: tuple[str, ...] = (),
    notes: str = "",
) -> FollowUp:
    """A follow-up as the service would store it, without its checks (tests that need one
    overdue for years, assigned to a deactivated account, or about a deleted record build it
    here).

    Due at the moment ``due`` (read in ``zone``), or on ``due_date`` (at ``due_time`` if
    given, else on the day) in ``zone``; by default three days from now. Done and cancelled
    ones get their time of completion or cancellation (now)."""
    if due_date is not None:
        fields: dict[str, object] = {
            "due_at": due_moment(due_date, due_time, zone),
            "due_date": due_date,
            "due_time": due_time,
            "due_zone": zone,
        }
    else:
        fields = due_fields(due or datetime.now(UTC) + timedelta(days=3), zone)
    status = FollowUpStatus(status)
    now = datetime.now(UTC)
    assignee = assignee or make_user(Role.OFFICER)
    follow_up = FollowUp(
        title=title,
        notes=notes,
        **fields,
        status=status,
        completed_at=now if status == FollowUpStatus.DONE else None,
        cancelled_at=now if status == FollowUpStatus.CANCELLED else None,
        assignee_id=assignee.id,
        created_by_id=(created_by or assignee).id,
        person_id=person.id if person is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        outreach_id=outreach.id if outreach is not None else None,
        event_id=event.id if event is not None else None,
        subitems=[subitem(code) for code in subitem_codes],
    )
    db.session.add(follow_up)
    db.session.flush()
    return follow_up
