"""Regression tests of what an attack on the follow-up pages found: each test names the
bug it keeps fixed. The follow-up pages' own tests (every route, every role, bad input
beside its field) are in test_followups_pages.py; these reuse its fixture."""

from __future__ import annotations

import re
from datetime import date, time

from crm.extensions import db as _db
from crm.models import FollowUpStatus, Outreach, User, utcnow
from tests import factories
from tests.views.test_followups_pages import _as, _complete, _count, _fresh, _sign_out, world

__all__ = ["world"]  # the fixture, imported for the tests below


def _selected(page: str, name: str) -> list[str]:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', page, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option selected value="([^"]*)"', select.group(0))


def test_completing_a_follow_up_about_a_deleted_event_does_not_offer_the_event(
    client, world
) -> None:
    """The complete page chose the follow-up's event even when it had been deleted, so
    completing as the page was filled was refused with "the event was deleted while the
    form was open" (it was deleted long before), and the user had to find the cause."""
    event = factories.make_event()
    follow_up = factories.make_follow_up(
        "Thank the fair's visitors", world["officer"], event=event, person=world["anna"]
    )
    _db.session.flush()
    event.deleted_at = utcnow()
    _db.session.commit()
    _as(client, world["officer"])
    page = client.get(f"/followups/{follow_up.id}/complete").get_data(as_text=True)
    assert _selected(page, "event_id") in ([], [""])
    before = _count(Outreach)
    response = _complete(client, follow_up, event_id="")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _fresh(follow_up.id).status == FollowUpStatus.DONE
    assert _count(Outreach) == before + 1


def test_a_persons_and_an_organisations_pages_list_their_open_follow_ups_and_plan_one(
    client, signed_in, world
) -> None:
    """A person's page had no way to plan a follow-up about them and did not show the
    open ones (only the timeline, by due date, where one overdue for months sits pages
    down): the way from a contact to "what do I still owe them" was missing."""
    anna, organisation = world["anna"], world["organisation"]
    mine = world["mine"]
    done = factories.make_follow_up(
        "Thank Anna for the visit", world["officer"], person=anna, status="done"
    )
    _db.session.commit()
    _as(client, world["officer"])
    for path, query in (
        (f"/people/{anna.id}", f"person={anna.id}"),
        (f"/organisations/{organisation.id}", f"organisation={organisation.id}"),
    ):
        page = client.get(path).get_data(as_text=True)
        section = re.search(r'<section id="follow-ups".*?</section>', page, re.S)
        assert section, path
        assert f'href="/followups/{mine.id}"' in section.group(0)
        assert f'href="/followups/{done.id}"' not in section.group(0)  # on the timeline
        assert f'href="/followups/new?{query}&amp;next={path}"' in section.group(0)
        form = client.get(f"/followups/new?{query}&next={path}").get_data(as_text=True)
        assert "checked" in form and f'name="next" type="hidden" value="{path}"' in form
    _sign_out(client)
    signed_in("viewer")
    page = client.get(f"/people/{anna.id}").get_data(as_text=True)
    assert f'href="/followups/{mine.id}"' in page
    assert "Plan a follow-up" not in page  # viewers only read follow-ups


def test_no_follow_up_is_offered_about_a_deleted_person(client, world) -> None:
    anna = world["anna"]
    anna.deleted_at = utcnow()
    _db.session.commit()
    admin = factories.make_user("admin")
    _db.session.commit()
    _as(client, admin)
    response = client.get(f"/people/{anna.id}")
    assert response.status_code == 200
    assert "Plan a follow-up" not in response.get_data(as_text=True)


def test_the_due_time_is_repeated_for_the_viewer_only_when_it_reads_differently(
    client, world
) -> None:
    """A follow-up due at 15:00 in Brussels, seen from Berlin (the same clock), showed
    "For you: ... 15:00 (Europe/Berlin)" under "... 15:00 (Europe/Brussels)"."""
    officer = world["officer"]
    officer.timezone = "Europe/Berlin"
    follow_up = factories.make_follow_up(
        "Call the works council back", officer, due_date=date(2030, 2, 4), due_time=time(15)
    )
    _db.session.commit()
    _as(client, officer)
    page = client.get(f"/followups/{follow_up.id}").get_data(as_text=True)
    assert "15:00" in page and "(Europe/Brussels)" in page
    assert "For you:" not in page
    officer = _db.session.get(User, officer.id)
    officer.timezone = "Europe/London"
    _db.session.commit()
    page = client.get(f"/followups/{follow_up.id}").get_data(as_text=True)
    assert "For you: Mon 04 Feb 2030 14:00 (Europe/London)" in page
