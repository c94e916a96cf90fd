"""The progress of targets on a small data set written here: each metric's figure equals
what the test counts itself (distinct organisations, SMEs of the chosen classes, people,
records, countries, events held), at the edges of the period, without deleted records or
cancelled events; a commitment's target counts its sub-items."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from crm import clock
from crm.extensions import db
from crm.models import EventStatus, OrganisationKind, Role, SizeClass, utcnow
from crm.services.coverage import Period, targets
from tests import factories

TODAY = date(2026, 7, 2)  # 183 of 365 days of 2026 gone by


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), clock.programme_zone())


def _enterprise(size: SizeClass, country: str = "DE") -> Any:
    organisation = factories.make_organisation(country_code=country)
    organisation.size_class = size
    db.session.flush()
    return organisation


def _target(code: str = "2.2", **values: Any) -> Any:
    data = {
        "commitment_item_id": str(factories.subitem(code).id),
        "metric": "outreach-logged",
        "organisation_kind": "",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "target_value": "4",
        **values,
    }
    return targets.create_target(factories.make_user(Role.COORDINATOR), data, today=TODAY)


def _data() -> None:
    micro, small = _enterprise(SizeClass.MICRO), _enterprise(SizeClass.SMALL)
    medium, large = _enterprise(SizeClass.MEDIUM), _enterprise(SizeClass.LARGE)
    association = factories.make_organisation(
        kind=OrganisationKind.NATIONAL_ASSOCIATION, country_code="AT"
    )
    person = factories.make_person(organisation=association)
    factories.make_outreach(
        ("2.2",), organisations=[micro, small], occurred_at=_at(date(2026, 1, 1), 0, 0)
    )
    factories.make_outreach(
        ("2.2",), organisations=[small, large], people=[person], occurred_at=_at(date(2026, 5, 1))
    )
    # Outside the year by a minute, and deleted: neither counts.
    factories.make_outreach(
        ("2.2",), organisations=[medium], occurred_at=_at(date(2025, 12, 31), 23, 59)
    )
    deleted = factories.make_outreach(
        ("2.2",), organisations=[medium], occurred_at=_at(date(2026, 6, 1))
    )
    deleted.deleted_at = utcnow()
    # Events serving 2.2: one held in 2026, one cancelled, one deleted, one in 2025.
    factories.make_event(("2.2",))
    cancelled = factories.make_event(("2.2",), title="Cancelled fair")
    cancelled.status, cancelled.cancelled_at = EventStatus.CANCELLED, utcnow()
    gone = factories.make_event(("2.2",), title="Deleted fair")
    gone.deleted_at = utcnow()
    old = factories.make_event(("2.2",), title="EMO 2025")
    old.start_date, old.end_date = date(2025, 9, 22), date(2025, 9, 27)
    db.session.flush()


def _figures(*specs: dict[str, Any]) -> list[int]:
    made = [_target(**spec) for spec in specs]
    by_id = {p.target_id: p for p in targets.progress_of(made, TODAY)}
    return [by_id[t.id].figure for t in made]


def test_each_metric_counts_what_it_says(app) -> None:
    _data()
    assert _figures(
        {"metric": "smes-reached"},  # micro and small (medium only outside or deleted)
        {"metric": "smes-reached", "size_classes": ["large"]},
        {"metric": "smes-reached", "size_classes": ["micro", "medium"]},
        {"metric": "organisations-engaged"},  # micro, small, large and the association
        {"metric": "organisations-engaged", "organisation_kind": "enterprise"},
        {"metric": "organisations-engaged", "organisation_kind": "national-association"},
        {"metric": "people-reached"},
        {"metric": "outreach-logged"},
        {"metric": "outreach-logged", "organisation_kind": "national-association"},
        {"metric": "countries-covered"},
        {"metric": "events-attended"},
    ) == [2, 1, 1, 4, 3, 1, 1, 2, 1, 2, 1]


def test_a_commitment_counts_its_sub_items_and_a_custom_period_its_days(app) -> None:
    _data()
    factories.make_outreach(("2.1",), occurred_at=_at(date(2026, 2, 1)))
    assert _figures(
        {"code": "2"},  # three records under 2.1 and 2.2, each once
        {"code": "2.1"},
        {"period_start": "2026-01-01", "period_end": "2026-04-30"},  # the January record
        {"period_start": "2026-01-02", "period_end": "2026-05-01"},  # the May one only
    ) == [3, 1, 1, 1]


def test_progress_for_a_period_lists_the_targets_overlapping_it_with_their_pace(app) -> None:
    _data()
    year = _target(target_value="4")  # 2 of 4, about 2.005 expected by 2 July: behind
    quarter = _target(period_start="2026-04-01", period_end="2026-06-30", target_value="1")
    later = _target(period_start="2027-01-01", period_end="2027-12-31")
    listed = {p.target_id: p for p in targets.progress_for(Period.year(2026), TODAY)}
    assert set(listed) == {year.id, quarter.id}
    assert listed[year.id].state == targets.PaceState.BEHIND
    assert listed[year.id].pace.expected_now == 3
    assert "2 of 4 (50 %), behind pace: 3 expected by today" in listed[year.id].summary
    assert listed[quarter.id].state == targets.PaceState.MET
    assert [p.target_id for p in targets.progress_for(Period.year(2027), TODAY)] == [later.id]
    every = [p.target_id for p in targets.progress_for(Period.all_time(), TODAY)]
    assert set(every) == {year.id, quarter.id, later.id}
