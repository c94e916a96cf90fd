"""Timelines on the record pages and their own pages: newest 20, "show more", filters, roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from crm.models import Person, utcnow
from crm.services import register
from tests import factories

START = datetime(2025, 3, 3, 8, 30, tzinfo=UTC)
ENTRY = re.compile(r'<li class="timeline-([a-z-]+)"[ >]')  # outreach entries carry their anchor


def _entries(html: str) -> list[str]:
    return ENTRY.findall(html)


def _subjects(html: str) -> list[str]:
    return re.findall(r'<strong><a href="/outreach/\d+">(Visit \d+)</a></strong>', html)


def _link(html: str, rel: str) -> str | None:
    match = re.search(rf'<a href="([^"]+)" rel="{rel}">', html)
    return match.group(1).replace("&amp;", "&") if match else None


def _organisation_with_history(actor: object, visits: int = 45) -> object:
    organisation = register.create_organisation(
        {
            "name": "Associazione Costruttori Macchine",
            "kind": "national-association",
            "country_code": "IT",
        },
        actor,
    )
    for n in range(visits):
        outreach = factories.make_outreach(
            subitem_codes=("1.3b",) if n % 5 == 0 else ("2.1",),
            organisations=[organisation],
            occurred_at=START + timedelta(days=n),
        )
        outreach.subject = f"Visit {n}"
    return organisation


def test_the_record_page_shows_the_newest_twenty_and_a_link_to_more(client, signed_in, db) -> None:
    officer = signed_in("officer")
    organisation = _organisation_with_history(officer)
    db.session.commit()
    html = client.get(f"/organisations/{organisation.id}").get_data(as_text=True)
    assert _subjects(html) == [f"Visit {n}" for n in range(44, 24, -1)]
    more = _link(html, "next")
    assert more == f"/organisations/{organisation.id}/timeline?page=2"

    html = client.get(more).get_data(as_text=True)
    assert _subjects(html) == [f"Visit {n}" for n in range(24, 4, -1)]
    assert _link(html, "prev") == f"/organisations/{organisation.id}/timeline?page=1"
    last = client.get(_link(html, "next")).get_data(as_text=True)
    # The last page: the five oldest visits, no link further back.
    assert _subjects(last) == [f"Visit {n}" for n in range(4, -1, -1)]
    assert _link(last, "next") is None and "Nothing recorded yet" not in last
    # Officers do not see the audit trail, on the record page or its timeline.
    assert "timeline-change" not in html + last


def test_filters_are_query_parameters_kept_across_pages(client, signed_in, db) -> None:
    coordinator = signed_in("coordinator")
    organisation = _organisation_with_history(coordinator, visits=105)
    db.session.commit()
    path = f"/organisations/{organisation.id}/timeline"
    on_13b = client.get(path, query_string={"subitem": "1.3b"})
    assert on_13b.status_code == 200
    html = on_13b.get_data(as_text=True)
    assert _subjects(html) == [f"Visit {n}" for n in range(100, 0, -5)]
    assert _link(html, "next") == f"{path}?subitem=1.3b&page=2"
    html = client.get(_link(html, "next")).get_data(as_text=True)
    assert _subjects(html) == ["Visit 0"] and 'value="1.3b"' in html

    changes = client.get(path, query_string={"kind": "change"}).get_data(as_text=True)
    assert _entries(changes) == ["change"]  # the creation, seen by a coordinator
    outreach = client.get(path, query_string={"kind": "outreach"}).get_data(as_text=True)
    assert set(_entries(outreach)) == {"outreach"} and len(_entries(outreach)) == 20
    nothing = client.get(path, query_string={"kind": "follow-up"}).get_data(as_text=True)
    assert "No entries match these filters" in nothing


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ({"kind": "meeting"}, "kind", "is not a kind of entry"),
        ({"subitem": "9.9z"}, "subitem", "there is no commitment sub-item"),
        ({"page": "two"}, "page", "is not a whole number"),
        ({"page": "0"}, "page", "must be between 1 and 500"),
    ],
)
def test_an_unknown_filter_is_a_400_naming_it(client, signed_in, db, query, field, says) -> None:
    signed_in("officer")
    person = factories.make_person()
    db.session.commit()
    response = client.get(f"/people/{person.id}/timeline", query_string=query)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert says in html
    if field in ("kind", "subitem"):
        assert f'id="{field}-error"' in html and 'aria-invalid="true"' in html
    else:
        assert f"{field}: " in html


def test_roles_and_deleted_records(client, signed_in, db) -> None:
    person = factories.make_person(first_name="Lucía", last_name="Fernández")
    db.session.commit()
    path = f"/people/{person.id}/timeline"
    assert client.get(path).status_code == 302  # signed out: to the sign-in page
    signed_in("viewer")
    assert client.get(path).status_code == 200
    assert client.get(path, query_string={"kind": "change"}).status_code == 403
    assert client.get("/people/999999/timeline").status_code == 404
    db.session.get(Person, person.id).deleted_at = utcnow()  # requests end their session
    db.session.commit()
    assert client.get(path).status_code == 404  # as the record page is
    client.post("/logout", data={"csrf_token": _token(client)})
    signed_in("admin")
    response = client.get(path, query_string={"kind": "change"})
    assert response.status_code == 200 and "Lucía Fernández" in response.get_data(as_text=True)


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")
