"""The kept coverage figures against a recount: a long seeded run of random writes through
the services (outreach logged, edited, deleted and restored; links between organisations
added, ended and removed; organisations' kind, country and size class corrected; people and
organisations merged, deleted and restored; people erased; a transaction rolled back) leaves
``coverage_figures`` equal to ``recount()`` for every kept period after every commit; and
``rebuild()`` gives the same figures again."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    LinkType,
    Organisation,
    OrganisationKind,
    OrganisationLink,
    Outreach,
    Person,
    coverage_figures,
)
from crm.services import merge, privacy, register
from crm.services.coverage import Period, kept_figures, rebuild, recount
from crm.services.outreach import records as outreach
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
KEY = b"erasure-key-for-tests-0123456789"
CODES = ("1.3b", "1.3a", "2.2", "3.1")
COUNTRIES = ("DE", "FR", "IT")
KINDS = (
    OrganisationKind.ENTERPRISE,
    OrganisationKind.NATIONAL_ASSOCIATION,
    OrganisationKind.AFFILIATE,
    OrganisationKind.POLICY_BODY,
)
LINKS = (LinkType.MEMBER_OF, LinkType.AFFILIATE_OF, LinkType.PARTNER_OF)
PERIODS = (
    Period.all_time(),
    Period.year(2026),
    Period.year(2025),
    Period.quarter(2026, 2),
    Period.quarter(2025, 3),
    Period.month(2026, 6),
    Period.month(2025, 12),
)


class World:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.admin = factories.make_user("admin")
        self.organisations = [
            factories.make_organisation(kind=KINDS[n % 4], country_code=COUNTRIES[n % 3])
            for n in range(7)
        ]
        self.people = [
            factories.make_person(organisation=self.organisations[n % 7]) for n in range(7)
        ]
        self.people.append(factories.make_person())  # counted for none
        self.records: list[Outreach] = []
        _db.session.commit()

    def live_organisations(self) -> list[Organisation]:
        return [o for o in self.organisations if o.deleted_at is None]

    def live_people(self) -> list[Person]:
        return [p for p in self.people if p.deleted_at is None and p.erased_at is None]

    def data(self) -> dict[str, Any]:
        rng = self.rng
        people = self.live_people()
        organisations = self.live_organisations()
        person_ids = sorted({p.id for p in rng.sample(people, min(len(people), rng.randint(0, 3)))})
        organisation_ids = sorted(
            {o.id for o in rng.sample(organisations, min(len(organisations), rng.randint(0, 2)))}
        )
        if not person_ids and not organisation_ids:
            person_ids = [people[0].id]
        return {
            "occurred_at": NOW - timedelta(days=rng.randint(0, 500), hours=rng.randint(0, 23)),
            "channel": "meeting",
            "direction": "outbound",
            "subject": "Presented the guidelines",
            "person_ids": person_ids,
            "organisation_ids": organisation_ids,
            "subitem_ids": [factories.subitem(c).id for c in rng.sample(CODES, rng.randint(1, 2))],
            "material_ids": [],
        }


def _change(world: World) -> str:
    rng = world.rng
    what = rng.choice(
        (
            "log", "log", "log", "edit", "edit", "delete", "restore", "link", "link",
            "end link", "remove link", "correct organisation", "size", "delete organisation",
            "restore organisation", "merge organisations", "merge people", "delete person",
            "restore person", "erase person", "roll back",
        )
    )  # fmt: skip
    records = world.records
    live = [r for r in records if r.deleted_at is None]
    organisations = world.live_organisations()
    people = world.live_people()
    admin = world.admin
    if what == "log" or (what in ("edit", "roll back") and not live):
        world.records.append(outreach.log_outreach(world.data(), admin, now=NOW))
    elif what == "edit":
        record = rng.choice(live)
        outreach.update_outreach(record, world.data(), admin, record.version, now=NOW)
    elif what == "delete" and live:
        record = rng.choice(live)
        outreach.delete_outreach(record, admin, record.version)
    elif what == "restore" and len(live) < len(records):
        outreach.restore_outreach(rng.choice([r for r in records if r.deleted_at]), admin)
    elif what == "link" and len(organisations) > 1:
        source, target = rng.sample(organisations, 2)
        starts = rng.choice((None, date(2025, 7, 1), date(2026, 4, 1)))
        ends = rng.choice((None, None, date(2025, 9, 30), date(2026, 12, 31)))
        if starts and ends and ends < starts:
            ends = None
        try:
            register.add_link(source, target, rng.choice(LINKS).value, starts, ends, admin)
        except Exception:  # an open link of that type already: refused, nothing written
            _db.session.rollback()
    elif what in ("end link", "remove link"):
        links = list(_db.session.scalars(sa.select(OrganisationLink).order_by(OrganisationLink.id)))
        if links:
            link = rng.choice(links)
            if what == "remove link":
                _db.session.delete(link)
            elif link.ends_on is None:
                register.end_link(
                    link, max(link.starts_on or date(2025, 1, 1), date(2025, 8, 1)), admin
                )
    elif what == "correct organisation" and organisations:
        organisation = rng.choice(organisations)
        register.update_organisation(
            organisation,
            {
                "name": organisation.name,
                "kind": rng.choice(KINDS).value,
                "country_code": rng.choice(COUNTRIES),
                "headcount": organisation.headcount,
            },
            admin,
            expected_version=organisation.version,
        )
    elif what == "size" and organisations:
        organisation = rng.choice(organisations)
        register.update_organisation(
            organisation,
            {
                "name": organisation.name,
                "kind": OrganisationKind.ENTERPRISE.value,
                "country_code": organisation.country_code,
                "headcount": rng.choice((3, 30, 120, 900)),
            },
            admin,
            expected_version=organisation.version,
        )
    elif what == "delete organisation" and len(organisations) > 2:
        register.delete_record(rng.choice(organisations), admin)
    elif what == "restore organisation":
        gone = [o for o in world.organisations if o.deleted_at and o.merged_into_id is None]
        if gone:
            register.restore_record(rng.choice(gone), admin)
    elif what == "merge organisations" and len(organisations) > 3:
        survivor, other = rng.sample(organisations, 2)
        merge.merge_organisations(survivor, other, admin)
    elif what == "merge people" and len(people) > 3:
        survivor, other = rng.sample(people, 2)
        merge.merge_people(survivor, other, admin)
    elif what == "delete person" and len(people) > 3:
        register.delete_record(rng.choice(people), admin)
    elif what == "restore person":
        gone = [p for p in world.people if p.deleted_at and p.merged_into_id is None]
        if gone:
            register.restore_record(rng.choice(gone), admin)
    elif what == "erase person" and len(people) > 3:
        privacy.erase_person(rng.choice(people), admin, KEY)
    elif what == "roll back":
        record = rng.choice(live)
        outreach.update_outreach(record, world.data(), admin, record.version, now=NOW)
        _db.session.flush()
        _db.session.rollback()
        for loaded in (*world.records, *world.organisations, *world.people):
            _db.session.refresh(loaded)
    return what


def _differences(period: Period) -> dict[Any, tuple[Any, Any]]:
    kept, counted = kept_figures(period), recount(period)
    return {
        key: (kept.get(key), counted.get(key))
        for key in set(kept) | set(counted)
        if kept.get(key) != counted.get(key)
    }


@pytest.mark.parametrize("seed", [11, 2026])
def test_the_kept_figures_equal_a_recount_after_a_long_run_of_writes(app, db, seed) -> None:
    world = World(random.Random(seed))
    done: list[str] = []
    for step in range(90):
        done.append(_change(world))
        _db.session.commit()
        if step % 6 == 5:
            for period in PERIODS:
                assert _differences(period) == {}, (period.key, done[-6:])
    assert len({o.id for o in world.organisations if o.merged_into_id}) > 0, done
    for period in PERIODS:
        assert _differences(period) == {}, period.key
    assert kept_figures(Period.all_time())  # the run wrote something to compare
    kept_before = {period.key: kept_figures(period) for period in PERIODS}
    rebuild()
    _db.session.commit()
    assert {period.key: kept_figures(period) for period in PERIODS} == kept_before


def test_a_record_logged_and_deleted_in_one_transaction_leaves_nothing(app, db) -> None:
    world = World(random.Random(1))
    before = _db.session.scalar(sa.select(sa.func.count()).select_from(coverage_figures))
    record = outreach.log_outreach(world.data(), world.admin, now=NOW)
    _db.session.flush()
    assert kept_figures(Period.all_time())  # read within the transaction: its own figures
    outreach.delete_outreach(record, world.admin, record.version)
    _db.session.commit()
    assert _db.session.scalar(sa.select(sa.func.count()).select_from(coverage_figures)) == before
    outreach.restore_outreach(record, world.admin)
    _db.session.commit()
    assert _differences(Period.all_time()) == {}
    assert kept_figures(Period.all_time())


@pytest.mark.slow  # the demo generated and its figures rebuilt twice
def test_the_demo_and_reindex_leave_figures_equal_to_a_recount(app, db, runner) -> None:
    from crm.cli import cli
    from crm.demo import generate_demo
    from crm.progress import NullProgress

    generate_demo(scale=1, seed=2027, password="demo password 0123", progress=NullProgress())
    _db.session.commit()
    year = _db.session.scalar(sa.select(sa.func.max(Outreach.occurred_at))).year
    periods = (Period.all_time(), Period.year(year), Period.quarter(year, 1))
    for period in periods:
        assert _differences(period) == {}, period.key
    assert kept_figures(Period.all_time())
    _db.session.execute(sa.delete(coverage_figures))  # lost: reindex brings them back
    result = runner.invoke(cli, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "coverage figures rebuilt" in result.output
    for period in periods:
        assert _differences(period) == {}, period.key


def _record(admin: Any, organisations: list[Organisation], code: str, day: datetime) -> Outreach:
    return outreach.log_outreach(
        {
            "occurred_at": day,
            "channel": "meeting",
            "direction": "outbound",
            "subject": "Presented the guidelines",
            "person_ids": [],
            "organisation_ids": [o.id for o in organisations],
            "subitem_ids": [factories.subitem(code).id],
            "material_ids": [],
        },
        admin,
        now=NOW,
    )


def _indirect(organisation: Organisation) -> set[tuple[str, int]]:
    from crm.models import coverage_indirect

    c = coverage_indirect.c
    return {
        (period, item)
        for period, item in _db.session.execute(
            sa.select(c.period_key, c.item_id).where(c.organisation_id == organisation.id)
        )
    }


def test_a_member_is_placed_anew_only_where_its_association_or_itself_moved(app, db) -> None:
    """A record that reaches an association in a new month places its member there (and
    in the item and periods above), leaving the member's other placements as they were; a
    record that reaches the member itself in that month takes it out of indirect reach
    there alone. Every step equals a recount."""
    admin = factories.make_user("admin")
    association = factories.make_organisation(kind=OrganisationKind.NATIONAL_ASSOCIATION)
    member = factories.make_organisation()
    _db.session.commit()
    register.add_link(member, association, LinkType.MEMBER_OF.value, None, None, admin)
    _record(admin, [association], "1.3b", datetime(2025, 12, 3, 10, 0, tzinfo=UTC))
    _db.session.commit()
    first = _indirect(member)
    assert ("2025-12", factories.subitem("1.3b").id) in first
    _record(admin, [association], "2.2", datetime(2026, 6, 2, 10, 0, tzinfo=UTC))
    _db.session.commit()
    second = _indirect(member)
    assert first < second
    assert ("2026-06", factories.subitem("2.2").id) in second
    _record(admin, [member], "2.2", datetime(2026, 6, 9, 10, 0, tzinfo=UTC))
    _db.session.commit()
    third = _indirect(member)
    assert ("2026-06", factories.subitem("2.2").id) not in third
    assert ("2025-12", factories.subitem("1.3b").id) in third
    assert first <= third
    for period in PERIODS:
        assert _differences(period) == {}, period.key


def test_a_link_repointed_by_a_core_statement_after_its_flush_is_counted_at_commit(app, db) -> None:
    """The hook counts a record when its flush ends; a Core statement of the same
    transaction that then rewrites its links (as merges do) is seen at the commit."""
    from crm.models import outreach_organisations

    admin = factories.make_user("admin")
    first = factories.make_organisation(country_code="DE")
    second = factories.make_organisation(kind=OrganisationKind.POLICY_BODY, country_code="FR")
    _db.session.commit()
    record = _record(admin, [first], "3.1", datetime(2026, 5, 5, 10, 0, tzinfo=UTC))
    _db.session.flush()
    link = outreach_organisations.c
    _db.session.execute(
        sa.update(outreach_organisations)
        .where(link.outreach_id == record.id)
        .values(organisation_id=second.id)
    )
    _db.session.commit()
    for period in PERIODS:
        assert _differences(period) == {}, period.key
    # and a transaction that writes through flushes alone is counted by them
    _db.session.refresh(record)
    outreach.update_outreach(
        record,
        {**_data_of(record), "organisation_ids": [first.id, second.id]},
        admin,
        record.version,
        now=NOW,
    )
    _db.session.commit()
    for period in PERIODS:
        assert _differences(period) == {}, period.key


def _data_of(record: Outreach) -> dict[str, Any]:
    return {
        "occurred_at": record.occurred_at,
        "channel": "meeting",
        "direction": "outbound",
        "subject": record.subject,
        "person_ids": [],
        "organisation_ids": [o.id for o in record.organisations],
        "subitem_ids": [s.id for s in record.subitems],
        "material_ids": [],
    }
