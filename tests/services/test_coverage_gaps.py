"""The gaps of coverage, on a small data set written here: quiet sub-items at the edge of
the window, countries whose national associations none was reached this year, kinds never
reached for a sub-item, targets behind pace; and the home page's partial."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import render_template

from crm import clock
from crm.extensions import db
from crm.models import OrganisationKind, Role, utcnow
from crm.services.coverage import gaps as coverage_gaps
from crm.services.coverage import targets
from crm.services.errors import ValidationError
from tests import factories

TODAY = date(2026, 11, 20)


def _at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), clock.programme_zone())


def _quiet_codes(today: date = TODAY, days: int = 30) -> list[str]:
    return [q.code for q in coverage_gaps.quiet_subitems(today, days)]


def test_a_sub_item_is_quiet_from_the_day_its_last_record_leaves_the_window(app) -> None:
    # 30 days up to 20 November, today included: from 22 October on.
    first_day = TODAY - timedelta(days=29)
    factories.make_outreach(("1.3b",), occurred_at=_at(first_day, 0, 0))
    factories.make_outreach(("1.3a",), occurred_at=_at(first_day - timedelta(days=1), 23, 59))
    quiet = _quiet_codes()
    assert "1.3b" not in quiet
    assert "1.3a" in quiet
    # The day after, 1.3b's record is out of the window too.
    assert "1.3b" in _quiet_codes(TODAY + timedelta(days=1))
    (a,) = [q for q in coverage_gaps.quiet_subitems(TODAY) if q.code == "1.3a"]
    assert a.last_on == first_day - timedelta(days=1)
    assert a.path == "/outreach?subitem=1.3a"


def test_never_reached_sub_items_come_first_and_commitments_are_not_listed(app) -> None:
    factories.make_outreach(("1.3a",), occurred_at=_at(TODAY - timedelta(days=90)))
    quiet = coverage_gaps.quiet_subitems(TODAY)
    codes = [q.code for q in quiet]
    assert codes[-1] == "1.3a"  # the only one with a record, long ago: last
    assert all(q.last_on is None for q in quiet[:-1])
    assert "1" not in codes and "1.3" not in codes  # only sub-items


def test_a_deleted_record_leaves_its_sub_item_quiet(app) -> None:
    record = factories.make_outreach(("2.2",), occurred_at=_at(TODAY - timedelta(days=2)))
    assert "2.2" not in _quiet_codes()
    record.deleted_at = utcnow()
    db.session.flush()
    assert "2.2" in _quiet_codes()


def test_the_number_of_days_is_checked(app) -> None:
    assert coverage_gaps.clean_days("") == 30
    assert coverage_gaps.clean_days("7") == 7
    for bad in ("0", "-3", "NaN", "1e3", "9" * 30):
        with pytest.raises(ValidationError) as caught:
            coverage_gaps.clean_days(bad)
        assert caught.value.field == "days"


def _association(country: str, **values: Any):
    return factories.make_organisation(
        f"Verband {country} {next(factories._sequence)}",
        kind=OrganisationKind.NATIONAL_ASSOCIATION,
        country_code=country,
        **values,
    )


def _country_codes(today: date = TODAY) -> list[str]:
    return [c.code for c in coverage_gaps.countries_without_associations_reached(today)]


def test_countries_whose_national_associations_none_was_reached_this_year(app) -> None:
    reached_directly = _association("DE")
    _association("DE")  # a second one in Germany: one reached is enough
    via_person = _association("IT")
    last_year = _association("AT")
    deleted = _association("FR")
    deleted.deleted_at = utcnow()
    enterprise = factories.make_organisation(country_code="ES")  # not an association
    db.session.flush()
    factories.make_outreach(organisations=[reached_directly], occurred_at=_at(TODAY))
    person = factories.make_person(organisation=via_person)
    factories.make_outreach(people=[person], occurred_at=_at(date(2026, 1, 1), 0, 0))
    factories.make_outreach(organisations=[last_year], occurred_at=_at(date(2025, 12, 31), 23, 59))
    factories.make_outreach(organisations=[enterprise], occurred_at=_at(TODAY))
    codes = _country_codes()
    assert "AT" in codes
    assert "DE" not in codes and "IT" not in codes
    assert "FR" not in codes and "ES" not in codes
    (austria,) = [
        c for c in coverage_gaps.countries_without_associations_reached(TODAY) if c.code == "AT"
    ]
    assert austria.name == "Austria" and austria.associations == 1
    assert austria.path == "/organisations?kind=national-association&country=AT"
    # A deleted record reaches no one.
    record = factories.make_outreach(organisations=[last_year], occurred_at=_at(TODAY))
    assert "AT" not in _country_codes()
    record.deleted_at = utcnow()
    db.session.flush()
    assert "AT" in _country_codes()


def test_kinds_never_reached_per_sub_item(app) -> None:
    enterprise = factories.make_organisation(kind=OrganisationKind.ENTERPRISE)
    affiliate = factories.make_organisation(kind=OrganisationKind.AFFILIATE, headcount=None)
    factories.make_outreach(("1.3b",), organisations=[enterprise], occurred_at=_at(TODAY))
    person = factories.make_person(organisation=affiliate)
    factories.make_outreach(("1.3b",), people=[person], occurred_at=_at(date(2020, 5, 1)))
    found = {u.code: u for u in coverage_gaps.kinds_never_reached()}
    b = found["1.3b"]
    assert OrganisationKind.ENTERPRISE not in b.kinds
    assert OrganisationKind.AFFILIATE not in b.kinds  # through the person, years ago
    assert OrganisationKind.NATIONAL_ASSOCIATION in b.kinds
    assert (
        "national associations",
        "/organisations?kind=national-association&never_engaged=1.3b",
    ) in b.links
    assert set(found["1.3a"].kinds) == set(OrganisationKind)
    assert "1.3" not in found and "1" not in found  # only sub-items


def _target(**values: Any) -> Any:
    data = {
        "commitment_item_id": str(factories.subitem("1.3b").id),
        "metric": "outreach-logged",
        "organisation_kind": "",
        "period_start": "2026-01-01",
        "period_end": "2026-12-31",
        "target_value": "10",
        **values,
    }
    return targets.create_target(factories.make_user(Role.COORDINATOR), data, today=TODAY)


def test_targets_behind_pace_on_the_day(app) -> None:
    behind = _target()  # 10 outreach in 2026: about 9 expected by 20 November
    on_pace = _target(metric="people-reached", target_value="1")
    person = factories.make_person()
    for n in range(5):
        factories.make_outreach(("1.3b",), people=[person], occurred_at=_at(date(2026, 3, 1 + n)))
    _target(period_start="2027-01-01", period_end="2027-12-31")  # not started: not behind
    listed = coverage_gaps.gaps(TODAY).behind
    assert [p.target_id for p in listed] == [behind.id]
    (progress,) = listed
    assert progress.figure == 5 and progress.state == targets.PaceState.BEHIND
    assert on_pace.id not in [p.target_id for p in listed]


def _everything_reached() -> None:
    """One record per sub-item this week, reaching one organisation of every kind."""
    organisations = [
        factories.make_organisation(kind=kind, country_code="DE") for kind in OrganisationKind
    ]
    for _item_id, code, _text in coverage_gaps._leaves():
        factories.make_outreach(
            (code,), organisations=organisations, occurred_at=_at(TODAY - timedelta(days=1))
        )


def test_no_gaps_when_everything_is_reached(app) -> None:
    _everything_reached()
    found = coverage_gaps.gaps(TODAY)
    assert found.quiet == [] and found.countries == [] and found.unreached_kinds == []
    assert found.behind == [] and found.is_empty


def test_the_home_partial_lists_each_gap_with_its_link(app) -> None:
    _association("AT")
    _target()
    found = coverage_gaps.gaps(TODAY)
    with app.test_request_context("/"):
        html = render_template("main/_coverage_gaps.html", gaps=found)
    assert "Gaps in coverage" in html
    assert 'href="/outreach?subitem=1.3b"' in html
    assert 'href="/organisations?kind=national-association&amp;country=AT"' in html
    assert "Targets behind pace (1)" in html
    assert "/coverage/targets?year=2026" in html
    assert "never_engaged=1.3a" in html
    with app.test_request_context("/"):
        empty = render_template(
            "main/_coverage_gaps.html", gaps=coverage_gaps.Gaps(today=TODAY, days=30)
        )
    assert "No gaps" in empty
