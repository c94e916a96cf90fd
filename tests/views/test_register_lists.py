"""The register's lists and record pages (issue 7): sorts both ways, erased people and
deleted organisations, what exports leave out."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

from crm.extensions import db as _db
from crm.models import LinkType, Organisation, OrganisationKind, Person
from crm.services import merge, privacy, register
from tests import factories

SORT_LINK = re.compile(r'<th scope="col">\s*<a href="([^"]*sort=[^"]*)"')
ACTIVE_SORT = re.compile(r'<a href="([^"]*)" aria-current="true">')


def _names_in(page: str, names: list[str]) -> list[str]:
    """The names of ``names`` in the order the page shows them."""
    found = sorted((page.index(f">{n}"), n) for n in names if f">{n}" in page)
    return [n for _at, n in found]


def _sorts_both_ways(client, path: str, names: list[str]) -> set[str]:
    """Follow every sort link the page offers, then its link the other way: the order must
    turn around. Returns the sort keys offered."""
    offered = SORT_LINK.findall(client.get(path).get_data(as_text=True))
    keys = set()
    for href in offered:
        href = unescape(href)
        key = re.search(r"sort=([^&]*)", href).group(1)
        keys.add(key)
        first = client.get(href)
        assert first.status_code == 200, href
        page = first.get_data(as_text=True)
        there = _names_in(page, names)
        back = ACTIVE_SORT.search(page)  # the active sort's link turns it around
        assert back, (key, "no link the other way")
        second = client.get(unescape(back.group(1)))
        assert second.status_code == 200
        back_again = _names_in(second.get_data(as_text=True), names)
        assert back_again == there[::-1], (key, there, back_again)
    return keys


def test_every_sort_of_the_people_list_works_both_ways(client, signed_in, db) -> None:
    signed_in("viewer")
    people = []
    for first, last, country in (
        ("Ana", "Adler", "DE"),
        ("Ben", "Berg", "FR"),
        ("Cy", "Zorn", "AT"),
    ):
        person = factories.make_person(first_name=first, last_name=last)
        person.country_code = country
        people.append(f"{last}, {first}")
    _db.session.commit()
    # Name order is neither country order nor its reverse: a sort that falls back shows.
    keys = _sorts_both_ways(client, "/people?q=", people)
    assert {"-name", "country"} <= keys


def test_every_sort_of_the_organisations_list_works_both_ways(client, signed_in, db) -> None:
    signed_in("viewer")
    names = []
    for name, kind, country in (
        ("Alpha Werkzeug", OrganisationKind.ENTERPRISE, "DE"),
        ("Beta Verband", OrganisationKind.NATIONAL_ASSOCIATION, "FR"),
        ("Gamma Partner", OrganisationKind.VALUE_CHAIN_PARTNER, "AT"),
    ):
        factories.make_organisation(name=name, kind=kind, country_code=country)
        names.append(name)
    _db.session.commit()
    keys = _sorts_both_ways(client, "/organisations", names)
    assert {"country", "kind"} <= keys


def test_erased_people_are_left_out_of_lists_and_organisation_pages(
    app, client, signed_in, db
) -> None:
    admin = signed_in("admin")
    works = factories.make_organisation(name="Erasure Works GmbH")
    kept = factories.make_person(first_name="Kept", last_name="Person", organisation=works)
    erased = factories.make_person(first_name="Gone", last_name="Person", organisation=works)
    twin = factories.make_person(first_name="Gone", last_name="Persson")
    merge.merge_people(erased, twin, admin)  # the twin: deleted, merged, then erased with it
    privacy.erase_person(erased, admin, app.config["CRM_ERASURE_KEY"].encode())
    _db.session.commit()
    kept, erased, twin, works = kept.id, erased.id, twin.id, works.id  # ids outlive requests
    for path in (
        "/people",
        "/people?deleted=1",
        "/people?sort=-name",
        f"/people?organisation={works}",
    ):
        page = client.get(path).get_data(as_text=True)
        assert f'/people/{erased}"' not in page, path
        assert f'/people/{twin}"' not in page, path
        assert '<a href="/people/' + str(erased) not in page
        assert '"></a>' not in page, path  # no nameless row
    page = client.get(f"/people?organisation={works}").get_data(as_text=True)
    assert "Person, Kept" in page and "1 person" in page
    page = client.get(f"/organisations/{works}").get_data(as_text=True)
    assert f"/people/{kept}" in page and f"/people/{erased}" not in page
    assert "Erased person" not in page
    # The record itself stays, for the reports' counts and for those who open it by its id.
    assert client.get(f"/people/{erased}").status_code == 200


def _with_deleted_employer(db) -> tuple[Person, Organisation, Organisation]:
    admin = factories.make_user(role="admin")
    live = factories.make_organisation(name="Live Fräswerk GmbH")
    gone = factories.make_organisation(name="Secret Gone Holding AG")
    person = factories.make_person(first_name="Paula", last_name="Position", organisation=gone)
    register.add_link(live, gone, LinkType.MEMBER_OF.value, None, None, admin)
    register.delete_record(gone, admin)
    _db.session.commit()
    return person, live, gone


def test_deleted_organisations_are_named_only_to_those_who_may_see_them(
    client, signed_in, db
) -> None:
    person, live, gone = _with_deleted_employer(db)
    signed_in("officer")
    for path in (f"/people/{person.id}", f"/organisations/{live.id}", "/people?q=paula"):
        page = client.get(path).get_data(as_text=True)
        assert gone.name not in page, path
        assert f'/organisations/{gone.id}"' not in page, path
    assert "A deleted organisation" in client.get(f"/people/{person.id}").get_data(as_text=True)
    assert "a deleted organisation" in client.get(f"/organisations/{live.id}").get_data(
        as_text=True
    )


def test_admins_see_deleted_organisations_by_name_marked_deleted(client, signed_in, db) -> None:
    person, live, gone = _with_deleted_employer(db)
    signed_in("admin")
    for path in (f"/people/{person.id}", f"/organisations/{live.id}"):
        page = client.get(path).get_data(as_text=True)
        shown = (
            f'href="/organisations/{gone.id}">{gone.name}</a> <span class="badge badge-deleted">'
        )
        assert shown in page, path


def test_the_list_says_how_many_people_exports_leave_out(client, signed_in, db) -> None:
    signed_in("officer")
    for n in range(3):
        factories.make_person(first_name="Rita", last_name=f"Restricted{n}").is_restricted = True
    factories.make_person(first_name="Rita", last_name="Free")
    _db.session.commit()
    page = client.get("/people?q=rita").get_data(as_text=True)
    assert "4 people" in page
    assert "3 restricted people are left out of exports" in page
    page = client.get("/people?q=rita+free").get_data(as_text=True)
    assert "left out of exports" not in page
    page = client.get("/people?q=rita+restricted0").get_data(as_text=True)
    assert "1 restricted person is left out of exports" in page


def test_viewers_and_deleted_lists_get_no_export_count(client, signed_in, db) -> None:
    factories.make_person(first_name="Rita", last_name="Restricted").is_restricted = True
    gone = factories.make_person(first_name="Dora", last_name="Deleted")
    gone.deleted_at = datetime.now(UTC)
    _db.session.commit()
    signed_in("viewer")
    page = client.get("/people?q=rita").get_data(as_text=True)
    assert "left out of exports" not in page and "Export this list" not in page


def test_the_deleted_list_says_it_is_never_exported(client, signed_in, db) -> None:
    gone = factories.make_person(first_name="Dora", last_name="Deleted")
    gone.deleted_at = datetime.now(UTC)
    _db.session.commit()
    signed_in("admin")
    page = client.get("/people?deleted=1").get_data(as_text=True)
    assert "Deleted, Dora" in page
    assert "Deleted records are never exported." in page and "Export this list" not in page
