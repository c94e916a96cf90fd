"""Erasure: what it scrubs, what it must leave alone, and the names a person once had."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    Country,
    FollowUp,
    Organisation,
    Person,
    Tag,
    organisation_tags,
)
from crm.models.followups import due_fields
from crm.services import privacy, register
from crm.services.errors import ValidationError
from tests import factories

KEY = b"erasure-key-for-tests-0123456789"


def _person_data(**change: object) -> dict[str, object]:
    return {
        "first_name": "Hanna",
        "last_name": "Kowalska",
        "email": "hanna.kowalska@fpt.example",
        "phone": "+48 22 555 0101",
        "country_code": "PL",
        "lawful_basis": "consent",
        "lawful_basis_source": "Sign-up sheet, MACH 2026",
        **change,
    }


def _tag_names() -> set[str]:
    return set(_db.session.scalars(sa.select(Tag.name)))


# --- Point 1: tags named after the person ----------------------------------------------------


def test_a_tag_of_the_full_name_beside_an_existing_scrubbed_tag(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    person = factories.make_person(first_name="Hanna", last_name="Kowalska")
    firm = factories.make_organisation(name="Fabryka Narzędzi")
    firm.tags.extend([Tag(name="Hanna Kowalska"), Tag(name="[erased]"), Tag(name="speaker")])
    _db.session.flush()

    privacy.erase_person(person, actor, KEY)

    assert _db.session.get(Person, person.id).erased_at is not None
    assert "Hanna Kowalska" not in _tag_names()
    assert {"[erased]", "speaker"} <= _tag_names()  # other tags are left as they were
    firm_tags = {t.name for t in _db.session.get(Organisation, firm.id).tags}
    assert "speaker" in firm_tags and "Hanna Kowalska" not in firm_tags


def test_two_tags_of_the_name_that_differ_by_case(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    person = factories.make_person(first_name="Hanna", last_name="Kowalska")
    firm = factories.make_organisation()
    firm.tags.extend(
        [Tag(name="Hanna Kowalska"), Tag(name="HANNA KOWALSKA"), Tag(name="met Hanna Kowalska")]
    )
    other = factories.make_organisation()
    other.tags.append(Tag(name="met [erased]"))
    _db.session.flush()

    privacy.erase_person(person, actor, KEY)

    assert _db.session.get(Person, person.id).erased_at is not None
    assert not any("kowalska" in name.casefold() for name in _tag_names())
    # "met Hanna Kowalska" became the existing "met [erased]", on both organisations.
    tagged = _db.session.scalars(
        sa.select(organisation_tags.c.organisation_id)
        .join(Tag, Tag.id == organisation_tags.c.tag_id)
        .where(Tag.name == "met [erased]")
    ).all()
    assert sorted(tagged) == sorted([firm.id, other.id])


def test_an_erasure_the_database_refuses_changes_nothing_and_says_why(app, db) -> None:
    """A refusal half-way (here a trigger on follow-ups) rolls the whole erasure back."""
    actor = factories.make_user(role="coordinator")
    person = factories.make_person(first_name="Hanna", last_name="Kowalska")
    _db.session.add(
        FollowUp(
            title="Call Hanna Kowalska",
            **due_fields(datetime.now(UTC) + timedelta(days=3)),
            assignee_id=actor.id,
            person_id=person.id,
        )
    )
    _db.session.flush()
    dialect = _db.session.get_bind().dialect.name
    if dialect == "sqlite":
        _db.session.execute(
            sa.text(
                "CREATE TEMP TRIGGER refuse_follow_up_update BEFORE UPDATE ON follow_ups "
                "BEGIN SELECT RAISE(ABORT, 'follow-ups are frozen'); END"
            )
        )
    else:
        _db.session.execute(
            sa.text(
                "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'follow-ups are frozen'; END $$"
            )
        )
        _db.session.execute(
            sa.text(
                "CREATE TRIGGER refuse_follow_up_update BEFORE UPDATE ON follow_ups "
                "FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse()"
            )
        )
    audit_rows = _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

    with pytest.raises(ValidationError, match="nothing was changed"):
        privacy.erase_person(person, actor, KEY)

    _db.session.expire_all()
    person = _db.session.get(Person, person.id)
    assert (person.first_name, person.last_name, person.erased_at) == ("Hanna", "Kowalska", None)
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == audit_rows
    assert not privacy.erased_with_email(person.email, KEY)


# --- Point 2: reference data and other records -----------------------------------------------


def test_a_single_name_person_leaves_reference_data_and_other_records(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    countries = {c.code: c.name for c in _db.session.scalars(sa.select(Country))}
    firm = factories.make_organisation(name="Tbilisi Machine Works")
    firm.city = "Georgia"
    firm.notes = "Our partner in Georgia since 2019"
    namesake = factories.make_person(first_name="Georgia", last_name="Papadopoulou")
    person = register.create_person(
        _person_data(first_name="Georgia", last_name="", email="georgia@tmw.example"),
        actor,
        erasure_key=KEY,
        confirmed=True,  # namesakes on purpose
    )
    unrelated = factories.make_outreach()
    unrelated.notes = "Trade mission to Georgia; georgia@tmw.example joined"
    own = FollowUp(
        title="Send Georgia the guidelines",
        **due_fields(datetime.now(UTC) + timedelta(days=3)),
        assignee_id=actor.id,
        person_id=person.id,
    )
    _db.session.add(own)
    _db.session.flush()

    privacy.erase_person(person, actor, KEY)
    _db.session.expire_all()

    assert {c.code: c.name for c in _db.session.scalars(sa.select(Country))} == countries
    firm = _db.session.get(Organisation, firm.id)
    assert (firm.city, firm.notes) == ("Georgia", "Our partner in Georgia since 2019")
    namesake = _db.session.get(Person, namesake.id)
    assert (namesake.first_name, namesake.name_normalised) == ("Georgia", "georgia papadopoulou")
    # Elsewhere only the e-mail goes; in the person's own rows the name goes too.
    assert _db.session.get(type(unrelated), unrelated.id).notes == (
        "Trade mission to Georgia; [erased] joined"
    )
    assert _db.session.get(FollowUp, own.id).title == "Send [erased] the guidelines"
    entries = _db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.entity_type == "person", AuditEntry.entity_id == person.id
        )
    ).all()
    assert "Georgia" not in json.dumps([(e.changes, e.summary) for e in entries])


def test_a_full_name_goes_but_a_lone_first_name_stays_in_other_records(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    person = register.create_person(
        _person_data(first_name="Chad", last_name="Jordan"), actor, erasure_key=KEY, confirmed=True
    )
    outreach = factories.make_outreach()
    outreach.notes = "Chad Jordan and JORDAN, CHAD; partners in Chad and Jordan"
    _db.session.flush()

    privacy.erase_person(person, actor, KEY)
    _db.session.expire_all()

    assert _db.session.get(type(outreach), outreach.id).notes == (
        "[erased] and [erased]; partners in Chad and Jordan"
    )


# --- Point 3: former names and e-mails -------------------------------------------------------


def test_former_names_and_emails_are_erased_and_recognised(app, db) -> None:
    actor = factories.make_user(role="coordinator")
    person = register.create_person(_person_data(), actor, erasure_key=KEY, confirmed=True)
    other = factories.make_person(first_name="Piotr", last_name="Nowak")
    other.notes = "Introduced by Hanna Kowalska (hanna.kowalska@fpt.example)"
    _db.session.flush()
    register.update_person(
        person,
        _person_data(last_name="Nowicka", email="h.nowicka@fpt.example"),
        actor,
        person.version,
        erasure_key=KEY,
    )
    _db.session.flush()

    privacy.erase_person(person, actor, KEY)
    _db.session.expire_all()

    assert _db.session.get(Person, other.id).notes == "Introduced by [erased] ([erased])"
    held = json.dumps(
        [
            (e.changes, e.summary)
            for e in _db.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.entity_id == person.id)
            )
        ],
        ensure_ascii=False,
    )
    for old in ("Kowalska", "Nowicka", "hanna.kowalska@", "h.nowicka@"):
        assert old not in held
    for email in ("hanna.kowalska@fpt.example", "H.Nowicka@fpt.example"):
        found = privacy.erased_with_email(email, KEY)
        assert found is not None and found.id == person.id
    assert privacy.erased_with_email("someone.else@fpt.example", KEY) is None


# --- Point 4: text checks --------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["asked\x00by phone", "asked\x07", "\ufffe"])
def test_a_restriction_reason_with_control_characters_is_refused(app, db, reason) -> None:
    person = factories.make_person()
    with pytest.raises(ValidationError) as caught:
        privacy.set_restriction(person, True, reason, factories.make_user())
    assert caught.value.field == "reason"
    assert not person.is_restricted


# --- Point 6: one sub-package ----------------------------------------------------------------


def test_privacy_is_a_package_of_consent_subject_access_and_erasure(app) -> None:
    from crm.services.privacy import consent, erasure, subject_access

    assert privacy.erase_person is erasure.erase_person
    assert privacy.erased_with_email is erasure.erased_with_email
    assert privacy.record_consent is consent.record_consent
    assert privacy.set_restriction is consent.set_restriction
    assert privacy.subject_access_export is subject_access.subject_access_export


def test_every_text_column_has_an_erasure_rule(app) -> None:
    """A new text column must be put in FREE_TEXT, CONTACT_FIELDS or LEFT_ALONE: erasure
    scrubs named columns only, so a column nobody classified would keep a name for good."""
    from crm.models import Base
    from crm.services.privacy.erasure import CONTACT_FIELDS, FREE_TEXT, LEFT_ALONE

    classified = [
        (table, column)
        for rules in (FREE_TEXT, CONTACT_FIELDS, LEFT_ALONE)
        for table, columns in rules.items()
        for column in columns
    ]
    assert len(classified) == len(set(classified)), "a column has two rules"
    text_columns = {
        (table.name, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, (sa.String, sa.JSON)) and not isinstance(column.type, sa.Enum)
    }
    assert text_columns == set(classified)
