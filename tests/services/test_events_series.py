"""Series: occurrences on the event's own wall clock, months without the day skipped, and
single occurrences cancelled, moved and restored (each raising SEQUENCE, each audited)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import AuditAction, AuditEntry, EventOccurrence
from crm.services import events
from crm.services.errors import ValidationError
from crm.services.events import series
from tests import factories

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _data(**override: Any) -> dict[str, Any]:
    data = {
        "title": "Weekly SME clinic",
        "kind": "webinar",
        "timezone": "Europe/Berlin",
        "start_date": "2027-03-21",
        "start_time": "09:30",
        "end_time": "10:30",
        "online_url": "https://meet.example.org/clinic",
        "our_role": "organiser",
        "recurrence": "weekly",
        "recurrence_end": "count",
        "recurrence_count": "4",
    }
    data.update(override)
    return data


@pytest.fixture()
def organiser(app, db):
    return factories.make_user("organiser")


def _series(actor, **override: Any):
    return events.create_event(actor, _data(**override), now=NOW)


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_weekly_stays_on_the_local_wall_clock_across_dst(organiser) -> None:
    event = _series(organiser)
    found = series.all_occurrences(event)
    assert [o.starts_at for o in found] == [
        _utc(2027, 3, 21, 8, 30),  # winter time, UTC+1
        _utc(2027, 3, 28, 7, 30),  # the day clocks go forward: 09:30 summer time
        _utc(2027, 4, 4, 7, 30),
        _utc(2027, 4, 11, 7, 30),
    ]
    assert [o.ends_at - o.starts_at for o in found] == [found[0].ends_at - found[0].starts_at] * 4
    assert [o.key for o in found][:2] == ["20270321T083000Z", "20270328T073000Z"]
    assert not any(o.is_cancelled or o.is_moved for o in found)


def test_a_skipped_wall_clock_time_takes_the_offset_before_the_gap(organiser) -> None:
    event = _series(organiser, start_time="02:30", end_time="04:00", recurrence_count="2")
    second = series.all_occurrences(event)[1]
    assert second.starts_at == _utc(2027, 3, 28, 1, 30)  # 03:30 summer time


def test_monthly_keeps_the_day_and_skips_months_without_it(organiser) -> None:
    event = _series(organiser, start_date="2027-01-31", recurrence="monthly")
    days = [o.starts_at.date() for o in series.all_occurrences(event)]
    assert days == [date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]


def test_interval_and_until_inclusive(organiser) -> None:
    event = _series(
        organiser,
        recurrence="monthly",
        recurrence_interval="2",
        recurrence_end="until",
        recurrence_until="2027-09-21",
    )
    days = [o.starts_at.date() for o in series.all_occurrences(event)]
    assert days == [date(2027, m, 21) for m in (3, 5, 7, 9)]
    weekly = _series(
        organiser, recurrence_interval="3", recurrence_end="until", recurrence_until="2027-05-01"
    )
    assert [o.starts_at.date() for o in series.all_occurrences(weekly)] == [
        date(2027, 3, 21),
        date(2027, 4, 11),
    ]


def test_all_day_series_are_keyed_by_day(organiser) -> None:
    event = _series(
        organiser,
        is_all_day="1",
        start_date="2027-10-04",
        end_date="2027-10-05",
        start_time="",
        end_time="",
        recurrence_count="3",
    )
    found = series.all_occurrences(event)
    assert [o.key for o in found] == ["20271004", "20271011", "20271018"]
    assert [(o.start_date, o.end_date) for o in found][1] == (
        date(2027, 10, 11),
        date(2027, 10, 12),
    )


def test_a_single_event_yields_itself_and_windows_filter(organiser) -> None:
    single = _series(organiser, recurrence="", recurrence_count="")
    assert len(series.occurrences(single, date(2027, 3, 1), date(2027, 4, 1))) == 1
    assert series.occurrences(single, date(2027, 4, 1), date(2027, 5, 1)) == []
    event = _series(organiser)
    window = series.occurrences(event, date(2027, 3, 28), date(2027, 4, 5))
    assert [o.key for o in window] == ["20270328T073000Z", "20270404T073000Z"]
    by_instant = series.occurrences(event, _utc(2027, 3, 28, 8, 0), _utc(2027, 3, 28, 9, 0))
    assert [o.key for o in by_instant] == ["20270328T073000Z"]  # still running at 08:00


def _entries(action: AuditAction) -> list[AuditEntry]:
    return list(_db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def test_cancel_move_and_restore_one_occurrence(organiser) -> None:
    event = _series(organiser)
    uid = event.uid
    events.cancel_occurrence(organiser, event, "20270328T073000Z")
    assert event.sequence == 1
    found = {o.key: o for o in series.all_occurrences(event)}
    assert found["20270328T073000Z"].is_cancelled
    assert len(_entries(AuditAction.CANCEL_OCCURRENCE)) == 1
    with pytest.raises(ValidationError) as refused:
        events.cancel_occurrence(organiser, event, "20270328T073000Z")
    assert refused.value.field == "occurrence"
    with pytest.raises(ValidationError):
        events.move_occurrence(organiser, event, "20270328T073000Z", {"start_date": "2027-03-29"})

    events.move_occurrence(
        organiser,
        event,
        "20270404T073000Z",
        {"start_date": "2027-04-05", "start_time": "14:00", "end_time": "15:00"},
        now=NOW,
    )
    assert event.sequence == 2 and event.uid == uid
    moved = {o.key: o for o in series.all_occurrences(event)}["20270404T073000Z"]
    assert moved.is_moved and moved.starts_at == _utc(2027, 4, 5, 12, 0)
    entry = _entries(AuditAction.MOVE_OCCURRENCE)[0]
    assert entry.changes == {"occurrence": ["2027-04-04 09:30", "2027-04-05 14:00"]}
    # Moved into another window: found where it now is.
    assert [o.key for o in series.occurrences(event, date(2027, 4, 5), date(2027, 4, 6))] == [
        "20270404T073000Z"
    ]

    events.restore_occurrence(organiser, event, "20270328T073000Z")
    events.restore_occurrence(organiser, event, "20270404T073000Z")
    assert event.sequence == 4
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(EventOccurrence)) == 0
    with pytest.raises(ValidationError) as refused:
        events.restore_occurrence(organiser, event, "20270404T073000Z")
    assert refused.value.field == "occurrence"


@pytest.mark.parametrize(
    "key",
    [
        "20270329T073000Z",  # not a day of the rule
        "20270328T083000Z",  # the right day, the wrong hour
        "20270328",
        "2027-03-28",
        "x" * 10_000,
        "99999999T999999Z",
        "",
        None,
        object(),
    ],
)
def test_unknown_occurrences_are_refused(organiser, key) -> None:
    event = _series(organiser)
    for step in (events.cancel_occurrence, events.restore_occurrence):
        with pytest.raises(ValidationError) as refused:
            step(organiser, event, key)
        assert refused.value.field == "occurrence"
    assert event.sequence == 0


def test_a_single_event_has_no_occurrences_to_change(organiser) -> None:
    single = _series(organiser, recurrence="", recurrence_count="")
    with pytest.raises(ValidationError) as refused:
        events.cancel_occurrence(organiser, single, series.all_occurrences(single)[0].key)
    assert refused.value.field == "occurrence"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"start_date": "2027-04-05", "start_time": "14:00", "end_time": "13:00"}, "end_date"),
        ({"start_date": "2027-03-28", "start_time": "02:15", "end_time": "04:00"}, "start_time"),
        ({"start_date": "", "start_time": "14:00", "end_time": "15:00"}, "start_date"),
        ({"start_date": "2027-04-05", "start_time": "", "end_time": "15:00"}, "start_time"),
    ],
)
def test_a_bad_move_is_refused(organiser, data, field) -> None:
    event = _series(organiser)
    with pytest.raises(ValidationError) as refused:
        events.move_occurrence(organiser, event, "20270404T073000Z", data, now=NOW)
    assert refused.value.field == field
    assert event.occurrences == [] and event.sequence == 0


def test_others_cannot_change_occurrences(organiser) -> None:
    event = _series(organiser)
    with pytest.raises(PermissionError):
        events.cancel_occurrence(factories.make_user("officer"), event, "20270328T073000Z")


def test_a_new_rule_drops_the_overrides_it_no_longer_gives(organiser) -> None:
    event = _series(organiser)
    events.cancel_occurrence(organiser, event, "20270328T073000Z")
    events.cancel_occurrence(organiser, event, "20270411T073000Z")
    events.update_event(organiser, event, _data(recurrence_count="3"), event.version, now=NOW)
    assert [o.original_start for o in event.occurrences] == [_utc(2027, 3, 28, 7, 30)]
    entry = _entries(AuditAction.UPDATE)[0]
    assert entry.changes["overridden occurrences"] == [1, 0]
    events.update_event(organiser, event, _data(start_time="10:00"), event.version, now=NOW)
    assert event.occurrences == []
