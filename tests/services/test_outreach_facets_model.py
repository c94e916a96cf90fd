"""The outreach list's facets against a model: a random sequence of changes made through the
services (outreach logged, edited, deleted and restored; organisations corrected, deleted,
restored and merged; people merged and erased; a transaction rolled back) leaves
``outreach_facets`` equal, after every commit, to the facets computed here from the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db as _db
from crm.models import (
    CommitmentItem,
    Organisation,
    OrganisationKind,
    Outreach,
    Person,
    outreach_facets,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.services import merge, privacy, register
from crm.services.outreach import records as outreach
from crm.services.outreach.facets import country_facet, item_country_facet, item_facet, kind_facet
from tests import factories

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
KEY = b"erasure-key-for-tests-0123456789"
CODES = ("1.3b", "1.3a", "2.2", "3.1")
COUNTRIES = ("DE", "FR", "IT")
KINDS = (OrganisationKind.ENTERPRISE, OrganisationKind.AFFILIATE, OrganisationKind.POLICY_BODY)


def expected_facets() -> set[tuple[str, datetime, int]]:
    """Every live record's facets, worked out in Python from the tables: a sub-item and
    every item above it; the country and kind of each organisation reached, directly or
    through the one a person counted for; each sub-item with each country."""
    parent = dict(_db.session.execute(sa.select(CommitmentItem.id, CommitmentItem.parent_id)).all())
    organisations = {
        row.id: row
        for row in _db.session.execute(
            sa.select(Organisation.id, Organisation.country_code, Organisation.kind)
        )
    }
    subitems: dict[int, set[int]] = {}
    for outreach_id, item_id in _db.session.execute(sa.select(outreach_subitems)):
        subitems.setdefault(outreach_id, set()).add(item_id)
    reached: dict[int, set[int]] = {}
    for outreach_id, organisation_id in _db.session.execute(
        sa.select(outreach_organisations.c.outreach_id, outreach_organisations.c.organisation_id)
    ):
        reached.setdefault(outreach_id, set()).add(organisation_id)
    for outreach_id, organisation_id in _db.session.execute(
        sa.select(outreach_people.c.outreach_id, outreach_people.c.organisation_id)
    ):
        if organisation_id is not None:
            reached.setdefault(outreach_id, set()).add(organisation_id)
    rows: set[tuple[str, datetime, int]] = set()
    live = sa.select(Outreach.id, Outreach.occurred_at).where(Outreach.deleted_at.is_(None))
    for record_id, at in _db.session.execute(live):
        names: set[str] = set()
        leaves = subitems.get(record_id, set())
        for leaf in leaves:
            item: int | None = leaf
            while item is not None:
                names.add(item_facet(item))
                item = parent[item]
        for organisation_id in reached.get(record_id, set()):
            organisation = organisations[organisation_id]
            kind = getattr(organisation.kind, "value", organisation.kind)
            names.add(kind_facet(kind))
            if organisation.country_code:
                names.add(country_facet(organisation.country_code))
                names.update(item_country_facet(leaf, organisation.country_code) for leaf in leaves)
        rows.update((name, at, record_id) for name in names)
    return rows


def stored_facets() -> set[tuple[str, datetime, int]]:
    return {tuple(row) for row in _db.session.execute(sa.select(outreach_facets))}  # type: ignore[misc]


class World:
    """What the random changes pick from: an admin, organisations, people and records."""

    def __init__(self) -> None:
        self.admin = factories.make_user("admin")
        self.organisations = [
            factories.make_organisation(kind=KINDS[n % 3], country_code=COUNTRIES[n % 3])
            for n in range(4)
        ]
        self.people = [
            factories.make_person(organisation=self.organisations[n % 4]) for n in range(5)
        ]
        self.records: list[Outreach] = []
        _db.session.commit()

    def live_organisations(self) -> list[Organisation]:
        return [o for o in self.organisations if o.deleted_at is None]

    def live_people(self) -> list[Person]:
        return [p for p in self.people if p.deleted_at is None and p.erased_at is None]

    def data(self, draw: Any) -> dict[str, Any]:
        people = self.live_people()
        organisations = self.live_organisations()
        person_ids = sorted({p.id for p in draw(st.lists(st.sampled_from(people), max_size=3))})
        organisation_ids = (
            sorted({o.id for o in draw(st.lists(st.sampled_from(organisations), max_size=2))})
            if organisations
            else []
        )
        if not person_ids and not organisation_ids:
            person_ids = [people[0].id]
        codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=2, unique=True))
        return {
            "occurred_at": NOW - timedelta(days=draw(st.integers(0, 400))),
            "channel": "meeting",
            "direction": "outbound",
            "subject": "Presented the guidelines",
            "person_ids": person_ids,
            "organisation_ids": organisation_ids,
            "subitem_ids": [factories.subitem(code).id for code in codes],
            "material_ids": [],
        }


def _change(world: World, draw: Any) -> None:
    """One change through a service; some are refused by their rules (nothing is written)."""
    what = draw(
        st.sampled_from(
            (
                "log",
                "edit",
                "delete",
                "restore",
                "correct organisation",
                "delete organisation",
                "restore organisation",
                "merge organisations",
                "merge people",
                "erase person",
                "roll back",
            )
        )
    )
    records = list(world.records)
    live = [r for r in records if r.deleted_at is None]
    organisations = world.live_organisations()
    people = world.live_people()
    admin = world.admin
    if what == "log" or (what == "edit" and not live):
        world.records.append(outreach.log_outreach(world.data(draw), admin, now=NOW))
    elif what == "edit":
        record = draw(st.sampled_from(live))
        outreach.update_outreach(record, world.data(draw), admin, record.version, now=NOW)
    elif what == "delete" and live:
        record = draw(st.sampled_from(live))
        outreach.delete_outreach(record, admin, record.version)
    elif what == "restore" and len(live) < len(records):
        outreach.restore_outreach(
            draw(st.sampled_from([r for r in records if r.deleted_at])), admin
        )
    elif what == "correct organisation" and organisations:
        organisation = draw(st.sampled_from(organisations))
        register.update_organisation(
            organisation,
            {
                "name": organisation.name,
                "kind": draw(st.sampled_from(KINDS)).value,
                "country_code": draw(st.sampled_from(COUNTRIES)),
            },
            admin,
            expected_version=organisation.version,
        )
    elif what == "delete organisation" and len(organisations) > 1:
        register.delete_record(draw(st.sampled_from(organisations)), admin)
    elif what == "restore organisation":
        gone = [o for o in world.organisations if o.deleted_at and o.merged_into_id is None]
        if gone:
            register.restore_record(draw(st.sampled_from(gone)), admin)
    elif what == "merge organisations" and len(organisations) > 1:
        survivor, other = draw(st.permutations(organisations))[:2]
        merge.merge_organisations(survivor, other, admin)
    elif what == "merge people" and len(people) > 2:
        # Often two people of one record: the merge drops one of their links.
        together = [[link.person for link in r.person_links if link.person in people] for r in live]
        pairs = [names for names in together if len(names) > 1]
        if pairs and draw(st.booleans()):
            survivor, other = draw(st.permutations(draw(st.sampled_from(pairs))))[:2]
        else:
            survivor, other = draw(st.permutations(people))[:2]
        merge.merge_people(survivor, other, admin)
    elif what == "erase person" and len(people) > 2:
        privacy.erase_person(draw(st.sampled_from(people)), admin, KEY)
    elif what == "roll back" and live:
        record = draw(st.sampled_from(live))
        outreach.update_outreach(record, world.data(draw), admin, record.version, now=NOW)
        _db.session.flush()
        _db.session.rollback()
        for loaded in (*world.records, *world.organisations, *world.people):
            _db.session.refresh(loaded)


@settings(
    max_examples=40,
    derandomize=True,  # the same examples in every run: CI fails only on a real change
    database=None,  # fixed examples need no store of failures (no .hypothesis/ folder)
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_facets_equal_the_tables_after_every_commit(app, db, data) -> None:
    world = World()
    for _step in range(data.draw(st.integers(1, 10), label="steps")):
        _change(world, data.draw)
        _db.session.commit()
        assert stored_facets() == expected_facets()


def test_merging_two_people_on_one_record_drops_the_facets_of_the_others_organisation(
    app, db
) -> None:
    """Both people on one record: the merge drops the other's link (a Core DELETE), and with
    it the country the other counted for."""
    world = World()
    german, french = world.organisations[0], world.organisations[1]
    survivor = factories.make_person(organisation=german)
    other = factories.make_person(organisation=french)
    _db.session.commit()
    data = {
        "occurred_at": NOW,
        "channel": "meeting",
        "direction": "outbound",
        "subject": "Presented the guidelines",
        "person_ids": [survivor.id, other.id],
        "subitem_ids": [factories.subitem("1.3b").id],
    }
    record = outreach.log_outreach(data, world.admin, now=NOW)
    _db.session.commit()
    assert (country_facet("FR"), record.occurred_at, record.id) in stored_facets()
    merge.merge_people(survivor, other, world.admin)
    _db.session.commit()
    assert stored_facets() == expected_facets()
    assert (country_facet("FR"), record.occurred_at, record.id) not in stored_facets()
