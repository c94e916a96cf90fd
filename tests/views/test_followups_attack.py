"""Regression tests of what an attack on the follow-up pages found: each test names the
bug it keeps fixed. The follow-up pages' own tests (every route, every role, bad input
beside its field) are in test_followups_pages.py; these reuse its fixture."""

from __future__ import annotations

import re

from crm.extensions import db as _db
from crm.models import FollowUpStatus, Outreach, utcnow
from tests import factories
from tests.views.test_followups_pages import _as, _complete, _count, _fresh, world

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
