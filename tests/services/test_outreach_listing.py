"""The outreach list's filter and query: each filter against counts computed here from the
records the test made, the person-counted-for-organisation path, deleted records, period
edges in the viewer's zone, and the facets kept current by the session hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from crm.extensions import db as _db
from crm.models import (
    Channel,
    CommitmentItem,
    Direction,
    Material,
    MaterialKind,
    Organisation,
    OrganisationKind,
    Outcome,
    Outreach,
    OutreachPerson,
    outreach_facets,
)
from crm.services.errors import ValidationError
from crm.services.outreach import facets
from crm.services.outreach.listing import OutreachFilter, outreach_page, outreach_query
from tests import factories

BRUSSELS = ZoneInfo("Europe/Brussels")


@dataclass
class Made:
    """A record made by the test, with what each filter reads of it."""

    record: Outreach
    codes: set[str]
    countries: set[str] = field(default_factory=set)
    # (kind, country) of every organisation reached, directly or through a person
    reached: set[tuple[str, str]] = field(default_factory=set)


def _item_codes_above(code: str) -> set[str]:
    """The code and the codes of every item above it."""
    item = _db.session.scalar(sa.select(CommitmentItem).where(CommitmentItem.code == code))
    codes = set()
    while item is not None:
        codes.add(item.code)
        item = item.parent
    return codes


def log(
    codes: tuple[str, ...],
    at: datetime,
    organisations: tuple[Organisation, ...] = (),
    people: tuple[tuple[Any, Organisation | None], ...] = (),
    channel: Channel = Channel.MEETING,
    direction: Direction = Direction.OUTBOUND,
    outcome: Outcome | None = None,
    logged_by: Any = None,
    subject: str = "Presented the guidelines",
    materials: tuple[Material, ...] = (),
    event: Any = None,
) -> Made:
    record = Outreach(
        occurred_at=at,
        channel=channel,
        direction=direction,
        subject=subject,
        outcome=outcome,
        logged_by_id=logged_by.id if logged_by else None,
        subitems=[factories.subitem(code) for code in codes],
        organisations=list(organisations),
        # The organisation each person counted for, as the outreach service stores it.
        person_links=[
            OutreachPerson(person=person, organisation_id=counted.id if counted else None)
            for person, counted in people
        ],
        materials=list(materials),
        event_id=event.id if event else None,
    )
    _db.session.add(record)
    _db.session.flush()
    reached = {(str(o.kind), o.country_code) for o in organisations}
    reached |= {(str(o.kind), o.country_code) for _p, o in people if o is not None}
    return Made(record, set(codes), {c for _k, c in reached}, reached)


def ids(args: dict[str, Any], me: int | None = None, zone: ZoneInfo = BRUSSELS) -> set[int]:
    f = OutreachFilter.from_args(MultiDict(args), me=me, zone=zone)
    found = set(_db.session.scalars(outreach_query(f)))
    page = outreach_page(f)
    assert page.total == len(found), (args, page.total, len(found))
    return {record.id for record in found}


@pytest.fixture()
def made(app, db) -> dict[str, Any]:
    officer = factories.make_user(role="officer")
    other = factories.make_user(role="coordinator")
    de_enterprise = factories.make_organisation(kind=OrganisationKind.ENTERPRISE, country_code="DE")
    fr_enterprise = factories.make_organisation(kind=OrganisationKind.ENTERPRISE, country_code="FR")
    de_association = factories.make_organisation(
        name="VDW Verband", kind=OrganisationKind.NATIONAL_ASSOCIATION, country_code="DE"
    )
    at_policy = factories.make_organisation(
        name="Ministerium", kind=OrganisationKind.POLICY_BODY, country_code="AT"
    )
    anna = factories.make_person(first_name="Anna", last_name="Adler")
    ben = factories.make_person(first_name="Ben", last_name="Berg")
    guidelines = Material(kind=MaterialKind.GUIDELINES, title="DESIGN-MTS guidelines")
    _db.session.add(guidelines)
    event = factories.make_event()
    day = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    records = [
        log(("1.3b",), day, (de_enterprise,), logged_by=officer, channel=Channel.EMAIL),
        log(("1.3b", "2.2"), day + timedelta(days=1), (fr_enterprise,), logged_by=officer),
        log(
            ("1.3a",),
            day + timedelta(days=40),
            (de_association,),
            logged_by=other,
            outcome=Outcome.COMMITTED,
            materials=(guidelines,),
        ),
        # Reaches Austria's ministry only through a person who counted for it.
        log(("3.2",), day + timedelta(days=200), people=((anna, at_policy),), logged_by=other),
        # A person who counted for no organisation reaches no country.
        log(
            ("1.1",), day - timedelta(days=300), people=((ben, None),), direction=Direction.INBOUND
        ),
        log(
            ("1.3c",),
            day + timedelta(days=3),
            (de_association, fr_enterprise),
            people=((anna, de_enterprise),),
            event=event,
            subject="Stand talk at METAV about the help desk",
        ),
    ]
    deleted = log(("1.3b",), day, (de_enterprise,), logged_by=officer)
    deleted.record.deleted_at = datetime.now(UTC)
    _db.session.flush()
    return {
        "records": records,
        "deleted": deleted,
        "officer": officer,
        "other": other,
        "material": guidelines,
        "event": event,
    }


def _expect(made: dict[str, Any], keep: Any) -> set[int]:
    return {m.record.id for m in made["records"] if keep(m)}


def test_no_filter_lists_every_live_record_newest_first(made) -> None:
    f = OutreachFilter.from_args(MultiDict())
    page = outreach_page(f)
    assert [row.id for row in page.items] == [
        m.record.id
        for m in sorted(made["records"], key=lambda m: (m.record.occurred_at, m.record.id))[::-1]
    ]
    oldest = outreach_page(OutreachFilter.from_args(MultiDict({"sort": "oldest"})))
    assert [row.id for row in oldest.items] == [row.id for row in page.items][::-1]


def test_each_filter_against_counts_made_here(made) -> None:
    officer, other = made["officer"], made["other"]
    cases: list[tuple[dict[str, Any], Any]] = [
        ({"subitem": "1.3b"}, lambda m: "1.3b" in m.codes),
        ({"subitem": "1.3B"}, lambda m: "1.3b" in m.codes),  # case ignored
        ({"commitment": "1"}, lambda m: any("1" in _item_codes_above(c) for c in m.codes)),
        ({"commitment": "1.3"}, lambda m: bool(m.codes & {"1.3a", "1.3b", "1.3c"})),
        ({"commitment": "3"}, lambda m: "3.2" in m.codes),
        ({"channel": "email"}, lambda m: m.record.channel == Channel.EMAIL),
        ({"direction": "inbound"}, lambda m: m.record.direction == Direction.INBOUND),
        ({"outcome": "committed"}, lambda m: m.record.outcome == Outcome.COMMITTED),
        ({"officer": str(officer.id)}, lambda m: m.record.logged_by_id == officer.id),
        ({"officer": str(other.id)}, lambda m: m.record.logged_by_id == other.id),
        ({"country": "DE"}, lambda m: "DE" in m.countries),
        ({"country": "at"}, lambda m: "AT" in m.countries),
        ({"kind": "policy-body"}, lambda m: any(k == "policy-body" for k, _c in m.reached)),
        ({"kind": "enterprise"}, lambda m: any(k == "enterprise" for k, _c in m.reached)),
        # Kind and country of one organisation, not of two different ones.
        ({"kind": "enterprise", "country": "DE"}, lambda m: ("enterprise", "DE") in m.reached),
        (
            {"kind": "national-association", "country": "FR"},
            lambda m: ("national-association", "FR") in m.reached,
        ),
        ({"subitem": "1.3b", "country": "DE"}, lambda m: "1.3b" in m.codes and "DE" in m.countries),
        ({"subitem": "1.3b", "country": "FR"}, lambda m: "1.3b" in m.codes and "FR" in m.countries),
        (
            {"subitem": "1.3c", "country": "DE", "kind": "enterprise"},
            lambda m: "1.3c" in m.codes and ("enterprise", "DE") in m.reached,
        ),
        (
            {"commitment": "1", "country": "DE"},
            lambda m: "DE" in m.countries and any(c.startswith("1.") for c in m.codes),
        ),
        ({"material": str(made["material"].id)}, lambda m: bool(m.record.materials)),
        ({"event": str(made["event"].id)}, lambda m: m.record.event_id is not None),
        ({"q": "METAV help"}, lambda m: "METAV" in m.record.subject),
        ({"q": "metav"}, lambda m: "METAV" in m.record.subject),
        ({"year": "2026"}, lambda m: m.record.occurred_at.astimezone(BRUSSELS).year == 2026),
        ({"year": "2025"}, lambda m: m.record.occurred_at.astimezone(BRUSSELS).year == 2025),
        (
            {"quarter": "2026-Q1"},
            lambda m: (
                m.record.occurred_at.astimezone(BRUSSELS).date() < datetime(2026, 4, 1).date()
                and m.record.occurred_at.astimezone(BRUSSELS).year == 2026
            ),
        ),
        (
            {"from": "2026-03-11", "to": "2026-03-13"},
            lambda m: (
                "2026-03-11"
                <= m.record.occurred_at.astimezone(BRUSSELS).date().isoformat()
                <= "2026-03-13"
            ),
        ),
        (
            {"subitem": "1.3b", "year": "2026", "country": "DE"},
            lambda m: (
                "1.3b" in m.codes
                and "DE" in m.countries
                and m.record.occurred_at.astimezone(BRUSSELS).year == 2026
            ),
        ),
    ]
    for args, keep in cases:
        assert ids(args) == _expect(made, keep), args
    # Every filter leaves something out, and all but the pair that names no organisation
    # (an association in France) find something: no case is vacuous.
    sizes = {str(args): len(_expect(made, keep)) for args, keep in cases}
    assert [a for a, n in sizes.items() if n == len(made["records"])] == []
    assert [a for a, n in sizes.items() if n == 0] == [
        str({"kind": "national-association", "country": "FR"})
    ]


def test_officer_me_is_the_viewer(made) -> None:
    officer = made["officer"]
    assert ids({"officer": "me"}, me=officer.id) == _expect(
        made, lambda m: m.record.logged_by_id == officer.id
    )
    f = OutreachFilter.from_args(MultiDict({"officer": "me"}), me=officer.id)
    assert f.args() == {"officer": "me"}  # links keep saying "me"


def test_a_person_counts_for_the_organisation_stored_with_the_record(made) -> None:
    """Anna counted for the Austrian ministry on the day; a later job elsewhere does not
    move the record (the organisation is stored, not looked up)."""
    through_anna = {made["records"][3].record.id}
    assert ids({"country": "AT"}) == through_anna
    assert ids({"kind": "policy-body", "country": "AT"}) == through_anna
    assert ids({"subitem": "3.2", "country": "AT"}) == through_anna


def test_deleted_records_are_left_out_and_listed_for_admins_apart(made) -> None:
    deleted = made["deleted"].record.id
    assert deleted not in ids({})
    assert deleted not in ids({"subitem": "1.3b", "country": "DE"})
    assert ids({"deleted": "1"}) == {deleted}
    assert ids({"deleted": "1", "subitem": "1.3b", "country": "DE"}) == {deleted}
    assert ids({"deleted": "1", "subitem": "2.2"}) == set()
    # The facets hold live records only.
    facet_ids = set(_db.session.scalars(sa.select(outreach_facets.c.outreach_id)))
    assert deleted not in facet_ids


def test_period_edges_are_days_of_the_viewers_zone(app, db) -> None:
    # 22:30 UTC on 31 March is 00:30 on 1 April in Brussels (summer time, UTC+2).
    late = log(("1.3b",), datetime(2026, 3, 31, 22, 30, tzinfo=UTC)).record.id
    early = log(("1.3b",), datetime(2026, 3, 31, 21, 59, tzinfo=UTC)).record.id  # 23:59 local
    assert ids({"quarter": "2026-Q2"}) == {late}
    assert ids({"quarter": "2026-Q1"}) == {early}
    assert ids({"quarter": "2026-Q2"}, zone=ZoneInfo("UTC")) == set()
    assert ids({"to": "2026-03-31"}) == {early}
    assert ids({"from": "2026-04-01", "to": "2026-04-01"}) == {late}
    assert ids({"from": "2026-03-31", "to": "2026-03-31"}, zone=ZoneInfo("UTC")) == {late, early}
    assert ids({"year": "2026", "quarter": "2026-Q2", "from": "2026-04-01"}) == {late}
    assert ids({"quarter": "2026q1", "subitem": "1.3b"}) == {early}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-04-01", "to": "2026-03-31"}, "to"),
        ({"year": "2025", "quarter": "2026-Q2"}, "quarter"),
        ({"year": "2025", "from": "2026-01-01"}, "year"),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "31.12.2026"}, "to"),
        ({"from": "NaN"}, "from"),
        ({"year": "NaN"}, "year"),
        ({"year": "1e3"}, "year"),
        ({"year": "99999999999999999999999"}, "year"),
        ({"quarter": "2026-Q5"}, "quarter"),
        ({"subitem": "1.3"}, "subitem"),  # an item, not a sub-item
        ({"subitem": "9.9z"}, "subitem"),
        ({"commitment": "7"}, "commitment"),
        ({"subitem": "1.3b", "commitment": "1"}, "commitment"),
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"outcome": "maybe"}, "outcome"),
        ({"officer": "99999999999"}, "officer"),
        ({"officer": "2147483647"}, "officer"),
        ({"officer": "someone"}, "officer"),
        ({"kind": "ngo"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"material": "-1"}, "material"),
        ({"event": "2147483647"}, "event"),
        ({"q": "a\u202eb"}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"deleted": "yes"}, "deleted"),
        ({"sort": "name"}, "sort"),
        ({"page": "0"}, "page"),
        ({"page": "١"}, "page"),
    ],
)
def test_values_the_list_does_not_know_are_refused_naming_the_parameter(
    app, db, args: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        OutreachFilter.from_args(MultiDict(args), me=1)
    assert refused.value.field == field, refused.value


def test_a_parameter_given_twice_is_refused_and_me_needs_a_viewer(app, db) -> None:
    with pytest.raises(ValidationError) as twice:
        OutreachFilter.from_args(MultiDict([("channel", "email"), ("channel", "call")]))
    assert twice.value.field == "channel"
    with pytest.raises(ValidationError) as nobody:
        OutreachFilter.from_args(MultiDict({"officer": "me"}))
    assert nobody.value.field == "officer"


def test_read_returns_every_error_and_keeps_the_words_typed(app, db) -> None:
    f, errors = OutreachFilter.read(
        MultiDict({"channel": "pigeon", "year": "x", "q": "a\u202eb", "country": "DE"})
    )
    assert [e.field for e in errors] == ["year", "channel", "q"]
    assert f.refused == ["year", "channel", "q"]
    assert f.country == "DE" and f.q == "a\u202eb"


def test_facets_follow_changes_through_the_session(app, db) -> None:
    """The hook rewrites the facets of what a transaction changed when it commits; they
    always equal a rebuild from the tables."""
    organisation = factories.make_organisation(kind=OrganisationKind.ENTERPRISE, country_code="DE")
    person = factories.make_person()
    made = log(("1.3b",), datetime(2026, 5, 4, 9, tzinfo=UTC), (organisation,))
    _db.session.commit()
    assert made.record.id in ids({"country": "DE", "subitem": "1.3b"})

    organisation.country_code = "FR"  # a correction of the register
    _db.session.commit()
    assert made.record.id not in ids({"country": "DE"})
    assert made.record.id in ids({"country": "FR", "subitem": "1.3b"})

    made.record.subitems = [factories.subitem("2.2")]
    made.record.person_links = [OutreachPerson(person=person)]
    _db.session.commit()
    assert made.record.id in ids({"commitment": "2", "country": "FR"})
    assert made.record.id not in ids({"subitem": "1.3b"})

    made.record.deleted_at = datetime.now(UTC)
    _db.session.commit()
    assert made.record.id not in ids({"commitment": "2"})
    made.record.deleted_at = None
    _db.session.commit()
    assert made.record.id in ids({"commitment": "2"})

    kept = sorted(_db.session.execute(sa.select(outreach_facets)).all())
    facets.rebuild()
    assert sorted(_db.session.execute(sa.select(outreach_facets)).all()) == kept


def test_rows_name_a_few_of_those_reached_and_leave_out_deleted_and_erased(app, db) -> None:
    organisations = [factories.make_organisation(name=f"Werk {n}") for n in range(3)]
    people = [factories.make_person(first_name="P", last_name=f"Person{n}") for n in range(3)]
    gone = factories.make_organisation(name="Gone GmbH")
    gone.deleted_at = datetime.now(UTC)
    erased = factories.make_person(first_name="", last_name="")
    erased.erased_at = datetime.now(UTC)
    made = log(
        ("1.3b", "2.2"),
        datetime(2026, 5, 4, 9, tzinfo=UTC),
        (*organisations, gone),
        people=tuple((p, None) for p in (*people, erased)),
    )
    page = outreach_page(OutreachFilter.from_args(MultiDict()))
    row = next(r for r in page.items if r.id == made.record.id)
    assert row.codes == ["1.3b", "2.2"]
    assert row.organisations == ["Werk 0", "Werk 1", "Werk 2"]
    assert row.people == []
    assert row.more == 3  # the three people; neither the deleted nor the erased
