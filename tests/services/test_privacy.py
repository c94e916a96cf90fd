"""Data protection: consent, restriction, lawful basis, subject access and erasure."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    Base,
    ConsentPurpose,
    ConsentRecord,
    ConsentStatus,
    ErasedEmailHash,
    EventParticipant,
    FollowUp,
    LawfulBasis,
    Organisation,
    Outreach,
    ParticipantRole,
    Person,
    Position,
    Reminder,
    ReminderKind,
    SearchTerm,
    Tag,
    outreach_people,
)
from crm.models.followups import due_fields, due_key
from crm.services import audit
from crm.services.errors import ValidationError
from crm.services.exports import people_csv
from crm.services.framework import framework_tree
from crm.services.merge import merge_people
from crm.services.privacy import (
    erase_person,
    erasure_hash,
    record_consent,
    set_lawful_basis,
    set_restriction,
    subject_access_csv,
    subject_access_export,
)
from crm.services.privacy.scrub import Scrubber
from tests import factories

KEY = b"erasure-key-for-tests-0123456789"
YESTERDAY = datetime.now(UTC) - timedelta(days=1)


def _count(model: type) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _written() -> tuple[int, int]:
    return _count(AuditEntry), _count(ConsentRecord)


def _hashes(person: Person) -> set[str]:
    return set(
        _db.session.scalars(
            sa.select(ErasedEmailHash.email_hash).where(ErasedEmailHash.person_id == person.id)
        )
    )


def _audit(person: Person) -> list[AuditEntry]:
    return list(
        _db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "person", AuditEntry.entity_id == person.id)
            .order_by(AuditEntry.id)
        )
    )


# --- Consent ---------------------------------------------------------------------------------


def test_record_consent_appends_and_audits(app, db) -> None:
    actor = factories.make_user()
    person = factories.make_person()
    record = record_consent(
        person, "newsletter", ConsentStatus.GRANTED, "  Web form 2026-01  ", YESTERDAY, actor
    )
    assert record.id is not None
    assert record.purpose is ConsentPurpose.NEWSLETTER
    assert record.source == "Web form 2026-01"
    assert record.recorded_by_id == actor.id
    withdrawn = record_consent(
        person, ConsentPurpose.NEWSLETTER, "withdrawn", "E-mail of 2026-02-01", YESTERDAY, actor
    )
    assert withdrawn.id != record.id  # a change is a new record
    entries = _audit(person)
    assert [e.action for e in entries] == ["consent", "consent"]
    assert entries[0].actor_id == actor.id
    assert entries[0].changes["consent"][1]["purpose"] == "newsletter"
    assert entries[1].summary == "consent withdrawn: newsletter"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": ""}, "source"),
        ({"source": "   "}, "source"),
        ({"source": None}, "source"),
        ({"source": "x" * 301}, "source"),
        ({"purpose": "marketing"}, "purpose"),
        ({"purpose": ""}, "purpose"),
        ({"status": "maybe"}, "status"),
        ({"given_at": datetime(2026, 1, 1, 12, 0)}, "given_at"),  # naive
        ({"given_at": datetime.now(UTC) + timedelta(hours=1)}, "given_at"),
        ({"given_at": date(2026, 1, 1)}, "given_at"),
        ({"given_at": "2026-01-01T12:00:00+00:00"}, "given_at"),
    ],
)
def test_bad_consent_is_refused_and_nothing_written(app, db, changes, field) -> None:
    actor = factories.make_user()
    person = factories.make_person()
    before = _written()
    arguments = {
        "purpose": "newsletter",
        "status": "granted",
        "source": "Web form",
        "given_at": YESTERDAY,
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        record_consent(person, actor=actor, **arguments)
    assert caught.value.field == field
    assert _written() == before


def test_a_source_of_300_characters_is_accepted(app, db) -> None:
    record = record_consent(
        factories.make_person(),
        "newsletter",
        "granted",
        "x" * 300,
        YESTERDAY,
        factories.make_user(),
    )
    assert len(record.source) == 300


def test_consent_records_stay_append_only(app, db) -> None:
    record = record_consent(
        factories.make_person(), "newsletter", "granted", "Form", YESTERDAY, factories.make_user()
    )
    record.source = "changed"
    with pytest.raises(ValueError, match="append-only"):
        _db.session.flush()


# --- Restriction and lawful basis ------------------------------------------------------------


def test_restriction_is_set_lifted_and_audited(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    person = factories.make_person()
    assert set_restriction(person, True, "The person contests the accuracy", actor) is True
    assert person.is_restricted
    assert (
        b"".join(people_csv(sa.select(Person).where(Person.id == person.id))).count(b"\r\n") == 1
    ), "only the header: a restricted person is not exported"
    assert set_restriction(person, True, "again", actor) is False  # no change, no entry
    assert set_restriction(person, False, "Accuracy verified", actor) is True
    entries = _audit(person)
    assert [e.action for e in entries] == ["restrict", "lift-restriction"]
    assert entries[0].changes["is_restricted"] == [False, True]
    assert entries[0].summary == "restricted: The person contests the accuracy"
    assert entries[1].changes["is_restricted"] == [True, False]


@pytest.mark.parametrize("reason", ["", "  ", None, "x" * 301])
def test_a_restriction_needs_a_reason(app, db, reason) -> None:
    person = factories.make_person()
    before = _written()
    with pytest.raises(ValidationError) as caught:
        set_restriction(person, True, reason, factories.make_user())
    assert caught.value.field == "reason"
    assert not person.is_restricted
    assert _written() == before


def test_lawful_basis_is_changed_with_old_and_new(app, db) -> None:
    actor = factories.make_user()
    person = factories.make_person()
    old_source = person.lawful_basis_source
    changes = set_lawful_basis(person, "consent", "Signed form, EMO 2025", actor)
    assert person.lawful_basis is LawfulBasis.CONSENT
    assert changes == {
        "lawful_basis": ["legitimate-interest", "consent"],
        "lawful_basis_source": [old_source, "Signed form, EMO 2025"],
    }
    [entry] = _audit(person)
    assert entry.action == "lawful-basis" and entry.changes == changes
    assert set_lawful_basis(person, LawfulBasis.CONSENT, "Signed form, EMO 2025", actor) == {}
    assert len(_audit(person)) == 1


@pytest.mark.parametrize(
    ("basis", "source", "field"),
    [
        ("vital-interest", "Form", "lawful_basis"),
        ("", "Form", "lawful_basis"),
        (None, "Form", "lawful_basis"),
        ("consent", "", "lawful_basis_source"),
        ("consent", "   ", "lawful_basis_source"),
        ("consent", "x" * 301, "lawful_basis_source"),
    ],
)
def test_bad_lawful_basis_is_refused(app, db, basis, source, field) -> None:
    person = factories.make_person()
    before = _written(), person.lawful_basis, person.lawful_basis_source
    with pytest.raises(ValidationError) as caught:
        set_lawful_basis(person, basis, source, factories.make_user())
    assert caught.value.field == field
    assert (_written(), person.lawful_basis, person.lawful_basis_source) == before


def test_nothing_more_is_recorded_about_an_erased_person(app, db) -> None:
    actor = factories.make_user()
    person = factories.make_person()
    erase_person(person, actor, KEY)
    before = _written()
    with pytest.raises(ValidationError):
        record_consent(person, "newsletter", "granted", "Form", YESTERDAY, actor)
    with pytest.raises(ValidationError):
        set_restriction(person, True, "request", actor)
    with pytest.raises(ValidationError):
        set_lawful_basis(person, "consent", "Form", actor)
    assert _written() == before


# --- A person with a history -----------------------------------------------------------------

FIRST, LAST = "Hanna", "Łukasiewicz"
FULL = f"{FIRST} {LAST}"
EMAIL = "Hanna.Lukasiewicz@Example.ORG"
PHONE = "+48 22 123 45 67"


def _history() -> dict[str, object]:
    """A person whose name, e-mail and phone have spread into every corner of the database."""
    officer = factories.make_user(full_name="Olga Officer")
    organisation = factories.make_organisation(name="Fabryka Obrabiarek S.A.")
    organisation.notes = f"Contact: {LAST}, {FIRST} ({PHONE})"
    organisation.email = EMAIL.lower()  # the firm gives her address as its own
    person = factories.make_person(
        first_name=FIRST, last_name=LAST, email=EMAIL, organisation=organisation
    )
    person.phone = PHONE
    person.notes = f"Prefers calls on {PHONE}; ask for {FULL}"
    person.lawful_basis_source = f"Business card of {FULL}"
    person.tags.append(Tag(name="speaker"))
    other = factories.make_person(first_name="Piotr", last_name="Nowak")
    audit.record(
        "create",
        "person",
        person.id,
        officer,
        {
            "first_name": [None, FIRST],
            "last_name": [None, LAST],
            "email": [None, EMAIL],
            "phone": [None, "+48 22 000 00 00"],
            "notes": [None, "Met at EMO"],
            "country_code": [None, "PL"],
        },
        summary=f"created {FULL}",
    )
    audit.record("update", "person", person.id, officer, {"phone": ["+48 22 000 00 00", PHONE]})
    audit.record(
        "update",
        "organisation",
        organisation.id,
        officer,
        {"notes": ["", organisation.notes], "email": [None, EMAIL.lower()]},
        summary=f"contact {FULL} added",
    )
    consent = record_consent(
        person,
        "event-invitations",
        "granted",
        f"Web form sent by {EMAIL.lower()}",
        YESTERDAY,
        officer,
    )
    set_lawful_basis(person, "consent", f"Consent form signed by {FULL}", officer)
    outreach = factories.make_outreach(
        ("1.3b", "2.1"), logged_by=officer, people=[person, other], organisations=[organisation]
    )
    outreach.subject = f"Call with {FULL}"
    outreach.notes = f"{FULL.upper()} asked for the guidelines; reply to {EMAIL.upper()}"
    unrelated = factories.make_outreach(("1.2",), logged_by=officer)
    unrelated.notes = f"{FULL} introduced us to Piotr"
    event = factories.make_event(("1.3c",))
    event.description = f"Keynote by {FULL}"
    _db.session.add(EventParticipant(event=event, person=person, role=ParticipantRole.SPEAKER))
    follow_up = FollowUp(
        title=f"Send the guidelines to {FULL}",
        notes=f"Call {PHONE} first",
        **due_fields(datetime.now(UTC) + timedelta(days=7)),
        assignee_id=officer.id,
        person_id=person.id,
        outreach_id=outreach.id,
    )
    _db.session.add(follow_up)
    _db.session.flush()
    # Its due reminder is planned by the outbox's hook; a failed attempt left an error.
    reminder = _db.session.scalar(
        sa.select(Reminder).where(
            Reminder.key == due_key(follow_up.id, officer.id, follow_up.due_at),
            Reminder.kind == ReminderKind.DUE,
        )
    )
    reminder.last_error = f"550 mailbox {EMAIL.lower()} unavailable"
    _db.session.flush()
    return {
        "officer": officer,
        "organisation": organisation,
        "person": person,
        "other": other,
        "consent": consent,
        "outreach": outreach,
        "unrelated": unrelated,
        "event": event,
        "follow_up": follow_up,
    }


# --- Subject access --------------------------------------------------------------------------


def test_subject_access_export_holds_everything_on_the_person(app, db) -> None:
    h = _history()
    person = h["person"]
    data = subject_access_export(person, h["officer"])
    json.dumps(data)  # serialisable as it is
    assert data["person"]["email"] == EMAIL
    assert data["person"]["phone"] == PHONE
    assert data["person"]["lawful_basis"] == "consent"
    assert data["person"]["created_at"].endswith("+00:00")
    assert data["tags"] == ["speaker"]
    [position] = data["positions"]
    assert position["organisation"] == "Fabryka Obrabiarek S.A." and position["role"] == "manager"
    assert position["starts_on"] == "2020-01-01"
    [consent] = data["consent_records"]
    assert consent["purpose"] == "event-invitations" and consent["recorded_by"] == "Olga Officer"
    [outreach] = data["outreach"]
    assert outreach["subject"] == f"Call with {FULL}"
    assert outreach["subitems"] == ["1.3b", "2.1"]
    assert outreach["channel"] == "meeting"
    assert outreach["organisations"] == ["Fabryka Obrabiarek S.A."]
    assert "Nowak" not in json.dumps(data, ensure_ascii=False), "other people are left out"
    [participation] = data["event_participations"]
    assert participation["role"] == "speaker" and participation["starts"] == "2026-03-10"
    [follow_up] = data["follow_ups"]
    assert follow_up["title"] == f"Send the guidelines to {FULL}"
    assert follow_up["assignee"] == "Olga Officer"
    actions = [e["action"] for e in data["audit_entries"]]
    assert actions == ["create", "update", "consent", "lawful-basis"]
    assert data["audit_entries"][0]["changes"]["email"] == [None, EMAIL]


def test_subject_access_csv_is_a_zip_of_one_csv_per_section(app, db) -> None:
    h = _history()
    h["outreach"].notes = '=HYPERLINK("http://evil.example")'
    _db.session.flush()
    archive = zipfile.ZipFile(io.BytesIO(subject_access_csv(h["person"], h["officer"])))
    names = set(archive.namelist())
    assert names == {
        "person.csv",
        "positions.csv",
        "consent_records.csv",
        "outreach.csv",
        "event_participations.csv",
        "follow_ups.csv",
        "audit_entries.csv",
        "subject-access.json",
    }

    def rows(name: str) -> list[dict[str, str]]:
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")
        return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))

    details = {r["field"]: r["value"] for r in rows("person.csv")}
    assert details["last_name"] == LAST
    assert details["phone"] == "'" + PHONE  # neutralised like any spreadsheet cell
    assert details["tags"] == "speaker"
    [outreach] = rows("outreach.csv")
    assert outreach["notes"] == '\'=HYPERLINK("http://evil.example")'
    assert outreach["subitems"] == "1.3b; 2.1"
    audit_rows = rows("audit_entries.csv")
    assert json.loads(audit_rows[0]["changes"])["last_name"] == [None, LAST]
    assert len(rows("event_participations.csv")) == 1
    data = json.loads(archive.read("subject-access.json"))
    assert data["person"]["email"] == EMAIL


def test_subject_access_of_a_person_with_no_history(app, db) -> None:
    person, actor = factories.make_person(), factories.make_user(role="coordinator")
    data = subject_access_export(person, actor)
    assert data["outreach"] == [] and data["audit_entries"] == []
    archive = zipfile.ZipFile(io.BytesIO(subject_access_csv(person, actor)))
    header = archive.read("follow_ups.csv").decode("utf-8-sig")
    assert header == "id,title,notes,due_at,status,completed_at,assignee\r\n"


# --- Erasure ---------------------------------------------------------------------------------


def test_erasure_hash_is_a_keyed_hmac_of_the_normalised_email(app) -> None:
    expected = hmac.new(KEY, b"a.b@example.org", hashlib.sha256).hexdigest()
    assert erasure_hash("a.b@example.org", KEY) == expected
    assert erasure_hash(" A.B@Example.org ", KEY) == expected
    assert erasure_hash("a.b@example.org", b"another key") != expected
    assert len(expected) == 64
    with pytest.raises(ValueError):
        erasure_hash("a.b@example.org", b"")


def _holders(needles: list[str]) -> list[tuple[str, str, str]]:
    """Every (table, column, needle) where a String, Text or JSON column holds a needle."""
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            is_json = isinstance(column.type, sa.JSON)
            if not (is_json or isinstance(column.type, sa.String)):
                continue
            expression = sa.cast(column, sa.Text) if is_json else column
            for (value,) in _db.session.execute(sa.select(expression).where(column.is_not(None))):
                text = json.dumps(json.loads(value), ensure_ascii=False) if is_json else value
                for needle in needles:
                    if needle.casefold() in text.casefold():
                        found.append((table.name, column.name, needle))
    return found


def test_after_erasure_no_text_column_holds_the_name_email_or_phone(app, db) -> None:
    h = _history()
    needles = [FULL, f"{LAST}, {FIRST}", EMAIL, PHONE]
    before = {(table, column) for table, column, _ in _holders(needles)}
    # The scan can fail: the person's data is everywhere before the erasure.
    assert {
        ("people", "notes"),
        ("people", "email"),
        ("people", "email_normalised"),
        ("people", "phone"),
        ("people", "lawful_basis_source"),
        ("organisations", "notes"),
        ("organisations", "email"),
        ("audit_log", "summary"),
        ("audit_log", "changes"),
        ("consent_records", "source"),
        ("outreach_records", "subject"),
        ("outreach_records", "notes"),
        ("follow_ups", "title"),
        ("follow_ups", "notes"),
        ("events", "description"),
        ("reminders", "last_error"),
    } <= before

    erase_person(h["person"], h["officer"], KEY)
    assert _holders(needles) == []
    # Nothing of the first name or last name survives in the register record either.
    person = _db.session.get(Person, h["person"].id)
    assert (person.first_name, person.last_name, person.name_normalised) == ("", "", "")


def test_erasure_anonymises_and_keeps_what_reports_count(app, db) -> None:
    h = _history()
    person, officer = h["person"], h["officer"]
    organisation_terms = sa.select(SearchTerm.term).where(
        SearchTerm.entity == "organisation", SearchTerm.entity_id == h["organisation"].id
    )
    assert "lukasiewicz" in _db.session.scalars(organisation_terms).all()
    person_id, version = person.id, person.version
    outreach_version = h["outreach"].version
    erase_person(person, officer, KEY)

    person = _db.session.get(Person, person_id)
    assert person.erased_at is not None
    assert person.version > version
    assert (person.email, person.email_normalised, person.phone) == (None, None, None)
    assert (person.notes, person.lawful_basis_source) == ("", "")
    assert _hashes(person) == {erasure_hash(EMAIL.lower(), KEY)}
    assert person.lawful_basis is LawfulBasis.CONSENT and person.country_code == "DE"
    # Kept: positions, outreach links, participations, consents, follow-ups.
    assert _db.session.scalar(sa.select(sa.func.count()).where(Position.person_id == person_id))
    assert _db.session.scalar(
        sa.select(sa.func.count()).where(outreach_people.c.person_id == person_id)
    )
    assert _db.session.scalar(
        sa.select(sa.func.count()).where(EventParticipant.person_id == person_id)
    )
    consent = _db.session.get(ConsentRecord, h["consent"].id)
    assert consent.source == "Web form sent by [erased]"
    assert consent.purpose is ConsentPurpose.EVENT_INVITATIONS
    follow_up = _db.session.get(FollowUp, h["follow_up"].id)
    assert follow_up.person_id == person_id
    assert follow_up.title == "Send the guidelines to [erased]"
    assert follow_up.notes == "Call [erased] first"
    outreach = _db.session.get(Outreach, h["outreach"].id)
    assert outreach.subject == "Call with [erased]"
    assert outreach.notes == "[erased] asked for the guidelines; reply to [erased]"
    assert outreach.version == outreach_version + 1, "a stale edit form meets a conflict"
    organisation = _db.session.get(Organisation, h["organisation"].id)
    assert organisation.email is None  # it was her address, and nothing else
    assert organisation.notes == "Contact: [erased] ([erased])"
    assert organisation.name == "Fabryka Obrabiarek S.A."
    # Its search words no longer hold those of her e-mail.
    assert set(_db.session.scalars(organisation_terms)) == {"fabryka", "obrabiarek", "s", "a"}

    entries = _audit(person)
    assert entries[0].changes == {
        "first_name": [None, "[erased]"],
        "last_name": [None, "[erased]"],
        "email": [None, "[erased]"],
        "phone": [None, "[erased]"],
        "notes": [None, "[erased]"],
        "country_code": [None, "PL"],
    }
    assert entries[0].summary == "created [erased]"
    assert entries[1].changes == {"phone": ["[erased]", "[erased]"]}
    lawful = next(e for e in entries if e.action == "lawful-basis")
    assert lawful.changes["lawful_basis"] == ["legitimate-interest", "consent"]
    assert lawful.changes["lawful_basis_source"] == ["[erased]", "[erased]"]
    last = entries[-1]
    assert (last.action, last.actor_id) == ("erase", officer.id)
    assert "Hanna" not in json.dumps(last.changes) + last.summary
    # The other person reached by the same outreach is untouched.
    other = _db.session.get(Person, h["other"].id)
    assert (other.first_name, other.last_name, other.erased_at) == ("Piotr", "Nowak", None)
    # Consent records are still append-only for everything but erasure.
    consent.source = "edited"
    with pytest.raises(ValueError, match="append-only"):
        _db.session.flush()


def test_erasure_leaves_the_coverage_counts_as_they_were(app, db) -> None:
    h = _history()

    def counts() -> dict[str, tuple[int, int]]:
        _framework, roots = framework_tree()
        found, stack = {}, list(roots)
        while stack:
            node = stack.pop()
            found[node.code] = (node.outreach_count, node.event_count)
            stack.extend(node.children)
        return found

    before = counts()
    assert before["1.3b"][0] >= 1 and before["1.3c"][1] >= 1  # the history is counted
    erase_person(h["person"], h["officer"], KEY)
    assert counts() == before


def test_erasing_twice_is_refused_and_writes_nothing(app, db) -> None:
    h = _history()
    erase_person(h["person"], h["officer"], KEY)
    before = _written(), h["person"].erased_at, h["person"].version
    with pytest.raises(ValidationError, match="already been erased"):
        erase_person(h["person"], h["officer"], KEY)
    assert (_written(), h["person"].erased_at, h["person"].version) == before


def test_erasure_without_a_key_is_refused(app, db) -> None:
    person = factories.make_person()
    email, before = person.email, _written()
    with pytest.raises(ValidationError) as caught:
        erase_person(person, factories.make_user(), b"")
    assert caught.value.field == "key"
    assert (person.email, person.erased_at, _written()) == (email, None, before)


def test_a_namesake_keeps_their_name(app, db) -> None:
    person = factories.make_person(first_name="John", last_name="Smith", email="js@one.example")
    namesake = factories.make_person(first_name="John", last_name="Smith", email="js@two.example")
    firm = factories.make_organisation(name="John Smith Tooling Ltd")
    erase_person(person, factories.make_user(), KEY)
    namesake = _db.session.get(Person, namesake.id)
    assert (namesake.first_name, namesake.last_name) == ("John", "Smith")
    assert namesake.name_normalised == "john smith"
    assert namesake.email == "js@two.example"
    assert _db.session.get(Organisation, firm.id).name == "John Smith Tooling Ltd"


def test_a_person_without_email_or_phone_can_be_erased(app, db) -> None:
    person = factories.make_person(first_name="Ana", last_name="Ruiz")
    person.email = person.email_normalised = None
    _db.session.flush()
    erase_person(person, factories.make_user(), KEY)
    person = _db.session.get(Person, person.id)
    assert person.erased_at is not None and _hashes(person) == set()


def test_the_scrubber_does_not_cut_into_longer_words(app) -> None:
    scrubber = Scrubber(["Li Wu", "li@wu.example"])
    assert scrubber.text("Kali Wulf met LI WU and li@wu.example") == (
        "Kali Wulf met [erased] and [erased]"
    )
    assert scrubber.text("mali@wu.example") == "mali@wu.example"


def test_erasure_forgets_the_search_words(app, db) -> None:
    person = factories.make_person(first_name="Wiesława", last_name="Szymborska")
    terms = sa.select(sa.func.count()).where(
        SearchTerm.entity == "person", SearchTerm.entity_id == person.id
    )
    assert _db.session.scalar(terms) > 0
    erase_person(person, factories.make_user(), KEY)
    assert _db.session.scalar(terms) == 0


def test_a_duplicate_merged_into_the_person_is_erased_with_them(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    survivor = factories.make_person(first_name="Marta", last_name="Kowalska", email="mk@a.example")
    duplicate = factories.make_person(
        first_name="Marta", last_name="Kowalska", email="marta.k@b.example"
    )
    duplicate.phone = "+48 61 555 12 34"
    merge_people(survivor, duplicate, actor)
    assert duplicate.deleted_at is not None and duplicate.first_name == "Marta"

    erase_person(survivor, actor, KEY)
    duplicate = _db.session.get(Person, duplicate.id)
    assert duplicate.erased_at is not None
    assert (duplicate.first_name, duplicate.last_name, duplicate.email) == ("", "", None)
    assert _hashes(duplicate) == {erasure_hash("marta.k@b.example", KEY)}
    assert (
        _holders(["Marta Kowalska", "mk@a.example", "marta.k@b.example", "+48 61 555 12 34"]) == []
    )
    assert [e.action for e in _audit(duplicate)][-1] == "erase"
    assert _audit(survivor)[-1].changes["merged_records"] == [None, [duplicate.id]]
    assert not _db.session.scalar(
        sa.select(sa.func.count()).where(SearchTerm.entity_id.in_([survivor.id, duplicate.id]))
    )


def test_each_subject_access_export_is_audited_by_the_service(app, db) -> None:
    person, actor = factories.make_person(), factories.make_user(role="coordinator")
    subject_access_export(person, actor)
    subject_access_csv(person, actor)
    entries = [e for e in _audit(person) if e.action == "subject-access"]
    assert [(e.actor_id, e.summary) for e in entries] == [
        (actor.id, "subject-access export (json)"),
        (actor.id, "subject-access export (zip)"),
    ]
    # The export does not hold the entry of its own making.
    assert subject_access_export(person, actor)["audit_entries"][-1]["summary"].endswith("(zip)")


def test_subject_access_csv_guards_every_joined_part(app, db) -> None:
    """A list of values joined by "; " (tags, sub-items) splits into cells when a spreadsheet
    opens the file with ";" as the separator: every part is neutralised, not only the first."""
    h = _history()
    h["person"].tags += [Tag(name="1st contact"), Tag(name="=cmd|' /C calc'!A0")]
    _db.session.flush()
    archive = zipfile.ZipFile(io.BytesIO(subject_access_csv(h["person"], h["officer"])))
    raw = archive.read("person.csv").decode("utf-8-sig")
    details = {r["field"]: r["value"] for r in csv.DictReader(io.StringIO(raw, newline=""))}
    assert details["tags"] == "1st contact; '=cmd|' /C calc'!A0; speaker"  # sorted by name
