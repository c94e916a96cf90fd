"""The events list and month grid: every filter, unknown values refused by name, series placed
on the days of their occurrences in their own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from crm.extensions import db as _db
from crm.services import events
from crm.services.errors import ValidationError
from crm.services.events.listing import EventFilter, list_events, month_grid
from tests import factories

NOW = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)


def _data(**override: Any) -> dict[str, Any]:
    data = {
        "title": "Event",
        "kind": "workshop",
        "timezone": "Europe/Berlin",
        "start_date": "2027-03-20",
        "start_time": "09:30",
        "end_time": "12:00",
        "country_code": "DE",
        "our_role": "organiser",
        "subitems": ["1.3c"],
    }
    data.update(override)
    return data


@pytest.fixture()
def world(app, db) -> dict[str, Any]:
    actor = factories.make_user("organiser")

    def make(**override: Any):
        return events.create_event(actor, _data(**override), now=NOW)

    made = {
        "past": make(title="Past", start_date="2027-02-10", kind="conference"),
        "upcoming": make(title="Upcoming", start_date="2027-04-01"),
        "fair": make(
            title="EMO Hannover", kind="trade-fair", is_all_day="1", start_date="2027-03-29",
            end_date="2027-04-02", start_time="", end_time="", our_role="exhibitor",
            subitems=["1.3a"],
        ),
        "tokyo": make(
            title="JIMTOF", kind="trade-fair", timezone="Asia/Tokyo", country_code="JP",
            start_date="2027-03-31", start_time="08:00", end_time="17:00", our_role="attendee",
            status="confirmed", is_published="1",
        ),
        "series": make(
            title="Clinic", kind="webinar", start_date="2027-01-04", recurrence="weekly",
            recurrence_end="until", recurrence_until="2027-04-30", country_code="",
            online_url="https://meet.example.org/c",
        ),
    }  # fmt: skip
    made["actor"] = actor
    made["gone"] = make(title="Deleted", start_date="2027-04-02")
    made["gone"].deleted_at = NOW
    _db.session.flush()
    return made


def _titles(event_filter: EventFilter, **kwargs: Any) -> list[str]:
    return [e.title for e in list_events(event_filter, now=NOW, **kwargs).items]


def _filter(**args: str) -> EventFilter:
    return EventFilter.from_args(args)


def test_spans_cover_every_occurrence(world) -> None:
    series = world["series"]
    assert series.span_starts_at == datetime(2027, 1, 4, 8, 30, tzinfo=UTC)
    assert series.span_ends_at == datetime(2027, 4, 26, 10, 0, tzinfo=UTC)  # summer time
    fair = world["fair"]
    assert (fair.span_starts_at, fair.span_ends_at) == (
        datetime(2027, 3, 28, 22, 0, tzinfo=UTC),  # midnight in Berlin, summer time since the 28th
        datetime(2027, 4, 2, 22, 0, tzinfo=UTC),
    )


def test_periods(world) -> None:
    assert _titles(_filter()) == ["Clinic", "EMO Hannover", "JIMTOF", "Upcoming"]
    assert _titles(_filter(period="past")) == ["Past"]
    assert len(_titles(_filter(period="all"))) == 5  # never the deleted one
    assert _titles(_filter(), public=True) == ["JIMTOF"]


def test_days_and_months(world) -> None:
    assert _titles(_filter(month="2027-02")) == ["Clinic", "Past"]
    assert _titles(_filter(**{"from": "2027-04-02", "to": "2027-04-02"})) == [
        "Clinic",
        "EMO Hannover",
    ]
    assert _titles(_filter(month="2027-05")) == []


def test_criteria(world) -> None:
    assert _titles(_filter(kind="trade-fair")) == ["EMO Hannover", "JIMTOF"]
    assert _titles(_filter(country="jp")) == ["JIMTOF"]
    assert _titles(_filter(our_role="exhibitor")) == ["EMO Hannover"]
    assert _titles(_filter(status="confirmed")) == ["JIMTOF"]
    assert _titles(_filter(subitem="1.3a")) == ["EMO Hannover"]
    assert _titles(_filter(commitment="1")) == ["Clinic", "EMO Hannover", "JIMTOF", "Upcoming"]
    assert _titles(_filter(subitem="1.3a", commitment="1")) == ["EMO Hannover"]
    assert _titles(_filter(subitem="1.3a", commitment="2")) == []  # not under it: nothing
    assert _filter(kind="trade-fair", country="DE").query_args() == {
        "kind": "trade-fair",
        "country": "DE",
    }


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"period": "soon"}, "period"),
        ({"month": "2027-13"}, "month"),
        ({"month": "March"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"from": "2027-02-30"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "2027-05-01", "to": "2027-04-01"}, "to"),
        ({"kind": "party"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"country": "x" * 5000}, "country"),
        ({"subitem": "9.9z"}, "subitem"),
        ({"subitem": "1.3"}, "subitem"),
        ({"commitment": "77"}, "commitment"),
        ({"our_role": "caterer"}, "our_role"),
        ({"status": "NaN"}, "status"),
    ],
)
def test_unknown_values_name_their_parameter(app, db, args, field) -> None:
    with pytest.raises(ValidationError) as refused:
        EventFilter.from_args(args)
    assert refused.value.field == field


def test_a_parameter_given_twice_is_refused(app, db) -> None:
    with pytest.raises(ValidationError) as refused:
        EventFilter.from_args(MultiDict([("kind", "webinar"), ("kind", "workshop")]))
    assert refused.value.field == "kind"
    assert EventFilter.from_args(MultiDict([("page", "2"), ("unknown", "x")])) == EventFilter()


@pytest.mark.parametrize("number", ["0", "-1", str(2**63), "NaN", "1e3"])
def test_bad_pages_are_refused(world, number) -> None:
    with pytest.raises(ValidationError) as refused:
        list_events(EventFilter(), page=number)
    assert refused.value.field == "page"


def test_the_month_grid(world) -> None:
    events.cancel_occurrence(world["actor"], world["series"], "20270322T083000Z")
    weeks = month_grid("2027", "3", EventFilter())
    assert weeks[0][0].day == date(2027, 3, 1) and weeks[-1][-1].day == date(2027, 4, 4)
    days = {cell.day: cell for week in weeks for cell in week}
    assert all(len(week) == 7 for week in weeks)
    monday = [
        (e.event.title, e.occurrence.is_cancelled) for e in days[date(2027, 3, 22)].occurrences
    ]
    assert monday == [("Clinic", True)]
    # The fair is on each of its days, first day marked; all-day ones before timed ones.
    assert [(e.event.title, e.is_first_day) for e in days[date(2027, 3, 29)].occurrences] == [
        ("EMO Hannover", True),
        ("Clinic", True),
    ]
    assert [(e.event.title, e.is_first_day) for e in days[date(2027, 3, 30)].occurrences] == [
        ("EMO Hannover", False),
    ]
    assert [e.event.title for e in days[date(2027, 4, 1)].occurrences] == [
        "EMO Hannover",
        "Upcoming",
    ]
    # Tokyo's 08:00 on 31 March is 30 March in UTC: placed on its own day.
    assert "JIMTOF" in [e.event.title for e in days[date(2027, 3, 31)].occurrences]
    assert not days[date(2027, 4, 1)].in_month and days[date(2027, 3, 31)].in_month
    only_fairs = month_grid(2027, 3, EventFilter(kind="trade-fair"), public=True)
    titles = {e.event.title for week in only_fairs for cell in week for e in cell.occurrences}
    assert titles == {"JIMTOF"}


@pytest.mark.parametrize(("year", "month"), [("2027", "13"), ("1999", "1"), ("x", "1"), ("", "")])
def test_a_bad_month_is_refused(app, db, year, month) -> None:
    with pytest.raises(ValidationError) as refused:
        month_grid(year, month, EventFilter())
    assert refused.value.field == "month"
