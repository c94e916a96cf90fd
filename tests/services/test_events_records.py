"""The rules of every event write: each refusal names its field and writes nothing; SEQUENCE
and ``cancelled_at`` follow every change of time, place and status."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditAction,
    AuditEntry,
    Event,
    EventOccurrence,
    EventStatus,
    event_subitems,
)
from crm.services import events
from crm.services.errors import ConflictError, ValidationError
from crm.services.events import records
from tests import factories

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _counts() -> dict[str, int]:
    tables = {
        "events": Event.__table__,
        "event_subitems": event_subitems,
        "event_occurrences": EventOccurrence.__table__,
        "audit_log": AuditEntry.__table__,
    }
    return {
        name: _db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in tables.items()
    }


def _timed(**override: Any) -> dict[str, Any]:
    data = {
        "title": "Digital skills for machine-tool SMEs",
        "kind": "workshop",
        "is_all_day": "",
        "timezone": "Europe/Berlin",
        "start_date": "2027-03-28",
        "start_time": "09:30",
        "end_date": "2027-03-28",
        "end_time": "12:00",
        "venue": "VDW Haus",
        "city": "Frankfurt am Main",
        "country_code": "DE",
        "online_url": "",
        "organiser_organisation_id": "",
        "organiser_name": "VDW",
        "our_role": "organiser",
        "status": "",
        "is_published": "1",
        "subitems": ["1.3c"],
        "description": "Hands-on session.\n\n*Bring a laptop.*",
        "description_format": "markdown",
        "recurrence": "",
        "recurrence_interval": "",
        "recurrence_end": "",
        "recurrence_until": "",
        "recurrence_count": "",
    }
    data.update(override)
    return data


def _fair(**override: Any) -> dict[str, Any]:
    fair = {
        "title": "EMO Hannover 2027",
        "kind": "trade-fair",
        "is_all_day": "1",
        "start_date": "2027-10-04",
        "start_time": "",
        "end_date": "2027-10-08",
        "end_time": "",
        "venue": "Messegelände",
        "city": "Hannover",
        "our_role": "exhibitor",
    }
    return _timed(**{**fair, **override})


@pytest.fixture()
def organiser(app, db):
    return factories.make_user("organiser", full_name="Olivia Organiser")


def _create(actor, data: dict[str, Any]) -> Event:
    return events.create_event(actor, data, now=NOW)


def test_a_timed_event_is_stored_in_utc_with_a_stable_uid(organiser) -> None:
    event = _create(organiser, _timed())
    # 2027-03-28 is the day clocks go forward in Germany: 09:30 is summer time (UTC+2).
    assert event.starts_at == datetime(2027, 3, 28, 7, 30, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 3, 28, 10, 0, tzinfo=UTC)
    assert re.fullmatch(r"event-[0-9a-f]{32}@mts-crm", event.uid)
    assert event.sequence == 0 and event.cancelled_at is None
    assert event.status == EventStatus.PLANNED and event.is_published
    assert [item.code for item in event.subitems] == ["1.3c"]
    assert event.description_format.value == "markdown"
    entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "event")
    ).one()
    assert entry.action == AuditAction.CREATE and entry.entity_id == event.id
    assert entry.changes["start_time"] == [None, "09:30"]
    assert entry.changes["subitems"] == [None, ["1.3c"]]
    assert events.stored_values(event)["start_time"].isoformat() == "09:30:00"


def test_all_day_events_keep_whole_days_inclusive(organiser) -> None:
    event = _create(organiser, _fair())
    assert (event.start_date, event.end_date) == (date(2027, 10, 4), date(2027, 10, 8))
    assert event.starts_at is None and event.is_all_day
    one_day = _create(organiser, _fair(title="METAV day", end_date=""))
    assert one_day.end_date == one_day.start_date == date(2027, 10, 4)


def test_two_events_never_share_a_uid(organiser) -> None:
    first = _create(organiser, _timed())
    second = _create(organiser, _timed())
    assert first.uid != second.uid


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"end_time": "09:00"}, "end_date"),
        ({"end_date": "2027-03-27", "end_time": "12:00"}, "end_date"),
        ({"end_time": "09:30"}, "end_date"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": "localtime"}, "timezone"),
        ({"start_time": "02:30"}, "start_time"),  # skipped in Berlin that night
        ({"start_time": "25:00"}, "start_time"),
        ({"start_time": ""}, "start_time"),
        ({"end_time": ""}, "end_time"),
        ({"start_date": "2027-02-30"}, "start_date"),
        ({"start_date": ""}, "start_date"),
        ({"start_date": "1999-12-31", "end_date": "1999-12-31"}, "start_date"),
        ({"start_date": "2062-03-28", "end_date": "2062-03-28"}, "start_date"),
        ({"end_date": "2027-06-28"}, "end_date"),  # three months: a typo
        ({"title": ""}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": object()}, "title"),  # a file in a text field
        ({"title": "EMO\x00"}, "title"),
        ({"kind": "party"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"our_role": "caterer"}, "our_role"),
        ({"status": "maybe"}, "status"),
        ({"is_published": "perhaps"}, "is_published"),
        ({"country_code": "XX"}, "country_code"),
        ({"country_code": "", "online_url": ""}, "country_code"),
        ({"online_url": "javascript:alert(1)"}, "online_url"),
        ({"online_url": "meet.example.org"}, "online_url"),
        ({"online_url": "https://exa mple.org"}, "online_url"),
        ({"online_url": "http://[::1"}, "online_url"),
        ({"organiser_organisation_id": str(2**31)}, "organiser_organisation_id"),
        ({"organiser_organisation_id": "99999999"}, "organiser_organisation_id"),
        ({"organiser_organisation_id": "NaN"}, "organiser_organisation_id"),
        ({"subitems": ["1.3"]}, "subitems"),
        ({"subitems": ["9.9z"]}, "subitems"),
        ({"subitems": 5}, "subitems"),
        ({"description_format": "html"}, "description_format"),
        ({"description": "a" * 20_001}, "description"),
        ({"recurrence": "daily"}, "recurrence"),
        ({"recurrence": "weekly"}, "recurrence_end"),  # a series without an end
        ({"recurrence": "weekly", "recurrence_end": "never"}, "recurrence_end"),
        (
            {"recurrence": "weekly", "recurrence_until": "2027-05-01", "recurrence_count": "3"},
            "recurrence_end",
        ),
        ({"recurrence": "weekly", "recurrence_end": "until"}, "recurrence_until"),
        (
            {"recurrence": "weekly", "recurrence_end": "until", "recurrence_until": "2027-03-01"},
            "recurrence_until",
        ),
        (
            {"recurrence": "weekly", "recurrence_end": "until", "recurrence_until": "2040-01-01"},
            "recurrence_until",
        ),
        ({"recurrence": "weekly", "recurrence_end": "count"}, "recurrence_count"),
        ({"recurrence": "weekly", "recurrence_count": "1"}, "recurrence_count"),
        ({"recurrence": "weekly", "recurrence_count": "201"}, "recurrence_count"),
        (
            {"recurrence": "monthly", "recurrence_count": "3", "recurrence_interval": "13"},
            "recurrence_interval",
        ),
        (
            {"recurrence": "weekly", "recurrence_count": "3", "end_date": "2027-04-05"},
            "end_date",
        ),  # each would overlap the next
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(organiser, override, field) -> None:
    before = _counts()
    with pytest.raises(ValidationError) as refused:
        _create(organiser, _timed(**override))
    assert refused.value.field == field, refused.value
    assert _counts() == before


def test_all_day_end_before_start_is_refused(organiser) -> None:
    with pytest.raises(ValidationError) as refused:
        _create(organiser, _fair(end_date="2027-10-01"))
    assert refused.value.field == "end_date"


def test_an_organiser_of_the_register_that_is_gone_is_refused(organiser) -> None:
    firm = factories.make_organisation(name="Messe Düsseldorf", country_code="DE")
    firm.deleted_at = NOW
    _db.session.flush()
    with pytest.raises(ValidationError) as refused:
        _create(organiser, _timed(organiser_organisation_id=str(firm.id)))
    assert refused.value.field == "organiser_organisation_id"


def test_viewers_create_nothing_and_organisers_change_only_their_own(organiser) -> None:
    viewer = factories.make_user("viewer")
    with pytest.raises(PermissionError):
        _create(viewer, _timed())
    event = _create(organiser, _timed())
    other = factories.make_user("officer")
    coordinator = factories.make_user("coordinator")
    assert events.may_change(organiser, event)
    assert not events.may_change(other, event) and not events.may_change(viewer, event)
    assert events.may_change(coordinator, event)
    with pytest.raises(PermissionError):
        events.update_event(other, event, _timed(title="Mine now"), event.version, now=NOW)
    with pytest.raises(PermissionError):
        events.cancel_event(other, event)


def test_moving_an_event_raises_sequence_and_keeps_the_uid(organiser) -> None:
    event = _create(organiser, _timed())
    uid, version = event.uid, event.version
    events.update_event(organiser, event, _timed(start_time="10:00"), version, now=NOW)
    assert event.sequence == 1 and event.uid == uid
    assert event.starts_at == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.UPDATE)
    ).one()
    assert entry.changes == {"start_time": ["09:30", "10:00"]}
    # A new title is no change of time, place or status.
    events.update_event(organiser, event, _timed(start_time="10:00", title="New"), event.version)
    assert event.sequence == 1 and event.title == "New"
    # The place is.
    events.update_event(
        organiser, event, _timed(start_time="10:00", title="New", city="Köln"), event.version
    )
    assert event.sequence == 2


def test_an_unchanged_save_writes_nothing(organiser) -> None:
    event = _create(organiser, _timed())
    before = (_counts(), event.version, event.sequence)
    events.update_event(organiser, event, _timed(), event.version, now=NOW)
    assert (_counts(), event.version, event.sequence) == before


def test_a_stale_version_is_a_conflict_with_the_differences(organiser) -> None:
    event = _create(organiser, _timed())
    old = event.version
    events.update_event(organiser, event, _timed(title="First edit"), old, now=NOW)
    with pytest.raises(ConflictError) as conflict:
        events.update_event(organiser, event, _timed(title="Second edit"), old, now=NOW)
    assert conflict.value.differences["title"] == ("First edit", "Second edit")
    with pytest.raises(ConflictError):
        events.update_event(organiser, event, _timed(), "NaN", now=NOW)
    assert event.title == "First edit"


def test_postponing_marks_it_and_moves_it(organiser) -> None:
    event = _create(organiser, _fair())
    events.postpone_event(organiser, event, {"start_date": "2027-11-08", "end_date": "2027-11-12"})
    assert event.status == EventStatus.POSTPONED
    assert (event.start_date, event.end_date) == (date(2027, 11, 8), date(2027, 11, 12))
    assert event.sequence == 1
    entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == AuditAction.POSTPONE)
    ).one()
    assert entry.changes["start_date"] == ["2027-10-04", "2027-11-08"]
    assert entry.changes["status"] == ["planned", "postponed"]
    with pytest.raises(ValidationError) as refused:
        events.postpone_event(organiser, event, {"start_date": "2027-11-20", "end_date": "x"})
    assert refused.value.field == "end_date"


def test_postponing_without_dates_only_changes_the_status(organiser) -> None:
    event = _create(organiser, _timed())
    starts = event.starts_at
    events.postpone_event(organiser, event, {})
    assert event.status == EventStatus.POSTPONED and event.starts_at == starts


def test_cancelling_keeps_the_event_and_its_time(organiser) -> None:
    event = _create(organiser, _timed())
    events.cancel_event(organiser, event)
    assert event.status == EventStatus.CANCELLED and event.cancelled_at is not None
    assert event.sequence == 1
    with pytest.raises(ValidationError) as refused:
        events.cancel_event(organiser, event)
    assert refused.value.field == "status"
    with pytest.raises(ValidationError):
        events.postpone_event(organiser, event, {})
    # Confirmed again through an edit: no longer cancelled.
    events.update_event(organiser, event, _timed(status="confirmed"), event.version)
    assert event.cancelled_at is None and event.sequence == 2


def test_a_deleted_event_cannot_be_changed(organiser) -> None:
    event = _create(organiser, _timed())
    event.deleted_at = NOW
    _db.session.flush()
    with pytest.raises(ValidationError):
        events.update_event(organiser, event, _timed(title="x"), event.version)
    with pytest.raises(ValidationError):
        events.cancel_event(organiser, event)


def test_the_hook_raises_sequence_whatever_code_writes(organiser) -> None:
    event = factories.make_event()
    assert event.sequence == 0 and event.uid.startswith("event-")
    event.venue = "Halle 9"
    _db.session.flush()
    assert event.sequence == 1
    event.description = "No change of time or place"
    _db.session.flush()
    assert event.sequence == 1
    event.status = EventStatus.CANCELLED
    _db.session.flush()
    assert event.sequence == 2 and event.cancelled_at is not None
    _db.session.refresh(event)
    assert event.sequence == 2


def test_a_series_is_stored_with_its_end(organiser) -> None:
    event = _create(
        organiser,
        _timed(recurrence="weekly", recurrence_end="count", recurrence_count="10"),
    )
    assert event.recurrence.value == "weekly" and event.recurrence_count == 10
    assert event.recurrence_until is None and event.recurrence_interval == 1
    monthly = _create(
        organiser,
        _timed(
            recurrence="monthly",
            recurrence_interval="2",
            recurrence_end="until",
            recurrence_until="2027-12-31",
            recurrence_count="7",  # the other end's field is ignored once one is chosen
        ),
    )
    assert monthly.recurrence_until == date(2027, 12, 31) and monthly.recurrence_count is None
    values = events.stored_values(monthly)
    assert values["recurrence_end"] == "until" and values["recurrence_interval"] == 2
    # Not a series any more: the rule goes.
    events.update_event(organiser, monthly, _timed(), monthly.version)
    assert monthly.recurrence is None and monthly.recurrence_until is None


def test_records_refuses_a_naive_or_zoned_time_of_day(organiser) -> None:
    from datetime import time

    with pytest.raises(ValidationError) as refused:
        _create(organiser, _timed(start_time=time(9, 30, tzinfo=UTC)))
    assert refused.value.field == "start_time"
    with pytest.raises(ValidationError) as refused:
        _create(organiser, _timed(start_date=datetime(2027, 3, 28, 9, 30)))
    assert refused.value.field == "start_date"
    assert records.clean_flag(True, "x") is True
