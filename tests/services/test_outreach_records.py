"""The rules of every outreach write: each refusal names its field and writes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    CommitmentItem,
    Outreach,
    OutreachPerson,
    Position,
    PositionRole,
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
    utcnow,
)
from crm.services import merge, outreach, privacy, register
from crm.services.errors import ConflictError, ValidationError
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
BRUSSELS = ZoneInfo("Europe/Brussels")
KEY = b"erasure-key-for-tests-0123456789"


def _counts() -> dict[str, int]:
    """Rows of every table a write of outreach touches."""
    tables = {
        "outreach_records": Outreach.__table__,
        "outreach_people": outreach_people,
        "outreach_organisations": outreach_organisations,
        "outreach_subitems": outreach_subitems,
        "outreach_materials": outreach_materials,
        "audit_log": AuditEntry.__table__,
    }
    return {
        name: _db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for name, table in tables.items()
    }


def _id(code: str) -> int:
    return factories.subitem(code).id


@pytest.fixture()
def world(app, db) -> dict[str, Any]:
    """An officer, a firm with a manager, and the data of a valid record about them."""
    officer = factories.make_user("officer", full_name="Olga Officer")
    firm = factories.make_organisation(name="Rossi Macchine S.p.A.", country_code="IT")
    anna = factories.make_person("Anna", "Schmidt", organisation=firm)
    data = {
        "occurred_at": NOW - timedelta(hours=2),
        "channel": "meeting",
        "direction": "outbound",
        "subject": "Presented the guidelines to the management board",
        "outcome": "interested",
        "notes": "They want the training module for employees.",
        "event_id": None,
        "person_ids": [anna.id],
        "organisation_ids": [],
        "subitem_ids": [_id("1.3b")],
        "material_ids": [],
    }
    return {"officer": officer, "firm": firm, "anna": anna, "data": data}


def _log(world: dict[str, Any], **override: Any) -> Outreach:
    return outreach.log_outreach({**world["data"], **override}, world["officer"], now=NOW)


def _refused(world: dict[str, Any], field: str, words: str, **override: Any) -> None:
    """Logging with ``override`` is refused on ``field`` with ``words``; nothing is written."""
    before = _counts()
    with pytest.raises(ValidationError) as caught:
        _log(world, **override)
    assert caught.value.field == field, caught.value
    assert words in caught.value.message, caught.value.message
    _db.session.flush()
    assert _counts() == before


# --- Logging ---------------------------------------------------------------------------------


def test_logging_stores_the_record_its_links_and_an_audit_entry(world) -> None:
    material = factories.make_material()
    event = factories.make_event()
    record = _log(
        world,
        organisation_ids=[world["firm"].id],
        subitem_ids=[_id("1.3b"), _id("2.1"), _id("1.3b")],
        material_ids=[material.id],
        event_id=event.id,
    )
    _db.session.expire_all()
    stored = _db.session.get(Outreach, record.id)
    assert stored.occurred_at == NOW - timedelta(hours=2)
    assert stored.logged_by_id == world["officer"].id
    assert [p.full_name for p in stored.people] == ["Anna Schmidt"]
    assert [link.organisation_id for link in stored.person_links] == [world["firm"].id]
    assert sorted(s.code for s in stored.subitems) == ["1.3b", "2.1"]  # repeats once
    assert [m.title for m in stored.materials] == [material.title]
    assert stored.event_id == event.id
    entry = _db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.entity_type == "outreach")
    ).one()
    assert (entry.action, entry.entity_id, entry.actor_id) == (
        "create",
        record.id,
        world["officer"].id,
    )
    assert entry.changes["people"] == [None, ["Anna Schmidt"]]
    assert entry.changes["subitems"] == [None, ["1.3b", "2.1"]]
    assert entry.changes["event"] == [None, "METAV 2026"]
    assert entry.changes["channel"] == [None, "meeting"]
    assert "notes" in entry.changes and "organisations" in entry.changes


def test_an_organisation_alone_is_enough(world) -> None:
    record = _log(world, person_ids=[], organisation_ids=[world["firm"].id], outcome="")
    assert record.people == [] and record.organisations == [world["firm"]]
    assert record.outcome is None


BAD_INPUT = [
    # (override, field, words in the message)
    ({"subitem_ids": []}, "subitem_ids", "choose at least one sub-item"),
    ({"subitem_ids": ["1.3b"]}, "subitem_ids", "not a whole number"),
    ({"subitem_ids": [2**31]}, "subitem_ids", "must be between"),
    ({"person_ids": [], "organisation_ids": []}, "person_ids", "at least one person or"),
    ({"person_ids": "12"}, "person_ids", "expected a list of ids"),
    ({"person_ids": [2_000_000_000]}, "person_ids", "there is no person #2000000000"),
    ({"organisation_ids": [2_000_000_000]}, "organisation_ids", "no organisation #2000000000"),
    ({"material_ids": [2_000_000_000]}, "material_ids", "there is no material #2000000000"),
    ({"event_id": 2_000_000_000}, "event_id", "there is no event #2000000000"),
    ({"event_id": "METAV"}, "event_id", "not a whole number"),
    ({"channel": "carrier-pigeon"}, "channel", "'carrier-pigeon' is not one of email"),
    ({"channel": ""}, "channel", "required"),
    ({"direction": "sideways"}, "direction", "is not one of outbound, inbound"),
    ({"direction": None}, "direction", "required"),
    ({"outcome": "maybe"}, "outcome", "is not one of"),
    ({"subject": "   "}, "subject", "required"),
    ({"subject": "x" * 301}, "subject", "at most 300 characters"),
    ({"subject": "Call\x00"}, "subject", "control character"),
    ({"notes": "n" * 10_001}, "notes", "at most 10000 characters"),
    ({"occurred_at": None}, "occurred_at", "give the date and time"),
    ({"occurred_at": "2026-02-30"}, "occurred_at", "expected a date and time"),
    ({"occurred_at": date(2026, 6, 1)}, "occurred_at", "expected a date and time"),
    ({"occurred_at": datetime(2026, 6, 1, 10, 0)}, "occurred_at", "no time zone"),
    ({"occurred_at": NOW.replace(year=2027)}, "occurred_at", "more than a day ahead"),
    (
        {"occurred_at": NOW + timedelta(days=1, minutes=1)},
        "occurred_at",
        "16 June 2026 is more than a day ahead",
    ),
    ({"occurred_at": datetime(1999, 12, 31, 12, tzinfo=UTC)}, "occurred_at", "1999 is before"),
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


def test_every_leaf_of_the_framework_is_taken(world) -> None:
    items = _db.session.execute(sa.select(CommitmentItem.id, CommitmentItem.parent_id)).all()
    parents = {parent for _id_, parent in items}
    leaves = [item_id for item_id, _parent in items if item_id not in parents]
    assert len(leaves) > 5
    record = _log(world, subitem_ids=list(leaves))
    assert len(record.subitems) == len(leaves)


def test_the_limits(world) -> None:
    firm = world["firm"]
    people = [factories.make_person("Kai", f"Vogel{n}", organisation=firm) for n in range(101)]
    ids = [p.id for p in people]
    _refused(world, "person_ids", f"at most {outreach.MAX_PEOPLE} people", person_ids=ids)
    record = _log(world, person_ids=ids[: outreach.MAX_PEOPLE])
    assert len(record.person_links) == outreach.MAX_PEOPLE
    organisations = [factories.make_organisation() for _ in range(outreach.MAX_ORGANISATIONS + 1)]
    _refused(
        world,
        "organisation_ids",
        f"at most {outreach.MAX_ORGANISATIONS} organisations",
        organisation_ids=[o.id for o in organisations],
    )
    materials = [factories.make_material(f"Leaflet {n}") for n in range(outreach.MAX_MATERIALS + 1)]
    _refused(
        world,
        "material_ids",
        f"at most {outreach.MAX_MATERIALS} materials",
        material_ids=[m.id for m in materials],
    )
    assert len(_log(world, material_ids=[m.id for m in materials[:-1]]).materials) == 20


def test_the_date_may_be_up_to_a_day_ahead_and_back_to_2000(world) -> None:
    assert _log(world, occurred_at=NOW + outreach.FUTURE_TOLERANCE).occurred_at > NOW
    early = datetime(2000, 1, 1, 0, 30, tzinfo=BRUSSELS)  # 31 December 1999 in UTC
    assert _log(world, occurred_at=early).occurred_at == early


def test_a_time_in_another_zone_is_stored_in_utc(world) -> None:
    moment = datetime(2026, 6, 15, 9, 30, tzinfo=ZoneInfo("Europe/Warsaw"))
    record = _log(world, occurred_at=moment)
    _db.session.expire_all()
    assert _db.session.get(Outreach, record.id).occurred_at == datetime(
        2026, 6, 15, 7, 30, tzinfo=UTC
    )


# --- People and organisations that are gone -------------------------------------------------


def test_a_person_deleted_while_the_form_was_open(world) -> None:
    register.delete_record(world["anna"], world["officer"])
    _refused(world, "person_ids", "Anna Schmidt was deleted while the form was open")


def test_an_organisation_deleted_while_the_form_was_open(world) -> None:
    register.delete_record(world["firm"], world["officer"])
    _refused(
        world,
        "organisation_ids",
        "Rossi Macchine S.p.A. was deleted while the form was open",
        organisation_ids=[world["firm"].id],
    )


def test_an_erased_person_cannot_be_added(world) -> None:
    privacy.erase_person(world["anna"], factories.make_user("admin"), KEY)
    _refused(world, "person_ids", f"person #{world['anna'].id} is an erased person")


def test_a_merged_person_names_the_record_they_went_into(world) -> None:
    survivor = factories.make_person("Anna", "Schmidt-Berger", organisation=world["firm"])
    merge.merge_people(survivor, world["anna"], factories.make_user("coordinator"))
    _refused(
        world,
        "person_ids",
        f"Anna Schmidt was merged into Anna Schmidt-Berger (#{survivor.id})",
    )


def test_a_merged_organisation_names_the_record_it_went_into(world) -> None:
    survivor = factories.make_organisation(name="Rossi Macchine SpA", country_code="IT")
    merge.merge_organisations(survivor, world["firm"], factories.make_user("coordinator"))
    _refused(
        world,
        "organisation_ids",
        f"merged into Rossi Macchine SpA (#{survivor.id})",
        organisation_ids=[world["firm"].id],
    )


def test_a_deleted_event_and_a_retired_material_are_refused(world) -> None:
    event = factories.make_event()
    event.deleted_at = utcnow()
    _refused(world, "event_id", "the event “METAV 2026” was deleted", event_id=event.id)
    retired = factories.make_material("Old leaflet", retired=True)
    _refused(world, "material_ids", "“Old leaflet” was retired", material_ids=[retired.id])


# --- The organisation each person counted for -----------------------------------------------


def _position(person, organisation, starts_on=None, ends_on=None) -> Position:
    position = Position(
        person_id=person.id,
        organisation_id=organisation.id,
        role=PositionRole.EMPLOYEE,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    _db.session.add(position)
    _db.session.flush()
    return position


def _moved_on_1_april(world) -> tuple[Any, Any, Any]:
    """Kai worked at the old firm until 31 March 2026 and at the new one from 1 April."""
    old = factories.make_organisation(name="Alte Fräserei GmbH")
    new = factories.make_organisation(name="Neue Drehtechnik GmbH")
    kai = factories.make_person("Kai", "Vogel")
    _position(kai, old, date(2019, 1, 1), date(2026, 3, 31))
    _position(kai, new, date(2026, 4, 1))
    return kai, old, new


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 3, 31, 12, 0, tzinfo=UTC), "old"),  # the last day of the old job
        (datetime(2026, 4, 1, 12, 0, tzinfo=UTC), "new"),  # the first day of the new one
        # 00:30 on 1 April in Brussels is still 31 March in UTC: the local day decides.
        (datetime(2026, 4, 1, 0, 30, tzinfo=BRUSSELS), "new"),
        (datetime(2026, 3, 31, 23, 30, tzinfo=BRUSSELS), "old"),
        (datetime(2018, 6, 1, 12, 0, tzinfo=UTC), None),  # before either job
    ],
)
def test_a_person_counts_for_the_organisation_of_the_day(world, moment, expected) -> None:
    kai, old, new = _moved_on_1_april(world)
    record = _log(world, person_ids=[kai.id], occurred_at=moment)
    wanted = {"old": old.id, "new": new.id, None: None}[expected]
    assert [link.organisation_id for link in record.person_links] == [wanted]


def test_the_record_s_own_organisation_is_preferred(world) -> None:
    anna, firm = world["anna"], world["firm"]
    association = factories.make_organisation(name="UCIMU", kind="national-association")
    _position(anna, association, date(2024, 1, 1))  # started later than her job at the firm
    plain = _log(world)
    assert plain.person_links[0].organisation_id == association.id  # the latest start
    preferred = _log(world, organisation_ids=[firm.id])
    assert preferred.person_links[0].organisation_id == firm.id


def test_a_later_change_of_job_does_not_rewrite_history(world) -> None:
    anna, firm = world["anna"], world["firm"]
    record = _log(world)
    position = anna.positions[0]
    register.end_position(position, date(2026, 6, 1), world["officer"])
    register.add_position(
        anna,
        {"organisation_id": factories.make_organisation().id, "role": "manager"},
        world["officer"],
    )
    # An edit of other fields keeps the organisation stored with the person.
    data = {**world["data"], "subject": "Presented the guidelines again"}
    outreach.update_outreach(record, data, world["officer"], record.version, now=NOW)
    _db.session.expire_all()
    assert _db.session.get(Outreach, record.id).person_links[0].organisation_id == firm.id


def test_a_new_day_or_new_people_are_counted_afresh(world) -> None:
    kai, old, new = _moved_on_1_april(world)
    anna, firm = world["anna"], world["firm"]
    record = _log(world, person_ids=[kai.id], occurred_at=datetime(2026, 3, 30, 10, tzinfo=UTC))
    assert record.person_links[0].organisation_id == old.id
    # Another time on the same day: nothing is counted again.
    data = {
        **world["data"],
        "person_ids": [kai.id, anna.id],
        "occurred_at": datetime(2026, 3, 30, 16, tzinfo=UTC),
    }
    outreach.update_outreach(record, data, world["officer"], record.version, now=NOW)
    counted = {link.person_id: link.organisation_id for link in record.person_links}
    assert counted == {kai.id: old.id, anna.id: firm.id}
    # Another day: everyone is counted for that day.
    data["occurred_at"] = datetime(2026, 4, 2, 10, tzinfo=UTC)
    outreach.update_outreach(record, data, world["officer"], record.version, now=NOW)
    _db.session.expire_all()
    stored = _db.session.get(Outreach, record.id)
    counted = {link.person_id: link.organisation_id for link in stored.person_links}
    assert counted == {kai.id: new.id, anna.id: firm.id}


def test_a_deleted_organisation_is_not_counted(world) -> None:
    anna, firm = world["anna"], world["firm"]
    on = NOW.date()
    assert outreach.counted_organisation(anna.id, on) == firm.id
    firm.deleted_at = utcnow()
    _db.session.flush()
    assert outreach.counted_organisation(anna.id, on) is None
    assert outreach.counted_organisations([], on) == {}


# --- Editing ---------------------------------------------------------------------------------


def test_an_edit_audits_only_what_changed_in_names_and_codes(world) -> None:
    record = _log(world)
    version = record.version
    colleague = factories.make_person("Luca", "Bianchi", organisation=world["firm"])
    data = {
        **world["data"],
        "subject": "Presented the guidelines to the board",
        "person_ids": [world["anna"].id, colleague.id],
        "subitem_ids": [_id("2.1")],
    }
    outreach.update_outreach(record, data, world["officer"], version, now=NOW)
    assert record.version == version + 1
    entry = _db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.changes == {
        "subject": [
            "Presented the guidelines to the management board",
            "Presented the guidelines to the board",
        ],
        "people": [["Anna Schmidt"], ["Anna Schmidt", "Luca Bianchi"]],
        "subitems": [["1.3b"], ["2.1"]],
    }


def test_an_edit_of_the_people_alone_moves_the_version_on(world) -> None:
    record = _log(world)
    version = record.version
    colleague = factories.make_person("Luca", "Bianchi", organisation=world["firm"])
    data = {**world["data"], "person_ids": [colleague.id]}
    outreach.update_outreach(record, data, world["officer"], version, now=NOW)
    assert record.version == version + 1
    assert [p.full_name for p in record.people] == ["Luca Bianchi"]
    before = _counts()
    with pytest.raises(ConflictError):
        outreach.update_outreach(record, world["data"], world["officer"], version, now=NOW)
    assert _counts() == before


def test_an_unchanged_save_writes_nothing(world) -> None:
    record = _log(world)
    version, before = record.version, _counts()
    outreach.update_outreach(record, world["data"], world["officer"], version, now=NOW)
    _db.session.flush()
    assert record.version == version and _counts() == before


def test_a_stale_edit_shows_the_differences_by_name(world) -> None:
    material = factories.make_material("Guidelines")
    record = _log(world, material_ids=[material.id])
    stale = record.version
    colleague = factories.make_person("Luca", "Bianchi", organisation=world["firm"])
    mine = {**world["data"], "subject": "Mine", "person_ids": [colleague.id]}
    theirs = {**world["data"], "subject": "Theirs", "material_ids": [material.id]}
    outreach.update_outreach(record, theirs, world["officer"], stale, now=NOW)
    before, version = _counts(), record.version
    with pytest.raises(ConflictError) as caught:
        outreach.update_outreach(record, mine, world["officer"], stale, now=NOW)
    assert caught.value.differences == {
        "subject": ("Theirs", "Mine"),
        "person_ids": (["Anna Schmidt"], ["Luca Bianchi"]),
        "material_ids": (["Guidelines"], []),
    }
    assert "changed by someone else" in caught.value.message
    _db.session.flush()
    assert _counts() == before and record.version == version and record.subject == "Theirs"


def test_a_bad_edit_writes_nothing(world) -> None:
    record = _log(world)
    before, version = _counts(), record.version
    with pytest.raises(ValidationError) as caught:
        data = {**world["data"], "subject": "New", "subitem_ids": [_id("1.3")]}
        outreach.update_outreach(record, data, world["officer"], version, now=NOW)
    assert caught.value.field == "subitem_ids"
    _db.session.flush()
    _db.session.expire_all()
    stored = _db.session.get(Outreach, record.id)
    assert _counts() == before and stored.version == version and stored.subject != "New"


def test_what_is_on_the_record_may_stay_but_not_be_added(world) -> None:
    """A retired material, a deleted event, a deleted or erased person stay on an edit."""
    material, event = factories.make_material("Leaflet"), factories.make_event()
    luca = factories.make_person("Luca", "Bianchi", organisation=world["firm"])
    record = _log(world, person_ids=[world["anna"].id, luca.id], material_ids=[material.id])
    record.event_id = event.id
    _db.session.flush()
    material.retired_at = event.deleted_at = utcnow()
    register.delete_record(luca, world["officer"])
    privacy.erase_person(world["anna"], factories.make_user("admin"), KEY)
    _db.session.refresh(record)
    data = {
        **world["data"],
        "subject": "Sent the leaflet again",
        "person_ids": [world["anna"].id, luca.id],
        "material_ids": [material.id],
        "event_id": event.id,
    }
    outreach.update_outreach(record, data, world["officer"], record.version, now=NOW)
    assert record.subject == "Sent the leaflet again"
    assert {link.person_id for link in record.person_links} == {world["anna"].id, luca.id}
    # None of them goes onto another record.
    someone = [factories.make_person("Marta", "Nowak", organisation=world["firm"]).id]
    for field, value, words in [
        ("person_ids", [world["anna"].id], "an erased person"),
        ("person_ids", [luca.id], "Luca Bianchi was deleted"),
        ("material_ids", [material.id], "was retired"),
        ("event_id", event.id, "was deleted"),
    ]:
        _refused(world, field, words, **{"person_ids": someone, field: value})


def test_an_erased_person_on_a_record_is_shown_without_a_name(world) -> None:
    record = _log(world)
    privacy.erase_person(world["anna"], factories.make_user("admin"), KEY)
    _db.session.refresh(record)
    assert outreach.stored_values(record)["person_ids"] == ["an erased person"]
    # The link stays (counts survive), and the record can still lose them.
    assert [link.person_id for link in record.person_links] == [world["anna"].id]
    data = {**world["data"], "person_ids": [], "organisation_ids": [world["firm"].id]}
    outreach.update_outreach(record, data, world["officer"], record.version, now=NOW)
    assert record.person_links == []


def test_a_deleted_record_cannot_be_edited(world) -> None:
    record = _log(world)
    outreach.delete_outreach(record, world["officer"], record.version)
    before = _counts()
    with pytest.raises(ValidationError, match="was deleted"):
        outreach.update_outreach(record, world["data"], world["officer"], record.version)
    assert _counts() == before


# --- Deleting and restoring ------------------------------------------------------------------


def test_delete_is_soft_version_checked_and_audited(world) -> None:
    record = _log(world)
    stale = record.version
    outreach.update_outreach(
        record, {**world["data"], "subject": "Changed"}, world["officer"], stale, now=NOW
    )
    before = _counts()
    with pytest.raises(ConflictError):
        outreach.delete_outreach(record, world["officer"], stale)
    assert record.deleted_at is None and _counts() == before
    outreach.delete_outreach(record, world["officer"], str(record.version))
    assert record.deleted_at is not None
    assert _db.session.get(Outreach, record.id) is record  # still there
    with pytest.raises(ValidationError, match="already deleted"):
        outreach.delete_outreach(record, world["officer"], record.version)
    actions = _db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.entity_id == record.id)
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["create", "update", "delete"]


def test_restore_brings_a_deleted_record_back(world) -> None:
    admin = factories.make_user("admin")
    record = _log(world)
    with pytest.raises(ValidationError, match="not deleted"):
        outreach.restore_outreach(record, admin)
    outreach.delete_outreach(record, world["officer"], record.version)
    with pytest.raises(PermissionError):
        outreach.restore_outreach(record, world["officer"])
    outreach.restore_outreach(record, admin)
    assert record.deleted_at is None
    entry = _db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.actor_id) == ("restore", admin.id)


# --- Who may change what ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "own", "allowed"),
    [
        ("admin", False, True),
        ("coordinator", False, True),
        ("officer", True, True),
        ("officer", False, False),
        ("organiser", True, True),
        ("organiser", False, False),
        ("viewer", True, False),
    ],
)
def test_may_change(app, db, role, own, allowed) -> None:
    user = factories.make_user(role)
    record = factories.make_outreach(logged_by=user if own else factories.make_user("officer"))
    assert outreach.may_change(user, record) is allowed


def test_the_service_guards_behind_the_views(world) -> None:
    """A caller that skipped the views' checks is stopped too (never a silent write)."""
    viewer, other = factories.make_user("viewer"), factories.make_user("officer")
    before = _counts()
    with pytest.raises(PermissionError):
        outreach.log_outreach(world["data"], viewer, now=NOW)
    record = _log(world)
    middle = _counts()
    with pytest.raises(PermissionError):
        outreach.update_outreach(record, world["data"], other, record.version, now=NOW)
    with pytest.raises(PermissionError):
        outreach.delete_outreach(record, other, record.version)
    assert _counts() == middle != before
    assert outreach.may_change(factories.make_user("coordinator"), record)


def test_people_are_written_only_through_their_links(world) -> None:
    record = _log(world)
    with pytest.raises(TypeError, match="read-only"):
        record.people.append(world["anna"])
    with pytest.raises(TypeError, match="read-only"):
        Outreach(people=[world["anna"]])
    assert isinstance(record.person_links[0], OutreachPerson)
    assert record.person_links[0].organisation is world["firm"]
