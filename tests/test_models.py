"""The database itself keeps the data honest, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError

from crm.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    Event,
    EventKind,
    FollowUp,
    FollowUpStatus,
    LinkType,
    OrganisationLink,
    OurRole,
    Person,
    Position,
    PositionRole,
    Target,
    TargetMetric,
)
from crm.models.followups import due_fields
from tests import factories


def _refused(db, *objects) -> None:
    """Adding these objects violates a constraint; the savepoint keeps the test usable."""
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add_all(objects)
            db.session.flush()


def test_one_live_person_per_normalised_email(app, db) -> None:
    first = factories.make_person(email="Klaus.Weber@vdw.example")
    duplicate = Person(
        first_name="Klaus",
        last_name="Weber",
        name_normalised="klaus weber",
        email="klaus.weber@VDW.example",
        email_normalised=first.email_normalised,
        lawful_basis="legitimate-interest",
    )
    _refused(db, duplicate)
    first.deleted_at = datetime.now(UTC)
    db.session.flush()
    db.session.add(duplicate)
    db.session.flush()  # a deleted record no longer blocks the address
    assert duplicate.id


def test_ends_may_not_come_before_starts(app, db) -> None:
    organisation = factories.make_organisation()
    other = factories.make_organisation()
    person = factories.make_person()
    _refused(
        db,
        Position(
            person_id=person.id,
            organisation_id=organisation.id,
            role=PositionRole.MANAGER,
            starts_on=date(2025, 5, 1),
            ends_on=date(2025, 4, 30),
        ),
    )
    _refused(
        db,
        OrganisationLink(
            source_id=organisation.id,
            target_id=other.id,
            link_type=LinkType.MEMBER_OF,
            starts_on=date(2025, 1, 2),
            ends_on=date(2025, 1, 1),
        ),
    )
    _refused(
        db,
        OrganisationLink(
            source_id=organisation.id, target_id=organisation.id, link_type=LinkType.MEMBER_OF
        ),
    )
    start = datetime(2026, 9, 8, 9, tzinfo=UTC)
    _refused(
        db,
        Event(
            title="EMO Hannover",
            kind=EventKind.TRADE_FAIR,
            our_role=OurRole.EXHIBITOR,
            starts_at=start,
            ends_at=start - timedelta(hours=1),
        ),
    )
    _refused(
        db,
        Event(
            title="BIEMH",
            kind=EventKind.TRADE_FAIR,
            our_role=OurRole.ATTENDEE,
            is_all_day=True,
            start_date=date(2026, 6, 5),
            end_date=date(2026, 6, 1),
        ),
    )
    item = factories.subitem("1.3a")
    _refused(
        db,
        Target(
            commitment_item_id=item.id,
            period_start=date(2027, 12, 31),
            period_end=date(2027, 1, 1),
            metric=TargetMetric.ORGANISATIONS_ENGAGED,
            target_value=12,
        ),
    )
    _refused(
        db,
        Target(
            commitment_item_id=item.id,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            metric=TargetMetric.ORGANISATIONS_ENGAGED,
            target_value=0,
        ),
    )


def test_foreign_keys_and_enums_are_enforced(app, db) -> None:
    _refused(db, Position(person_id=999_999, organisation_id=999_999, role=PositionRole.MANAGER))
    organisation = factories.make_organisation()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.text("UPDATE organisations SET kind = 'guild' WHERE id = :id"),
            {"id": organisation.id},
        )
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.text("UPDATE organisations SET country_code = 'XX' WHERE id = :id"),
            {"id": organisation.id},
        )


def test_times_are_utc_and_naive_ones_are_refused(app, db) -> None:
    brussels = timezone(timedelta(hours=1))
    user = factories.make_user()
    follow_up = FollowUp(
        title="Send the guidelines to SYMOP",
        assignee_id=user.id,
        **due_fields(datetime(2026, 12, 1, 10, 0, tzinfo=brussels)),
    )
    db.session.add(follow_up)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(FollowUp, follow_up.id)
    assert loaded.due_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert loaded.due_at.tzinfo is not None
    with pytest.raises(StatementError, match="naive datetime"), db.session.begin_nested():
        loaded.due_at = datetime(2026, 12, 1, 9, 0)
        db.session.flush()


def test_done_follow_ups_have_a_completion_time(app, db) -> None:
    user = factories.make_user()
    _refused(
        db,
        FollowUp(
            title="Call back",
            assignee_id=user.id,
            status=FollowUpStatus.DONE,
            **due_fields(datetime.now(UTC)),
        ),
    )


def test_stale_edits_are_refused_by_the_version(app, db) -> None:
    organisation = factories.make_organisation()
    db.session.commit()
    assert organisation.version == 1
    # Someone else saved in the meantime: the row's version moved on.
    db.session.execute(
        sa.text("UPDATE organisations SET version = version + 1 WHERE id = :id"),
        {"id": organisation.id},
    )
    organisation.city = "Frankfurt am Main"
    with pytest.raises(StaleDataError), db.session.begin_nested():
        db.session.flush()


def test_consent_records_are_append_only(app, db) -> None:
    person = factories.make_person()
    record = ConsentRecord(
        person_id=person.id,
        purpose=ConsentPurpose.NEWSLETTER,
        status=ConsentStatus.GRANTED,
        source="Sign-up form at METAV 2026",
        given_at=datetime.now(UTC),
    )
    db.session.add(record)
    db.session.flush()
    record.status = ConsentStatus.WITHDRAWN
    with pytest.raises(ValueError, match="append-only"), db.session.begin_nested():
        db.session.flush()


def test_the_database_refuses_series_without_an_end_and_stray_overrides(app, db) -> None:
    from crm.models import EventOccurrence, RecurrenceFreq

    def fair(**extra) -> Event:
        return Event(
            title="LAMIERA",
            kind=EventKind.TRADE_FAIR,
            our_role=OurRole.ATTENDEE,
            is_all_day=True,
            start_date=date(2027, 5, 19),
            end_date=date(2027, 5, 22),
            **extra,
        )

    _refused(db, fair(recurrence=RecurrenceFreq.WEEKLY))
    _refused(
        db,
        fair(
            recurrence=RecurrenceFreq.WEEKLY, recurrence_count=3, recurrence_until=date(2027, 6, 1)
        ),
    )
    _refused(db, fair(recurrence=RecurrenceFreq.WEEKLY, recurrence_count=1))
    _refused(db, fair(recurrence_count=3))  # an end without a series
    _refused(
        db, fair(recurrence=RecurrenceFreq.MONTHLY, recurrence_count=3, recurrence_interval=13)
    )
    event = fair(recurrence=RecurrenceFreq.WEEKLY, recurrence_count=3)
    db.session.add(event)
    db.session.flush()
    _refused(db, EventOccurrence(event_id=event.id, is_cancelled=True))  # names no occurrence
    _refused(
        db,
        EventOccurrence(
            event_id=event.id,
            original_date=date(2027, 5, 26),
            start_date=date(2027, 5, 27),
            end_date=None,
        ),
    )
    _refused(db, fair(uid=event.uid))  # UIDs are unique


def test_one_target_per_sub_item_period_metric_and_narrowing(app, db) -> None:
    from crm.models import OrganisationKind, SizeClass

    item = factories.subitem("2.2")

    def target(metric: TargetMetric, kind=None, sizes=frozenset()) -> Target:
        return Target(
            commitment_item_id=item.id,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 12, 31),
            metric=metric,
            organisation_kind=kind,
            size_classes=sizes,
            target_value=5,
        )

    smes = frozenset({SizeClass.MICRO, SizeClass.SMALL})
    db.session.add_all(
        [
            target(TargetMetric.SMES_REACHED, sizes=smes),
            target(TargetMetric.SMES_REACHED, sizes=frozenset({SizeClass.MEDIUM})),
            target(TargetMetric.ORGANISATIONS_ENGAGED),
            target(TargetMetric.ORGANISATIONS_ENGAGED, OrganisationKind.ENTERPRISE),
        ]
    )
    db.session.flush()
    db.session.expire_all()
    stored = db.session.scalars(sa.select(Target).order_by(Target.id)).all()
    assert [t.size_classes for t in stored] == [
        smes,
        {SizeClass.MEDIUM},
        frozenset(),
        frozenset(),
    ]
    # The same narrowing twice, with no kind and with one: both refused.
    _refused(db, target(TargetMetric.SMES_REACHED, sizes=smes))
    _refused(db, target(TargetMetric.ORGANISATIONS_ENGAGED))
    _refused(db, target(TargetMetric.ORGANISATIONS_ENGAGED, OrganisationKind.ENTERPRISE))
