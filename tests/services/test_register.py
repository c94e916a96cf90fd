"""The register's rules: size classes, field checks, audit, versions, duplicates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, Organisation, Person, SizeClass
from crm.services import register
from crm.services.errors import ConflictError, ValidationError
from crm.services.register import TURNOVER_CEILING, size_class_for
from tests import factories


@pytest.mark.parametrize(
    ("headcount", "expected"),
    [
        (0, SizeClass.MICRO),
        (9, SizeClass.MICRO),
        (10, SizeClass.SMALL),
        (49, SizeClass.SMALL),
        (50, SizeClass.MEDIUM),
        (249, SizeClass.MEDIUM),
        (250, SizeClass.LARGE),
        (100_000, SizeClass.LARGE),
    ],
)
def test_size_class_follows_the_eu_headcount_thresholds(
    headcount: int, expected: SizeClass
) -> None:
    assert size_class_for(headcount) is expected


def test_a_negative_headcount_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        size_class_for(-1)
    assert caught.value.field == "headcount"


def test_turnover_ceilings_are_the_eu_sme_ceilings() -> None:
    assert TURNOVER_CEILING == {
        SizeClass.MICRO: 2_000_000,
        SizeClass.SMALL: 10_000_000,
        SizeClass.MEDIUM: 50_000_000,
    }
    assert SizeClass.LARGE not in TURNOVER_CEILING


# --- Organisations and people ---------------------------------------------------------------

ORGANISATION = {
    "name": "Müller Präzisionstechnik GmbH",
    "kind": "enterprise",
    "country_code": "de",
    "city": "Stuttgart",
    "headcount": "42",
    "turnover_eur": "6 500 000",
    "email": "info@mueller-praezision.example",
}
PERSON = {
    "first_name": "Jürgen",
    "last_name": "Müller",
    "email": "J.Mueller@Example.org",
    "country_code": "DE",
    "lawful_basis": "legitimate-interest",
    "lawful_basis_source": "Business card, EMO Hannover 2025",
}
KEY = b"test-erasure-key"  # create_person checks e-mails against erased people


def _audit(db, entity: str, entity_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
    )


def test_create_organisation_derives_size_class_and_audits(app, db) -> None:
    officer = factories.make_user()
    organisation = register.create_organisation(ORGANISATION, officer, tags=["CSR pilot"])
    assert organisation.country_code == "DE"
    assert organisation.size_class is SizeClass.SMALL
    assert organisation.turnover_eur == Decimal("6500000")
    assert organisation.name_normalised == "muller prazisionstechnik gmbh"
    assert [t.name for t in organisation.tags] == ["CSR pilot"]
    (entry,) = _audit(db, "organisation", organisation.id)
    assert entry.action == "create" and entry.changes["name"] == [None, organisation.name]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 201}, "name", "at most 200"),
        ({"country_code": "XX"}, "country_code", "not an ISO 3166-1"),
        ({"country_code": ""}, "country_code", "required"),
        ({"kind": "guild"}, "kind", "not one of"),
        ({"email": "not-an-address"}, "email", "not a valid"),
        ({"headcount": "-3"}, "headcount", "between 0"),
        ({"headcount": "many"}, "headcount", "not a whole number"),
        ({"turnover_eur": "lots"}, "turnover_eur", "not an amount"),
        ({"language_code": "xx"}, "language_code", "not an ISO 639-1"),
        ({"city": "Stutt\x00gart"}, "city", "control character"),
    ],
)
def test_bad_organisations_are_refused_and_nothing_is_written(
    app, db, change, field, message
) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Organisation))
    with pytest.raises(ValidationError) as raised:
        register.create_organisation({**ORGANISATION, **change}, factories.make_user())
    assert (raised.value.field, message in raised.value.message) == (field, True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == before


def test_markup_is_stored_as_typed(app, db) -> None:
    organisation = register.create_organisation(
        {**ORGANISATION, "name": "<script>alert(1)</script> GmbH"}, factories.make_user()
    )
    assert organisation.name == "<script>alert(1)</script> GmbH"  # escaped on output only


def test_update_records_old_and_new_values_and_refuses_stale_edits(app, db) -> None:
    officer = factories.make_user()
    organisation = register.create_organisation(ORGANISATION, officer)
    db.session.commit()
    changes = register.update_organisation(
        organisation,
        {**ORGANISATION, "city": "Esslingen", "headcount": "260"},
        officer,
        expected_version=1,
    )
    db.session.commit()
    assert changes["city"] == ["Stuttgart", "Esslingen"]
    assert changes["size_class"] == ["small", "large"]
    with pytest.raises(ConflictError) as conflict:
        register.update_organisation(
            organisation, {**ORGANISATION, "city": "Ulm"}, officer, expected_version=1
        )
    assert conflict.value.differences["city"] == ("Esslingen", "Ulm")
    assert organisation.city == "Esslingen"


def test_delete_and_restore_are_audited(app, db) -> None:
    admin = factories.make_user("admin")
    organisation = register.create_organisation(ORGANISATION, admin)
    register.delete_record(organisation, admin)
    with pytest.raises(ValidationError, match="already deleted"):
        register.delete_record(organisation, admin)
    register.restore_record(organisation, admin)
    assert organisation.deleted_at is None
    actions = [e.action for e in _audit(db, "organisation", organisation.id)]
    assert actions == ["create", "delete", "restore"]


def test_organisation_duplicates_by_normalised_name_and_country(app, db) -> None:
    first = register.create_organisation(ORGANISATION, factories.make_user())
    assert register.organisation_duplicates("MULLER prazisionstechnik gmbh", "DE") == [first]
    assert register.organisation_duplicates("Müller Präzisionstechnik GmbH", "AT") == []
    assert register.organisation_duplicates(first.name, "DE", exclude_id=first.id) == []


def test_create_person_with_a_position(app, db) -> None:
    officer = factories.make_user()
    organisation = register.create_organisation(ORGANISATION, officer)
    person = register.create_person(
        PERSON,
        officer,
        position={
            "organisation_id": organisation.id,
            "role": "manager",
            "title": "Head of HR",
            "starts_on": date(2024, 1, 1),
        },
        erasure_key=KEY,
    )
    assert person.email == person.email_normalised == "j.mueller@example.org"
    assert person.name_normalised == "jurgen muller"
    assert [p.organisation.name for p in person.positions] == [organisation.name]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"first_name": "", "last_name": ""}, "last_name", "first or a last name"),
        ({"last_name": "M" * 101}, "last_name", "at most 100"),
        ({"email": "j.mueller@"}, "email", "not a valid"),
        ({"country_code": "ZZ"}, "country_code", "not an ISO 3166-1"),
        ({"lawful_basis": "whim"}, "lawful_basis", "not one of"),
        ({"lawful_basis_source": ""}, "lawful_basis_source", "required"),
    ],
)
def test_bad_people_are_refused(app, db, change, field, message) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    with pytest.raises(ValidationError) as raised:
        register.create_person({**PERSON, **change}, factories.make_user(), erasure_key=KEY)
    assert raised.value.field == field and message in raised.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before


def test_a_position_may_not_end_before_it_starts(app, db) -> None:
    officer = factories.make_user()
    organisation = register.create_organisation(ORGANISATION, officer)
    with pytest.raises(ValidationError, match="end cannot come before"):
        register.create_person(
            PERSON,
            officer,
            position={
                "organisation_id": organisation.id,
                "role": "manager",
                "starts_on": date(2024, 5, 1),
                "ends_on": date(2024, 4, 30),
            },
            erasure_key=KEY,
        )


def test_a_taken_email_is_refused_and_duplicates_are_found(app, db) -> None:
    officer = factories.make_user()
    organisation = register.create_organisation(ORGANISATION, officer)
    first = register.create_person(
        PERSON,
        officer,
        position={"organisation_id": organisation.id, "role": "manager"},
        erasure_key=KEY,
    )
    with pytest.raises(ValidationError, match="already belongs to Jürgen Müller"):
        register.create_person(
            {**PERSON, "email": "j.MUELLER@example.org"}, officer, erasure_key=KEY, confirmed=True
        )
    assert register.person_duplicates("Jurgen", "Muller", None, organisation.id) == [first]
    assert register.person_duplicates("Jürgen", "Mueller", None, organisation.id) == [first]
    assert register.person_duplicates("Anna", "Schmidt", None, organisation.id) == []
    assert register.person_duplicates("X", "Y", "J.Mueller@example.org") == [first]


# --- Issue 7: the rules any caller obeys ---------------------------------------------------


def test_a_likely_duplicate_person_needs_a_decision_in_the_service(app, db) -> None:
    from crm.services.errors import NeedsConfirmation

    officer = factories.make_user()
    first = register.create_person(PERSON, officer, erasure_key=KEY)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Person))
    twin = {**PERSON, "email": "juergen.mueller@elsewhere.example"}
    with pytest.raises(NeedsConfirmation) as asked:
        register.create_person(twin, officer, erasure_key=KEY)  # same name, same country
    assert asked.value.duplicates == [first] and asked.value.erased is None
    assert "already in the register" in asked.value.message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == before
    second = register.create_person(twin, officer, erasure_key=KEY, confirmed=True)
    assert second.id != first.id


def test_an_erased_person_comes_back_only_when_confirmed(app, db) -> None:
    from crm.services import privacy
    from crm.services.errors import NeedsConfirmation

    officer = factories.make_user()
    person = register.create_person(PERSON, officer, erasure_key=KEY)
    privacy.erase_person(person, officer, KEY)
    with pytest.raises(NeedsConfirmation) as asked:
        register.create_person(PERSON, officer, erasure_key=KEY)
    assert asked.value.erased is not None and asked.value.erased.id == person.id
    assert "erased on" in asked.value.message
    again = register.create_person(PERSON, officer, erasure_key=KEY, confirmed=True)
    assert again.email == "j.mueller@example.org"


def test_a_likely_duplicate_organisation_needs_a_decision_in_the_service(app, db) -> None:
    from crm.services.errors import NeedsConfirmation

    officer = factories.make_user()
    first = register.create_organisation(ORGANISATION, officer)
    with pytest.raises(NeedsConfirmation) as asked:
        register.create_organisation({**ORGANISATION, "name": "Muller Prazisionstechnik"}, officer)
    assert asked.value.duplicates == [first]
    register.create_organisation(
        {**ORGANISATION, "name": "Muller Prazisionstechnik"}, officer, confirmed=True
    )


def test_one_rule_for_the_create_warning_and_the_duplicates_list(app, db) -> None:
    from crm.services import merge

    officer = factories.make_user()
    first = register.create_person(PERSON, officer, erasure_key=KEY)
    second = register.create_person(
        {**PERSON, "email": None}, officer, erasure_key=KEY, confirmed=True
    )
    # The list pairs them (same name, same country) and the create check warns about them.
    (pair,) = merge.duplicate_people().pairs
    assert {pair.first.id, pair.second.id} == {first.id, second.id}
    found = register.person_duplicates("Jürgen", "Müller", None, country_code="DE")
    assert {p.id for p in found} == {first.id, second.id}
    assert register.person_duplicates("Jürgen", "Müller", None, country_code="AT") == []
    assert register.likely_same_person(
        register.PersonFacts.of(first), register.PersonFacts.of(second)
    )


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity", "nan"])
def test_turnover_that_is_not_a_number_is_a_field_error(app, db, value) -> None:
    with pytest.raises(ValidationError) as raised:
        register.create_organisation({**ORGANISATION, "turnover_eur": value}, factories.make_user())
    assert raised.value.field == "turnover_eur" and "not an amount" in raised.value.message


def _erased_person(db):
    from crm.services import privacy

    officer = factories.make_user("admin")
    organisation = factories.make_organisation()
    person = factories.make_person(organisation=organisation)
    privacy.erase_person(person, officer, KEY)
    db.session.flush()
    return officer, organisation, person


@pytest.mark.parametrize(
    "write",
    ["add_position", "end_position", "update_person", "delete", "restore", "merge", "merge_into"],
)
def test_every_write_to_an_erased_person_is_refused(app, db, write) -> None:
    from crm.services import merge

    officer, organisation, person = _erased_person(db)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    other = factories.make_person()
    calls = {
        "add_position": lambda: register.add_position(
            person, {"organisation_id": organisation.id, "role": "manager"}, officer
        ),
        "end_position": lambda: register.end_position(
            person.positions[0], date(2026, 1, 1), officer
        ),
        "update_person": lambda: register.update_person(
            person, PERSON, officer, person.version, tags=["x"], erasure_key=KEY
        ),
        "delete": lambda: register.delete_record(person, officer),
        "restore": lambda: register.restore_record(person, officer),
        "merge": lambda: merge.merge_people(other, person, officer),
        "merge_into": lambda: merge.merge_people(person, other, officer),
    }
    if write == "restore":
        person.deleted_at = person.erased_at
    with pytest.raises(ValidationError, match="erased"):
        calls[write]()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before
    assert len(person.positions) == 1 and person.positions[0].ends_on is None


@pytest.mark.parametrize(
    "version", ["abc", "", None, "1.0", float("inf"), float("nan"), Decimal("Infinity"), True, [1]]
)
def test_a_version_that_is_not_a_number_is_a_conflict(app, db, version) -> None:
    from crm.services.versioning import check_version

    organisation = factories.make_organisation()
    assert organisation.version == 1
    with pytest.raises(ConflictError):
        check_version(organisation, version, {"city": "Ulm"}, "The organisation")
    check_version(organisation, "1", {"city": "Ulm"}, "The organisation")
    check_version(organisation, 1, {"city": "Ulm"}, "The organisation")


def test_deleted_and_merged_records_take_no_edits(app, db) -> None:
    """Writes by URL to a record nobody sees are refused: restore it (or change the record
    it was merged into) first. Nothing is written."""
    from datetime import date

    from crm.services import merge

    admin = factories.make_user("admin")
    firm = factories.make_organisation()
    deleted = factories.make_person(organisation=firm)
    register.delete_record(deleted, admin)
    survivor, merged = factories.make_person(), factories.make_person()
    merge.merge_people(survivor, merged, admin)
    gone = factories.make_organisation()
    register.delete_record(gone, admin)
    writes = {
        "edit a deleted person": lambda: register.update_person(
            deleted, {**PERSON, "notes": "x"}, admin, deleted.version, erasure_key=KEY
        ),
        "edit a merged person": lambda: register.update_person(
            merged, {**PERSON, "notes": "x"}, admin, merged.version, erasure_key=KEY
        ),
        "add a position": lambda: register.add_position(
            deleted, {"organisation_id": firm.id, "role": "manager"}, admin
        ),
        "end a position": lambda: register.end_position(
            deleted.positions[0], date(2026, 11, 30), admin
        ),
        "edit a deleted organisation": lambda: register.update_organisation(
            gone, {**ORGANISATION, "notes": "x"}, admin, gone.version
        ),
        "link a deleted organisation": lambda: register.add_link(
            gone, firm, "member-of", None, None, admin
        ),
        "link to a deleted organisation": lambda: register.add_link(
            firm, gone, "member-of", None, None, admin
        ),
    }
    for what, write in writes.items():
        with pytest.raises(ValidationError, match="deleted|merged into") as refused:
            write()
        assert "restore it first" in str(refused.value) or "went into" in str(refused.value), what
    db.session.expire_all()
    assert deleted.notes != "x" and merged.notes != "x" and gone.notes != "x"
