"""The rules of every follow-up write: each refusal names its field and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    FollowUp,
    FollowUpStatus,
    Outreach,
    follow_up_subitems,
    outreach_people,
    utcnow,
)
from crm.services import followups, merge, outreach, privacy, register
from crm.services.errors import ConflictError, ValidationError
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)  # a Monday; 12:00 in Brussels and Berlin
KEY = b"erasure-key-for-tests-0123456789"


def _counts() -> dict[str, int]:
    """Rows of every table a write of follow-ups touches (the outreach it may log too)."""
    tables = {
        "follow_ups": FollowUp.__table__,
        "follow_up_subitems": follow_up_subitems,
        "outreach_records": Outreach.__table__,
        "outreach_people": outreach_people,
        "audit_log": AuditEntry.__table__,
    }
    return {
        name: _db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in tables.items()
    }


def _id(code: str) -> int:
    return factories.subitem(code).id


def _user(role: str = "officer", zone: str | None = None, name: str | None = None):
    user = factories.make_user(role, full_name=name)
    user.timezone = zone
    _db.session.flush()
    return user


@pytest.fixture()
def world(app, db) -> dict[str, Any]:
    """An officer in Berlin, a firm with a manager, and the data of a valid follow-up."""
    officer = _user("officer", "Europe/Berlin", "Olga Officer")
    firm = factories.make_organisation(name="Rossi Macchine S.p.A.", country_code="IT")
    anna = factories.make_person("Anna", "Schmidt", organisation=firm)
    data = {
        "title": "Send Anna the training module for employees",
        "notes": "She asked for the German version.",
        "due_date": "2026-06-19",
        "due_time": "09:30",
        "assignee_id": "",
        "person_id": anna.id,
        "organisation_id": firm.id,
        "outreach_id": None,
        "event_id": None,
    }
    return {"officer": officer, "firm": firm, "anna": anna, "data": data}


def _create(world: dict[str, Any], actor=None, **override: Any) -> FollowUp:
    return followups.create_follow_up(
        {**world["data"], **override}, actor or world["officer"], now=NOW
    )


def _refused(world: dict[str, Any], field: str, words: str, **override: Any) -> None:
    """Creating with ``override`` is refused on ``field`` with ``words``; nothing is written."""
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        _create(world, **override)
    assert caught.value.field == field, caught.value
    assert words in caught.value.message, caught.value.message
    _db.session.flush()
    assert _counts() == before


def _audit(follow_up: FollowUp) -> list[AuditEntry]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "follow-up", AuditEntry.entity_id == follow_up.id)
            .order_by(AuditEntry.id)
        )
    )


# --- Creating --------------------------------------------------------------------------------


def test_creating_stores_the_follow_up_in_the_assignee_s_zone_and_audits_it(world) -> None:
    follow_up = _create(world)
    _db.session.expire_all()
    stored = _db.session.get(FollowUp, follow_up.id)
    assert stored.status == FollowUpStatus.OPEN
    assert (stored.due_date, stored.due_time, stored.due_zone) == (
        date(2026, 6, 19),
        time(9, 30),
        "Europe/Berlin",
    )
    assert stored.due_at == datetime(2026, 6, 19, 7, 30, tzinfo=UTC)  # CEST is UTC+2
    assert stored.assignee_id == stored.created_by_id == world["officer"].id
    assert (stored.person_id, stored.organisation_id) == (world["anna"].id, world["firm"].id)
    assert stored.notes == "She asked for the German version."
    assert stored.completed_at is None and stored.cancelled_at is None
    [entry] = _audit(stored)
    assert (entry.action, entry.actor_id) == ("create", world["officer"].id)
    assert entry.changes["title"] == [None, "Send Anna the training module for employees"]
    assert entry.changes["person"] == [None, "Anna Schmidt"]
    assert entry.changes["organisation"] == [None, "Rossi Macchine S.p.A."]
    assert entry.changes["assignee"] == [None, "Olga Officer"]
    assert entry.changes["due_date"] == [None, "2026-06-19"]
    assert entry.changes["due_zone"] == [None, "Europe/Berlin"]
    assert "subitems" not in entry.changes and "event" not in entry.changes


def test_a_day_is_due_from_its_start_in_the_assignee_s_zone(world) -> None:
    lisbon = _user("organiser", "Europe/Lisbon", "Luís Organiser")
    follow_up = _create(world, due_time="", assignee_id=str(lisbon.id))
    assert follow_up.due_time is None and follow_up.due_zone == "Europe/Lisbon"
    assert follow_up.due_at == datetime(2026, 6, 18, 23, 0, tzinfo=UTC)  # WEST is UTC+1
    assert follow_up.created_by_id == world["officer"].id


def test_dates_and_times_may_be_given_as_values(world) -> None:
    follow_up = _create(world, due_date=date(2026, 7, 1), due_time=time(16, 0))
    assert follow_up.due_at == datetime(2026, 7, 1, 14, 0, tzinfo=UTC)


def test_an_account_without_a_zone_works_in_the_programme_s(world) -> None:
    plain = _user("officer", None)
    assert followups.zone_of(plain) == "Europe/Brussels"  # CRM_TIMEZONE's default
    assert followups.zone_of(world["officer"]) == "Europe/Berlin"
    follow_up = _create(world, actor=plain)
    assert follow_up.due_zone == "Europe/Brussels"


def test_a_follow_up_may_stand_alone(world) -> None:
    follow_up = _create(world, person_id=None, organisation_id="", notes=None)
    assert follow_up.person_id is None and follow_up.organisation_id is None
    assert follow_up.notes == "" and follow_up.subitems == []


def test_it_serves_the_sub_items_of_its_outreach_unless_told_otherwise(world) -> None:
    record = factories.make_outreach(("1.3b", "2.1"), logged_by=world["officer"])
    follow_up = _create(world, outreach_id=record.id)
    assert sorted(s.code for s in follow_up.subitems) == ["1.3b", "2.1"]
    chosen = _create(world, outreach_id=record.id, subitem_ids=[_id("3.2"), _id("3.2")])
    assert [s.code for s in chosen.subitems] == ["3.2"]
    none = _create(world, outreach_id=record.id, subitem_ids=[])
    assert none.subitems == []


def test_a_time_in_the_hour_that_repeats_is_the_first_of_the_two(world) -> None:
    follow_up = _create(world, due_date="2026-10-25", due_time="02:30")
    assert follow_up.due_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # still CEST


def test_the_skipped_hour_is_that_of_the_assignee_s_zone(world) -> None:
    """02:30 on 29 March 2026 does not exist in Berlin; in New York it does (their clocks
    changed on 8 March)."""
    new_york = _user("officer", "America/New_York")
    follow_up = _create(world, due_date="2026-03-29", due_time="02:30", assignee_id=new_york.id)
    assert follow_up.due_at == datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
    assert follow_up.due_zone == "America/New_York"
    _refused(
        world,
        "due_time",
        "2026-03-29 02:30 does not exist in Europe/Berlin: the clocks skipped it",
        due_date="2026-03-29",
        due_time="02:30",
    )


BAD_INPUT = [
    # (override, field, words in the message)
    ({"title": ""}, "title", "required"),
    ({"title": "   \u200b"}, "title", "required"),
    ({"title": "x" * 301}, "title", "at most 300 characters"),
    ({"title": "Call\x00back"}, "title", "control character"),
    ({"title": ["a", "b"]}, "title", "expected text"),
    ({"notes": "n" * 10_001}, "notes", "at most 10000 characters"),
    ({"due_date": ""}, "due_date", "give the due date as YYYY-MM-DD"),
    ({"due_date": None}, "due_date", "give the due date"),
    ({"due_date": "2026-02-30"}, "due_date", "2026-02-30 does not exist: February 2026 has 28"),
    ({"due_date": "2026-13-01"}, "due_date", "there is no month 13"),
    ({"due_date": "19/06/2026"}, "due_date", "write it as YYYY-MM-DD"),
    ({"due_date": "1999-12-31"}, "due_date", "1999-12-31 is before 2000: check the year"),
    ({"due_date": "2062-06-19"}, "due_date", "more than 10 years ahead: check the year"),
    ({"due_date": "9999-12-31"}, "due_date", "more than 10 years ahead"),
    ({"due_date": NOW}, "due_date", "not a date and time"),
    ({"due_time": "25:00"}, "due_time", "not a time of day"),
    ({"due_time": "9.30"}, "due_time", "not a time of day"),
    ({"due_time": NOW}, "due_time", "not a date and time"),
    ({"due_time": time(9, 30, tzinfo=UTC)}, "due_time", "without a time zone"),
    ({"assignee_id": 2_000_000_000}, "assignee_id", "there is no user #2000000000"),
    ({"assignee_id": 2**31}, "assignee_id", "must be between"),
    ({"assignee_id": "Olga"}, "assignee_id", "not a whole number"),
    ({"assignee_id": 1.5}, "assignee_id", "expected a whole number"),
    ({"person_id": 2_000_000_000}, "person_id", "there is no person #2000000000"),
    ({"person_id": [1, 2]}, "person_id", "expected a whole number"),
    ({"organisation_id": 2_000_000_000}, "organisation_id", "no organisation #2000000000"),
    ({"outreach_id": 2_000_000_000}, "outreach_id", "there is no outreach #2000000000"),
    ({"event_id": 2_000_000_000}, "event_id", "there is no event #2000000000"),
    ({"event_id": "METAV"}, "event_id", "not a whole number"),
    ({"subitem_ids": [2_000_000_000]}, "subitem_ids", "there is no sub-item #2000000000"),
    ({"subitem_ids": "12"}, "subitem_ids", "expected a list of ids"),
    ({"subitem_ids": ["1.3b"]}, "subitem_ids", "not a whole number"),
    ({"subitem_ids": list(range(1, 60))}, "subitem_ids", "at most 50 sub-items"),
]


@pytest.mark.parametrize(("override", "field", "words"), BAD_INPUT)
def test_bad_input_is_refused_beside_its_field(world, override, field, words) -> None:
    _refused(world, field, words, **override)


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("1.3", "1.3 is an item, not a sub-item: choose 1.3a, 1.3b or 1.3c"),
        ("1", "1 is a commitment, not a sub-item: choose 1.1, 1.2, 1.3a, 1.3b or 1.3c"),
    ],
)
def test_only_leaves_of_the_framework(world, code, words) -> None:
    _refused(world, "subitem_ids", words, subitem_ids=[_id("2.1"), _id(code)])


def test_a_deactivated_assignee_is_refused(world) -> None:
    gone = _user("officer", name="Dieter Departed")
    gone.is_active = False
    _db.session.flush()
    _refused(world, "assignee_id", "Dieter Departed is deactivated", assignee_id=gone.id)


def test_a_viewer_cannot_hold_a_follow_up(world) -> None:
    viewer = _user("viewer", name="Vera Viewer")
    _refused(world, "assignee_id", "Vera Viewer is a viewer and cannot hold", assignee_id=viewer.id)


def test_every_role_that_creates_may_hold(world) -> None:
    for role in ("admin", "coordinator", "officer", "organiser"):
        holder = _user(role)
        assert _create(world, assignee_id=holder.id).assignee_id == holder.id


# --- What it is about, gone ------------------------------------------------------------------


def test_a_deleted_person(world) -> None:
    register.delete_record(world["anna"], world["officer"])
    _refused(world, "person_id", "Anna Schmidt was deleted while the form was open")


def test_an_erased_person(world) -> None:
    privacy.erase_person(world["anna"], factories.make_user("admin"), KEY)
    _refused(world, "person_id", f"person #{world['anna'].id} is an erased person")


def test_a_merged_person_names_the_record_they_went_into(world) -> None:
    survivor = factories.make_person("Anna", "Schmidt-Berger", organisation=world["firm"])
    merge.merge_people(survivor, world["anna"], factories.make_user("coordinator"))
    _refused(
        world, "person_id", f"Anna Schmidt was merged into Anna Schmidt-Berger (#{survivor.id})"
    )


def test_a_deleted_organisation(world) -> None:
    register.delete_record(world["firm"], world["officer"])
    _refused(
        world,
        "organisation_id",
        "Rossi Macchine S.p.A. was deleted while the form was open",
        person_id=None,
    )


def test_a_merged_organisation(world) -> None:
    survivor = factories.make_organisation(name="Rossi Macchine SpA", country_code="IT")
    merge.merge_organisations(survivor, world["firm"], factories.make_user("coordinator"))
    _refused(world, "organisation_id", f"merged into Rossi Macchine SpA (#{survivor.id})")


def test_a_deleted_outreach_record_and_a_deleted_event(world) -> None:
    record = factories.make_outreach(logged_by=world["officer"], subject="Visit at Rossi")
    outreach.delete_outreach(record, world["officer"], record.version)
    _refused(
        world, "outreach_id", "the outreach “Visit at Rossi” was deleted", outreach_id=record.id
    )
    event = factories.make_event()
    event.deleted_at = utcnow()
    _refused(world, "event_id", "the event “METAV 2026” was deleted", event_id=event.id)


# --- Editing and reassigning -----------------------------------------------------------------


def _update(follow_up: FollowUp, data: dict[str, Any], actor, version=None) -> FollowUp:
    return followups.update_follow_up(
        follow_up,
        data,
        actor,
        version=follow_up.version if version is None else version,
        now=NOW,
    )


def test_an_edit_audits_only_what_changed_in_names_and_codes(world) -> None:
    follow_up = _create(world, subitem_ids=[_id("1.3b")])
    version = follow_up.version
    data = {**world["data"], "title": "Send the module", "subitem_ids": [_id("2.1")]}
    _update(follow_up, data, world["officer"])
    assert follow_up.version == version + 1
    entry = _audit(follow_up)[-1]
    assert entry.action == "update"
    assert entry.changes == {
        "title": ["Send Anna the training module for employees", "Send the module"],
        "subitems": [["1.3b"], ["2.1"]],
    }


def test_moving_the_due_time_reads_it_in_the_assignee_s_zone(world) -> None:
    follow_up = _create(world)
    _update(
        follow_up, {**world["data"], "due_date": "2026-06-22", "due_time": ""}, world["officer"]
    )
    assert (follow_up.due_date, follow_up.due_time) == (date(2026, 6, 22), None)
    assert follow_up.due_at == datetime(2026, 6, 21, 22, 0, tzinfo=UTC)
    changes = _audit(follow_up)[-1].changes
    assert changes == {"due_date": ["2026-06-19", "2026-06-22"], "due_time": ["09:30", None]}


def test_an_unchanged_save_writes_nothing(world) -> None:
    follow_up = _create(world, subitem_ids=[_id("1.3b")])
    version, before = follow_up.version, _counts()
    _update(follow_up, world["data"], world["officer"])  # sub-items absent: kept
    _update(follow_up, {**world["data"], "subitem_ids": [_id("1.3b")]}, world["officer"])
    _db.session.flush()
    assert follow_up.version == version and _counts() == before
    assert [s.code for s in follow_up.subitems] == ["1.3b"]


def test_a_reassignment_is_audited_from_one_to_the_other_and_keeps_the_due_moment(world) -> None:
    follow_up = _create(world)
    due_at = follow_up.due_at
    coordinator = _user("coordinator", "Europe/Brussels", "Carla Coordinator")
    lisbon = _user("officer", "Europe/Lisbon", "Luís Officer")
    data = {**world["data"], "assignee_id": str(lisbon.id), "notes": "Luís knows her."}
    version = follow_up.version
    _update(follow_up, data, coordinator)
    assert follow_up.assignee_id == lisbon.id
    assert follow_up.version == version + 1  # one write (the "assigned" notice keys on it)
    assert follow_up.assignee.display_name == "Luís Officer"
    # The moment it falls due stays: 09:30 in Berlin, 08:30 in Lisbon.
    assert (follow_up.due_at, follow_up.due_zone) == (due_at, "Europe/Berlin")
    handed, edited = _audit(follow_up)[-2:]
    assert (handed.action, handed.actor_id) == ("reassign", coordinator.id)
    assert handed.changes == {"assignee": ["Olga Officer", "Luís Officer"]}
    assert "from Olga Officer to Luís Officer" in handed.summary
    assert edited.action == "update"
    assert edited.changes == {"notes": ["She asked for the German version.", "Luís knows her."]}
    # A new due time after the reassignment is read in the new assignee's zone.
    _update(follow_up, {**data, "due_time": "10:00"}, coordinator)
    assert follow_up.due_zone == "Europe/Lisbon"
    assert follow_up.due_at == datetime(2026, 6, 19, 9, 0, tzinfo=UTC)
    assert _audit(follow_up)[-1].changes["due_zone"] == ["Europe/Berlin", "Europe/Lisbon"]


def test_a_reassignment_alone_writes_one_entry(world) -> None:
    follow_up = _create(world)
    other = _user("organiser", name="Otto Organiser")
    _update(follow_up, {**world["data"], "assignee_id": other.id}, world["officer"])
    assert [e.action for e in _audit(follow_up)] == ["create", "reassign"]


def test_an_empty_assignee_keeps_the_one_it_has(world) -> None:
    other = _user("organiser")
    follow_up = _create(world, assignee_id=other.id)
    _update(follow_up, {**world["data"], "title": "Another title"}, world["officer"])
    assert follow_up.assignee_id == other.id


def test_a_deactivated_assignee_must_be_replaced_on_an_open_follow_up(world) -> None:
    follow_up = _create(world)
    world["officer"].is_active = False
    coordinator = _user("coordinator")
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        _update(follow_up, {**world["data"], "title": "New"}, coordinator)
    assert caught.value.field == "assignee_id" and "deactivated" in caught.value.message
    assert _counts() == before
    # Once done it may keep them (history is not rewritten).
    followups.complete_follow_up(follow_up, coordinator, version=follow_up.version, now=NOW)
    _update(follow_up, {**world["data"], "title": "New"}, coordinator)
    assert follow_up.title == "New" and follow_up.assignee_id == world["officer"].id


def test_a_stale_edit_shows_the_differences_by_name(world) -> None:
    follow_up = _create(world)
    stale = follow_up.version
    coordinator = _user("coordinator")
    theirs = {**world["data"], "title": "Theirs", "due_date": "2026-06-20"}
    mine = {**world["data"], "title": "Mine", "person_id": None}
    _update(follow_up, theirs, coordinator)
    before, version = _counts(), follow_up.version
    with pytest.raises(ConflictError) as caught:
        _update(follow_up, mine, world["officer"], version=stale)
    assert caught.value.differences == {
        "title": ("Theirs", "Mine"),
        "due_date": (date(2026, 6, 20), date(2026, 6, 19)),
        "person_id": ("Anna Schmidt", None),
    }
    assert "changed by someone else" in caught.value.message
    _db.session.flush()
    assert _counts() == before and follow_up.version == version and follow_up.title == "Theirs"
    with pytest.raises(ConflictError):
        _update(follow_up, mine, world["officer"], version="not a number")


def test_a_bad_edit_writes_nothing(world) -> None:
    follow_up = _create(world)
    before, version = _counts(), follow_up.version
    with pytest.raises(ValidationError) as caught:
        _update(
            follow_up, {**world["data"], "title": "New", "due_date": "2026-02-30"}, world["officer"]
        )
    assert caught.value.field == "due_date"
    _db.session.flush()
    _db.session.expire_all()
    stored = _db.session.get(FollowUp, follow_up.id)
    assert _counts() == before and stored.version == version and stored.title != "New"


def test_what_it_is_about_may_stay_but_not_be_added(world) -> None:
    """A person, organisation, outreach record or event deleted since stays on an edit."""
    record = factories.make_outreach(logged_by=world["officer"])
    event = factories.make_event()
    follow_up = _create(world, outreach_id=record.id, event_id=event.id)
    register.delete_record(world["anna"], world["officer"])
    register.delete_record(world["firm"], world["officer"])
    record.deleted_at = event.deleted_at = utcnow()
    _db.session.flush()
    data = {**world["data"], "outreach_id": record.id, "event_id": event.id, "title": "Still"}
    _update(follow_up, data, world["officer"])
    assert follow_up.title == "Still" and follow_up.person_id == world["anna"].id
    for field, words in [
        ("person_id", "was deleted"),
        ("organisation_id", "was deleted"),
        ("outreach_id", "was deleted"),
        ("event_id", "was deleted"),
    ]:
        _refused(world, field, words, **{**data, "person_id": None, "organisation_id": None,
                                         "outreach_id": None, "event_id": None,
                                         field: data[field]})  # fmt: skip


def test_an_old_due_date_may_stay_on_an_edit(world) -> None:
    old = factories.make_follow_up(
        assignee=world["officer"], due_date=date(1999, 5, 1), zone="Europe/Berlin"
    )
    data = {**world["data"], "due_date": "1999-05-01", "due_time": "", "title": "Renamed"}
    _update(old, data, world["officer"])
    assert old.title == "Renamed" and old.due_date == date(1999, 5, 1)


# --- Completing, reopening, cancelling -------------------------------------------------------


def test_complete_reopen_and_cancel_are_audited(world) -> None:
    follow_up = _create(world)
    later = NOW + timedelta(hours=3)
    followups.complete_follow_up(follow_up, world["officer"], version=follow_up.version, now=later)
    assert follow_up.status == FollowUpStatus.DONE and follow_up.completed_at == later
    followups.reopen_follow_up(follow_up, world["officer"], version=follow_up.version, now=later)
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.completed_at is None
    followups.cancel_follow_up(
        follow_up, world["officer"], version=str(follow_up.version), now=later
    )
    assert follow_up.status == FollowUpStatus.CANCELLED and follow_up.cancelled_at == later
    followups.reopen_follow_up(follow_up, world["officer"], version=follow_up.version)
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.cancelled_at is None
    _db.session.flush()  # the CHECKs tying the times to the status hold at every step
    entries = _audit(follow_up)
    assert [e.action for e in entries] == ["create", "complete", "reopen", "cancel", "reopen"]
    assert entries[1].changes == {"status": ["open", "done"]}
    assert entries[4].changes == {"status": ["cancelled", "open"]}


@pytest.mark.parametrize(
    ("status", "step", "words"),
    [
        ("done", "complete", "is already done: it cannot be completed; reopen it first"),
        ("cancelled", "complete", "was cancelled: it cannot be completed; reopen it first"),
        ("done", "cancel", "is already done: it cannot be cancelled; reopen it first"),
        ("cancelled", "cancel", "was cancelled: it cannot be cancelled"),
        ("open", "reopen", "is still open: it cannot be reopened"),
    ],
)
def test_a_step_its_state_does_not_allow_is_refused(world, status, step, words) -> None:
    follow_up = factories.make_follow_up(assignee=world["officer"], status=status)
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        getattr(followups, f"{step}_follow_up")(
            follow_up, world["officer"], version=follow_up.version
        )
    assert caught.value.field == "status" and words in caught.value.message
    _db.session.flush()
    assert _counts() == before and follow_up.status == status


@pytest.mark.parametrize("step", ["complete", "cancel", "reopen"])
def test_a_stale_step_is_a_conflict(world, step) -> None:
    follow_up = factories.make_follow_up(
        assignee=world["officer"], status="done" if step == "reopen" else "open"
    )
    stale = follow_up.version
    follow_up.title = "Renamed by someone else"
    _db.session.flush()
    before = _counts()
    with pytest.raises(ConflictError, match="changed by someone else"):
        getattr(followups, f"{step}_follow_up")(follow_up, world["officer"], version=stale)
    assert _counts() == before


def _outreach_data(world: dict[str, Any], **override: Any) -> dict[str, Any]:
    return {
        "occurred_at": NOW - timedelta(minutes=5),
        "channel": "call",
        "direction": "outbound",
        "subject": "Called Anna about the module",
        "outcome": "interested",
        "notes": "",
        "person_ids": [world["anna"].id],
        "organisation_ids": [],
        "subitem_ids": [_id("1.2")],
        "material_ids": [],
        **override,
    }


def test_completing_logs_the_resulting_outreach_in_the_same_step(world) -> None:
    follow_up = _create(world)
    done, logged = followups.complete_follow_up(
        follow_up, world["officer"], version=follow_up.version, outreach=_outreach_data(world),
        now=NOW,
    )  # fmt: skip
    assert done is follow_up and logged is not None
    assert follow_up.status == FollowUpStatus.DONE
    assert follow_up.resulting_outreach_id == logged.id
    assert follow_up.resulting_outreach.subject == "Called Anna about the module"
    assert logged.logged_by_id == world["officer"].id
    entry = _audit(follow_up)[-1]
    assert entry.changes == {
        "status": ["open", "done"],
        "resulting outreach": [None, "Called Anna about the module"],
    }
    outreach_entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "outreach")
    ).one()
    assert outreach_entry.entity_id == logged.id


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"subject": ""}, "subject", "required"),
        ({"subitem_ids": []}, "subitem_ids", "choose at least one sub-item"),
        ({"channel": "carrier-pigeon"}, "channel", "is not one of"),
        ({"occurred_at": NOW + timedelta(days=2)}, "occurred_at", "more than a day ahead"),
        ({"person_ids": [], "organisation_ids": []}, "person_ids", "at least one person"),
    ],
)
def test_bad_outreach_refuses_the_whole_step(world, override, field, words) -> None:
    follow_up = _create(world)
    before, version = _counts(), follow_up.version
    with pytest.raises(ValidationError) as caught:
        followups.complete_follow_up(
            follow_up, world["officer"], version=version,
            outreach=_outreach_data(world, **override), now=NOW,
        )  # fmt: skip
    assert caught.value.field == field and words in caught.value.message
    _db.session.flush()
    assert _counts() == before
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.version == version
    assert follow_up.completed_at is None and follow_up.resulting_outreach_id is None


def test_the_outreach_prefill_comes_from_the_follow_up(world) -> None:
    follow_up = _create(world, subitem_ids=[_id("1.3b")])
    prefill = followups.outreach_prefill(follow_up, now=NOW)
    assert prefill["subject"] == follow_up.title
    assert prefill["person_ids"] == [world["anna"].id]
    assert prefill["organisation_ids"] == [world["firm"].id]
    assert prefill["subitem_ids"] == [_id("1.3b")]
    # With a channel and a direction it is a valid record.
    _, logged = followups.complete_follow_up(
        follow_up, world["officer"], version=follow_up.version,
        outreach={**prefill, "channel": "email", "direction": "outbound"}, now=NOW,
    )  # fmt: skip
    assert logged is not None and logged.organisations == [world["firm"]]


# --- Who may change what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "relation", "allowed"),
    [
        ("admin", None, True),
        ("coordinator", None, True),
        ("officer", "assignee", True),
        ("officer", "creator", True),
        ("officer", None, False),
        ("organiser", "assignee", True),
        ("organiser", None, False),
        ("viewer", "creator", False),
    ],
)
def test_may_change(app, db, role, relation, allowed) -> None:
    user = factories.make_user(role)
    someone = factories.make_user("officer")
    follow_up = factories.make_follow_up(
        assignee=user if relation == "assignee" else someone,
        created_by=user if relation == "creator" else someone,
    )
    assert followups.may_change(user, follow_up) is allowed


def test_the_service_guards_behind_the_views(world) -> None:
    """A caller that skipped the views' checks is stopped too (never a silent write)."""
    viewer, other = _user("viewer"), _user("officer")
    before = _counts()
    with pytest.raises(PermissionError):
        _create(world, actor=viewer)
    assert _counts() == before
    follow_up = _create(world)
    middle = _counts()
    version = follow_up.version
    with pytest.raises(PermissionError):
        _update(follow_up, {**world["data"], "title": "Mine now"}, other)
    for step in ("complete", "cancel"):
        with pytest.raises(PermissionError):
            getattr(followups, f"{step}_follow_up")(follow_up, other, version=version)
    assert _counts() == middle and follow_up.status == FollowUpStatus.OPEN
    # A coordinator changes anyone's.
    coordinator = _user("coordinator")
    _update(follow_up, {**world["data"], "title": "Changed by the coordinator"}, coordinator)
    followups.complete_follow_up(follow_up, coordinator, version=follow_up.version, now=NOW)
    assert follow_up.status == FollowUpStatus.DONE
    with pytest.raises(PermissionError):
        followups.reopen_follow_up(follow_up, other, version=follow_up.version)


def test_the_timeline_still_lists_follow_ups(world) -> None:
    from crm.services.timeline import record_timeline

    follow_up = _create(world)
    entries = [e for e in record_timeline(world["anna"], False) if e.kind == "follow-up"]
    assert [e.title for e in entries] == [follow_up.title]
    assert "assigned to Olga Officer" in entries[0].detail


def test_a_follow_up_can_be_planned_on_the_29th_of_february(world) -> None:
    leap_day = datetime(2028, 2, 29, 12, tzinfo=UTC)
    data = {**world["data"], "due_date": "2028-03-03"}
    follow_up = followups.create_follow_up(data, world["officer"], now=leap_day)
    assert follow_up.due_date.isoformat() == "2028-03-03"
