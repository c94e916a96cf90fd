"""The lists of follow-ups: the four groups of "My follow-ups" at their edges, the team's
view by assignee and by sub-item, and the follow-ups about one record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from crm.extensions import db as _db
from crm.models import Base
from crm.services import outreach, privacy, register
from crm.services.errors import ValidationError
from crm.services.followups import listing
from crm.services.followups.listing import TeamFilter, follow_ups_about, my_follow_ups
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")
# Wednesday 17 June 2026, 12:00 in Berlin (CEST, UTC+2); the week runs to Sunday 21 June.
WEDNESDAY_NOON = datetime(2026, 6, 17, 10, 0, tzinfo=UTC)
KEY = b"erasure-key-for-tests-0123456789"


def _user(role: str = "officer", zone: str | None = "Europe/Berlin", name: str | None = None):
    user = factories.make_user(role, full_name=name)
    user.timezone = zone
    _db.session.flush()
    return user


def _on(user, day: date, title: str = "", zone: str = "Europe/Berlin", **extra):
    """A follow-up due on ``day`` (no time) in ``zone``."""
    return factories.make_follow_up(
        title or f"Due on {day}", user, due_date=day, zone=zone, **extra
    )


def _at(user, moment: datetime, title: str = "", zone: str = "Europe/Berlin", **extra):
    """A follow-up due at ``moment``, read in ``zone``."""
    return factories.make_follow_up(title or f"Due at {moment}", user, moment, zone=zone, **extra)


def _titles(rows) -> list[str]:
    return [row.title for row in rows]


def _group_of(user, follow_up_id: int, now: datetime) -> str:
    groups = my_follow_ups(user, now=now)
    found = [key for key, _heading, rows in groups if any(r.id == follow_up_id for r in rows)]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture()
def olga(app, db):
    return _user(name="Olga Officer")


# --- The four groups -------------------------------------------------------------------------


def test_the_four_groups_in_order(olga) -> None:
    _at(olga, datetime(2026, 6, 17, 9, 0, tzinfo=BERLIN), "This morning, past")
    _on(olga, date(2026, 6, 10), "Last week")
    _at(olga, datetime(2026, 6, 17, 15, 0, tzinfo=BERLIN), "This afternoon")
    _on(olga, date(2026, 6, 17), "Today, on the day")
    _on(olga, date(2026, 6, 21), "Sunday")
    _at(olga, datetime(2026, 6, 18, 8, 0, tzinfo=BERLIN), "Thursday 08:00")
    _on(olga, date(2026, 6, 22), "Next Monday")
    _at(olga, datetime(2027, 1, 5, 9, 0, tzinfo=BERLIN), "Next year")
    # Not in "my" list: someone else's, done or cancelled ones.
    _on(_user(), date(2026, 6, 17), "Someone else's")
    _on(olga, date(2026, 6, 10), "Done", status="done")
    _on(olga, date(2026, 6, 10), "Cancelled", status="cancelled")

    groups = my_follow_ups(olga, now=WEDNESDAY_NOON)
    assert _titles(groups.overdue) == ["Last week", "This morning, past"]
    assert _titles(groups.today) == ["Today, on the day", "This afternoon"]
    assert _titles(groups.this_week) == ["Thursday 08:00", "Sunday"]
    assert _titles(groups.later) == ["Next Monday", "Next year"]
    assert [key for key, _h, _r in groups] == ["overdue", "today", "this_week", "later"]
    assert groups.today_date == date(2026, 6, 17) and groups.week_ends == date(2026, 6, 21)
    assert groups.total == 8 and groups.overdue_count == 2
    assert all(row.overdue for row in groups.overdue)
    assert not any(row.overdue for _k, _h, rows in list(groups)[1:] for row in rows)
    assert listing.overdue_count(olga, now=WEDNESDAY_NOON) == 2


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 6, 16, 23, 59, tzinfo=BERLIN), "this_week"),  # the evening before
        (datetime(2026, 6, 17, 0, 0, tzinfo=BERLIN), "today"),  # from the first minute
        (datetime(2026, 6, 17, 23, 59, 59, tzinfo=BERLIN), "today"),  # to the last
        (datetime(2026, 6, 18, 0, 0, tzinfo=BERLIN), "overdue"),  # the next day
        (datetime(2026, 6, 18, 0, 1, tzinfo=BERLIN), "overdue"),
    ],
)
def test_a_day_is_today_all_day_and_overdue_the_next(olga, now, expected) -> None:
    follow_up = _on(olga, date(2026, 6, 17))
    assert _group_of(olga, follow_up.id, now) == expected
    assert listing.overdue_count(olga, now=now) == (expected == "overdue")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 6, 17, 14, 29, tzinfo=BERLIN), "today"),
        (datetime(2026, 6, 17, 14, 30, tzinfo=BERLIN), "today"),  # at its time: not yet
        (datetime(2026, 6, 17, 14, 30, 1, tzinfo=BERLIN), "overdue"),
        (datetime(2026, 6, 17, 14, 31, tzinfo=BERLIN), "overdue"),  # a minute after
    ],
)
def test_a_timed_one_is_overdue_once_its_time_has_passed(olga, now, expected) -> None:
    follow_up = _at(olga, datetime(2026, 6, 17, 14, 30, tzinfo=BERLIN))
    assert _group_of(olga, follow_up.id, now) == expected
    assert listing.overdue_count(olga, now=now) == (expected == "overdue")


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (date(2026, 6, 18), "this_week"),  # tomorrow
        (date(2026, 6, 21), "this_week"),  # Sunday
        (date(2026, 6, 22), "later"),  # Monday of the next ISO week
        (datetime(2026, 6, 21, 23, 59, tzinfo=BERLIN), "this_week"),
        (datetime(2026, 6, 22, 0, 0, tzinfo=BERLIN), "later"),
    ],
)
def test_this_week_ends_on_sunday(olga, due, expected) -> None:
    follow_up = _at(olga, due) if isinstance(due, datetime) else _on(olga, due)
    assert _group_of(olga, follow_up.id, WEDNESDAY_NOON) == expected


def test_on_a_sunday_this_week_is_empty_and_monday_is_later(olga) -> None:
    sunday = datetime(2026, 6, 21, 12, 0, tzinfo=BERLIN)
    monday = _on(olga, date(2026, 6, 22))
    today = _on(olga, date(2026, 6, 21))
    groups = my_follow_ups(olga, now=sunday)
    assert groups.week_ends == date(2026, 6, 21)
    assert [r.id for r in groups.today] == [today.id] and groups.this_week == []
    assert [r.id for r in groups.later] == [monday.id]


def test_berlin_and_utc_viewers_near_midnight(app, db) -> None:
    """23:30 in Berlin is 21:30 UTC: for the Berlin viewer Wednesday is nearly over, for the
    UTC viewer it has hours to go. 30 minutes later it is Thursday in Berlin only."""
    berlin, utc = _user(zone="Europe/Berlin"), _user(zone="UTC")
    evening = datetime(2026, 6, 17, 21, 30, tzinfo=UTC)
    after_midnight_in_berlin = datetime(2026, 6, 17, 22, 30, tzinfo=UTC)
    # Due at 22:30 UTC: Thursday 00:30 in Berlin, Wednesday 22:30 in UTC.
    for user, expected in ((berlin, "this_week"), (utc, "today")):
        timed = _at(user, datetime(2026, 6, 17, 22, 30, tzinfo=UTC), zone="UTC")
        assert _group_of(user, timed.id, evening) == expected
        # Due on Wednesday (a day): overdue in Berlin after its midnight, today in UTC.
        day = _on(user, date(2026, 6, 17), zone="UTC")
        assert _group_of(user, day.id, after_midnight_in_berlin) == (
            "overdue" if user is berlin else "today"
        )
    rows = my_follow_ups(berlin, now=evening).this_week
    assert rows[0].due_label == "Thu 18 Jun 2026 00:30"
    rows = my_follow_ups(utc, now=evening).today
    assert [r.due_label for r in rows] == ["Wed 17 Jun 2026", "Wed 17 Jun 2026 22:30"]


def test_a_viewer_without_a_zone_reads_the_programme_s(app, db) -> None:
    plain = _user(zone=None)
    # 23:30 UTC on Wednesday is 01:30 on Thursday in Brussels.
    follow_up = _on(plain, date(2026, 6, 17), zone="UTC")
    assert _group_of(plain, follow_up.id, datetime(2026, 6, 17, 23, 30, tzinfo=UTC)) == "overdue"


def test_a_day_far_ahead_in_one_zone_and_behind_in_another(app, db) -> None:
    """A day read in Kiritimati (UTC+14) starts 26 hours before the same day in Pago Pago
    (UTC-11): the ranges of the index still sort both into the right groups."""
    viewer = _user(zone="Pacific/Pago_Pago")
    now = datetime(2026, 6, 17, 12, 0, tzinfo=ZoneInfo("Pacific/Pago_Pago"))
    monday = _on(viewer, date(2026, 6, 22), zone="Pacific/Kiritimati")
    sunday = _on(viewer, date(2026, 6, 21), zone="Pacific/Kiritimati")
    yesterday = _on(viewer, date(2026, 6, 16), zone="Pacific/Pago_Pago")
    today = _on(viewer, date(2026, 6, 17), zone="Pacific/Kiritimati")
    groups = my_follow_ups(viewer, now=now)
    assert [r.id for r in groups.later] == [monday.id]
    assert [r.id for r in groups.this_week] == [sunday.id]
    assert [r.id for r in groups.today] == [today.id]
    assert [r.id for r in groups.overdue] == [yesterday.id]
    assert listing.overdue_count(viewer, now=now) == 1


def test_long_groups_show_the_nearest_and_count_the_rest(olga, monkeypatch) -> None:
    monkeypatch.setattr(listing, "OVERDUE_SHOWN", 3)
    monkeypatch.setattr(listing, "LATER_SHOWN", 2)
    for n in range(6):
        _on(olga, date(2026, 5, 1) + timedelta(days=n), f"Old {n}")
    recent = _on(olga, date(2026, 6, 16), "Yesterday")
    for n in range(4):
        _on(olga, date(2026, 8, 1) + timedelta(days=n), f"Later {n}")
    groups = my_follow_ups(olga, now=WEDNESDAY_NOON)
    assert _titles(groups.overdue) == ["Old 3", "Old 4", "Old 5", "Yesterday"]
    assert groups.older_overdue == 3 and groups.overdue_count == 7
    assert _titles(groups.later) == ["Later 0", "Later 1"] and groups.later_more == 2
    assert groups.total == 11
    assert listing.overdue_count(olga, now=WEDNESDAY_NOON) == 7
    assert recent.id == groups.overdue[-1].id


def test_rows_are_plain_values_naming_what_they_are_about(olga) -> None:
    firm = factories.make_organisation(name="Rossi Macchine S.p.A.", country_code="IT")
    anna = factories.make_person("Anna", "Schmidt", organisation=firm)
    record = factories.make_outreach(logged_by=olga, organisations=[firm], subject="Visit")
    event = factories.make_event(title="EMO Hannover")
    _on(
        olga, date(2026, 6, 18), "About everything", person=anna, organisation=firm,
        outreach=record, event=event,
    )  # fmt: skip
    [row] = my_follow_ups(olga, now=WEDNESDAY_NOON).this_week
    assert row.about == ["Anna Schmidt", "Rossi Macchine S.p.A.", "Visit", "EMO Hannover"]
    assert (row.assignee, row.assignee_id, row.status) == ("Olga Officer", olga.id, "open")
    assert (row.person_id, row.organisation_id, row.outreach_id, row.event_id) == (
        anna.id,
        firm.id,
        record.id,
        event.id,
    )
    assert row.due_label == "Thu 18 Jun 2026" and row.due_time is None
    for value in dataclasses.asdict(row).values():
        assert not isinstance(value, Base)
    # Deleted and erased records are not named.
    register.delete_record(firm, olga)
    outreach.delete_outreach(record, olga, record.version)
    event.deleted_at = WEDNESDAY_NOON
    privacy.erase_person(anna, factories.make_user("admin"), KEY)
    [row] = my_follow_ups(olga, now=WEDNESDAY_NOON).this_week
    assert row.about == []


def test_an_account_named_by_e_mail_only(app, db) -> None:
    nameless = _user()
    nameless.full_name = ""
    _db.session.flush()
    _on(nameless, date(2026, 6, 18))
    [row] = my_follow_ups(nameless, now=WEDNESDAY_NOON).this_week
    assert row.assignee == nameless.email


# --- The team's follow-ups -------------------------------------------------------------------


@pytest.fixture()
def team(app, db):
    anna = _user(name="Anna Amsel")
    bruno = _user(name="Bruno Brandt")
    carla = _user("coordinator", name="carla Clausen")  # lower case sorts by name too
    follow_ups = {
        "a1": _on(anna, date(2026, 6, 16), "A1 overdue", subitem_codes=("1.3b", "2.1")),
        "a2": _on(anna, date(2026, 6, 25), "A2", subitem_codes=("1.3b",)),
        "b1": _on(bruno, date(2026, 6, 18), "B1", subitem_codes=("3.2",)),
        "b2": _on(bruno, date(2026, 6, 19), "B2 none"),
        "c1": _on(carla, date(2026, 6, 20), "C1", subitem_codes=("2.1",)),
        "done": _on(anna, date(2026, 6, 1), "Done early", status="done"),
        "done2": _on(bruno, date(2026, 6, 5), "Done later", status="done"),
        "cancelled": _on(carla, date(2026, 6, 2), "Cancelled", status="cancelled"),
    }
    return {"anna": anna, "bruno": bruno, "carla": carla, **follow_ups}


def _team(args: dict[str, str] | MultiDict, now: datetime = WEDNESDAY_NOON):
    f = TeamFilter.from_args(args, zone=BERLIN)
    return listing.team_follow_ups(f, now=now)


def test_the_team_by_assignee(team) -> None:
    view = _team({})
    assert [g.label for g in view.groups] == ["Anna Amsel", "Bruno Brandt", "carla Clausen"]
    assert [_titles(g.rows) for g in view.groups] == [
        ["A1 overdue", "A2"],
        ["B1", "B2 none"],
        ["C1"],
    ]
    assert [g.overdue for g in view.groups] == [1, 0, 0]
    assert view.groups[0].key == str(team["anna"].id)
    assert view.shown == 5 and view.more == 0


def test_the_team_by_sub_item(team) -> None:
    view = _team({"by": "subitem"})
    assert [(g.key, _titles(g.rows)) for g in view.groups] == [
        ("1.3b", ["A1 overdue", "A2"]),
        ("2.1", ["A1 overdue", "C1"]),
        ("3.2", ["B1"]),
        ("", ["B2 none"]),
    ]
    assert view.groups[-1].label == "No sub-item"
    assert view.shown == 5  # A1 is under two sub-items but one follow-up
    assert view.groups[0].rows[0].subitems == ["1.3b", "2.1"]


def test_the_team_narrowed(team) -> None:
    assert [_titles(g.rows) for g in _team({"assignee": str(team["bruno"].id)}).groups] == [
        ["B1", "B2 none"]
    ]
    by_code = _team({"subitem": "2.1", "by": "subitem"})
    assert [(g.key, _titles(g.rows)) for g in by_code.groups] == [("2.1", ["A1 overdue", "C1"])]
    assert [g.label for g in _team({"subitem": "2.1"}).groups] == ["Anna Amsel", "carla Clausen"]
    done = _team({"status": "done"})
    assert [_titles(g.rows) for g in done.groups] == [["Done early"], ["Done later"]]
    assert not any(row.overdue for g in done.groups for row in g.rows)
    assert _titles(_team({"status": "cancelled"}).groups[0].rows) == ["Cancelled"]
    assert _team({"status": "DONE ", "assignee": str(team["carla"].id)}).groups == []


def test_closed_ones_come_newest_first(team) -> None:
    anna = team["anna"]
    _on(anna, date(2026, 6, 3), "Done between", status="done")
    view = _team({"status": "done", "assignee": str(anna.id)})
    assert _titles(view.groups[0].rows) == ["Done between", "Done early"]


def test_the_team_view_counts_what_it_does_not_list(team, monkeypatch) -> None:
    monkeypatch.setattr(listing, "TEAM_SHOWN", 2)
    view = _team({})
    assert view.shown == 2 and view.more == 3
    assert [_titles(g.rows) for g in view.groups] == [["A1 overdue"], ["B1"]]


def test_the_filter_gives_its_arguments_back(team) -> None:
    args = {"by": "subitem", "assignee": str(team["anna"].id), "subitem": "1.3B", "status": "done"}
    f = TeamFilter.from_args(args)
    assert f.args() == {
        "by": "subitem",
        "assignee": team["anna"].id,
        "subitem": "1.3b",
        "status": "done",
    }
    assert TeamFilter.from_args({}).args() == {}
    assert TeamFilter.from_args({"by": "", "status": ""}).status == "open"


@pytest.mark.parametrize(
    ("args", "field", "words"),
    [
        ({"by": "country"}, "by", "'country' is not a grouping"),
        ({"status": "maybe"}, "status", "is not one of open, done, cancelled"),
        ({"assignee": "2000000000"}, "assignee", "there is no user #2000000000"),
        ({"assignee": str(2**40)}, "assignee", "must be between"),
        ({"assignee": "9" * 400}, "assignee", "must be between"),
        ({"assignee": "me"}, "assignee", "not a whole number"),
        ({"assignee": "NaN"}, "assignee", "not a whole number"),
        ({"subitem": "1.3"}, "subitem", "not a sub-item of the framework"),
        ({"subitem": "9.9z"}, "subitem", "not a sub-item"),
        ({"subitem": "x" * 500}, "subitem", "at most 20 characters"),
        ({"by": "a\x00b"}, "by", "control character"),
        (MultiDict([("status", "open"), ("status", "done")]), "status", "given 2 times"),
        (MultiDict([("by", "assignee"), ("by", "subitem")]), "by", "given 2 times"),
        ({"assignee": ["1", "2"]}, "assignee", "given 2 times"),
    ],
)
def test_a_bad_filter_is_refused_by_name(app, db, args, field, words) -> None:
    with pytest.raises(ValidationError) as caught:
        TeamFilter.from_args(args)
    assert caught.value.field == field, caught.value
    assert words in caught.value.message, caught.value.message


@settings(
    max_examples=150,
    derandomize=True,  # the same examples in every run: CI fails only on a real change
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    params=st.dictionaries(
        st.sampled_from(["by", "assignee", "subitem", "status", "other"]),
        st.one_of(
            st.text(max_size=30),
            st.integers().map(str),
            st.sampled_from(["assignee", "subitem", "open", "done", "1.3b", "-1", "0", "1e9"]),
            st.lists(st.text(max_size=5), min_size=2, max_size=3),
        ),
    )
)
def test_any_query_string_is_a_filter_or_a_validation_error(app, db, params) -> None:
    try:
        f = TeamFilter.from_args(params)
    except ValidationError as error:
        assert error.field in ("by", "assignee", "subitem", "status")
        return
    listing.team_follow_ups(f, now=WEDNESDAY_NOON)  # and the query runs


# --- Follow-ups about one record -------------------------------------------------------------


def test_follow_ups_about_a_record(olga) -> None:
    firm = factories.make_organisation()
    anna = factories.make_person("Anna", "Schmidt", organisation=firm)
    record = factories.make_outreach(logged_by=olga, organisations=[firm])
    event = factories.make_event()
    later = _on(olga, date(2026, 7, 1), "Later", person=anna, subitem_codes=("1.2",))
    sooner = _at(olga, datetime(2026, 6, 18, 9, tzinfo=BERLIN), "Sooner", person=anna)
    old_done = _on(olga, date(2026, 5, 1), "Old done", person=anna, status="done")
    new_done = _on(olga, date(2026, 6, 1), "New cancelled", person=anna, status="cancelled")
    _on(olga, date(2026, 6, 1), "About the firm", organisation=firm, outreach=record, event=event)
    rows = follow_ups_about("person", anna.id, now=WEDNESDAY_NOON, zone=BERLIN)
    assert [r.id for r in rows] == [sooner.id, later.id, new_done.id, old_done.id]
    assert rows[1].subitems == ["1.2"] and rows[0].due_label == "Thu 18 Jun 2026 09:00"
    assert [r.is_open for r in rows] == [True, True, False, False]
    for kind, record_id in (
        ("organisation", firm.id),
        ("outreach", record.id),
        ("event", event.id),
    ):
        assert _titles(follow_ups_about(kind, record_id, now=WEDNESDAY_NOON)) == ["About the firm"]
    assert follow_ups_about("person", 2**40) == []
    assert follow_ups_about("event", 2_000_000_000) == []
    with pytest.raises(ValidationError) as caught:
        follow_ups_about("user", olga.id)
    assert caught.value.field == "kind"


def test_an_open_one_about_a_record_is_overdue_in_the_viewer_s_zone(olga) -> None:
    anna = factories.make_person("Anna", "Schmidt")
    _on(olga, date(2026, 6, 17), person=anna, zone="UTC")
    late_evening = datetime(2026, 6, 17, 22, 30, tzinfo=UTC)  # Thursday 00:30 in Berlin
    [row] = follow_ups_about("person", anna.id, now=late_evening, zone=BERLIN)
    assert row.overdue
    [row] = follow_ups_about("person", anna.id, now=late_evening, zone=ZoneInfo("UTC"))
    assert not row.overdue


def test_times_of_day_keep_their_type(olga) -> None:
    _at(olga, datetime(2026, 6, 18, 9, 15, tzinfo=BERLIN))
    [row] = my_follow_ups(olga, now=WEDNESDAY_NOON).this_week
    assert row.due_time == time(9, 15) and row.due_zone == "Europe/Berlin"
    assert row.due_at == datetime(2026, 6, 18, 7, 15, tzinfo=UTC)
