"""The follow-up pages: "My follow-ups", the team's, a follow-up's page, the form, completing
(alone or with the resulting outreach), reopening and cancelling; the outreach form's "Follow
up" part; the navigation's count; time zone and digest hour on "My account". Every route for
every role, bad input beside its field with nothing written, stale versions, and never a 500
for whatever the URL, the query string or the form holds."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    FollowUp,
    FollowUpStatus,
    Outreach,
    Reminder,
    User,
    utcnow,
)
from crm.models.followups import due_key
from crm.services.checks import MAX_ID
from crm.services.followups import listing
from tests import factories
from tests.conftest import csrf_token, sign_in

BRUSSELS = ZoneInfo("Europe/Brussels")


def _today() -> date:
    return datetime.now(BRUSSELS).date()


def _count(model: type = FollowUp) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return match.group(1)


def _fresh(follow_up_id: int) -> FollowUp:
    follow_up = _db.session.get(FollowUp, follow_up_id)
    _db.session.refresh(follow_up)
    return follow_up


def _fresh_user(user_id: int) -> User:
    user = _db.session.get(User, user_id)
    _db.session.refresh(user)
    return user


def _buttons(page: str, follow_up_id: int) -> set[str]:
    """The steps a follow-up's page offers: links and forms to each."""
    return {
        step
        for step, mark in (
            ("complete", f'href="/followups/{follow_up_id}/complete"'),
            ("edit", f'href="/followups/{follow_up_id}/edit"'),
            ("cancel", f'action="/followups/{follow_up_id}/cancel"'),
            ("reopen", f'action="/followups/{follow_up_id}/reopen"'),
        )
        if mark in page
    }


def _sign_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


@pytest.fixture()
def world(db):
    """An organisation with a person, an outreach record about them, an officer who holds
    a follow-up about it and a colleague who holds another."""
    organisation = factories.make_organisation("Maschinenfabrik Kowalski GmbH")
    anna = factories.make_person(
        "Anna", "Schmidt", organisation, email="anna.schmidt@kowalski.example"
    )
    officer = factories.make_user("officer", full_name="Olga Officer")
    colleague = factories.make_user("officer", full_name="Carl Colleague")
    record = factories.make_outreach(
        logged_by=officer, people=[anna], organisations=[organisation], subitem_codes=("2.1",)
    )
    mine = factories.make_follow_up(
        "Send Anna the training module",
        officer,
        person=anna,
        organisation=organisation,
        outreach=record,
        subitem_codes=("2.1",),
    )
    theirs = factories.make_follow_up(
        "Call the works council", colleague, organisation=organisation
    )
    db.session.commit()
    return {
        "organisation": organisation,
        "anna": anna,
        "officer": officer,
        "colleague": colleague,
        "record": record,
        "mine": mine,
        "theirs": theirs,
    }


def _as(client, user: User) -> None:
    response = sign_in(client, user.email)
    assert response.status_code == 302


def _form(client, path: str = "/followups/new", **override: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, path),
        "title": "Send the position paper",
        "due_date": (_today() + timedelta(days=5)).isoformat(),
        "due_time": "",
        "notes": "",
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


# Who may do what ----------------------------------------------------------------------------


def _routes(follow_up_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/followups"),
        ("get", "/followups/team"),
        ("get", "/followups/new"),
        ("post", "/followups/new"),
        ("get", f"/followups/{follow_up_id}"),
        ("get", f"/followups/{follow_up_id}/edit"),
        ("post", f"/followups/{follow_up_id}/edit"),
        ("get", f"/followups/{follow_up_id}/complete"),
        ("post", f"/followups/{follow_up_id}/complete"),
        ("post", f"/followups/{follow_up_id}/reopen"),
        ("post", f"/followups/{follow_up_id}/cancel"),
    ]


def test_every_route_sends_anonymous_visitors_to_sign_in(client, world) -> None:
    token = csrf_token(client)
    for method, path in _routes(world["mine"].id):
        data = {"csrf_token": token} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)
    # Nothing changed on the way.
    assert _fresh(world["mine"].id).status == FollowUpStatus.OPEN


def test_viewers_read_follow_ups_but_change_nothing(client, signed_in, world) -> None:
    signed_in("viewer")
    token = csrf_token(client, "/")
    readable = {"/followups", f"/followups/{world['mine'].id}"}
    for method, path in _routes(world["mine"].id):
        data = {"csrf_token": token, "version": "1", "then": "only"} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        expected = 200 if method == "get" and path in readable else 403
        assert response.status_code == expected, (method, path)
    page = client.get(f"/followups/{world['mine'].id}").get_data(as_text=True)
    assert "Send Anna the training module" in page and "Anna Schmidt" in page
    assert _buttons(page, world["mine"].id) == set()
    listing = client.get("/followups").get_data(as_text=True)
    assert "Your role holds no follow-ups" in listing
    assert 'class="nav-count"' not in listing
    assert _fresh(world["mine"].id).status == FollowUpStatus.OPEN


def test_an_officer_reads_a_colleagues_follow_up_but_cannot_change_it(client, world) -> None:
    _as(client, world["officer"])
    theirs = world["theirs"]
    page = client.get(f"/followups/{theirs.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Call the works council" in html and "Carl Colleague" in html
    assert _buttons(html, theirs.id) == set()
    token = csrf_token(client, "/")
    for method, path in _routes(theirs.id)[5:]:
        data = {"csrf_token": token, "version": str(theirs.version), "then": "only"}
        response = getattr(client, method)(path, data=data if method == "post" else None)
        assert response.status_code == 403, (method, path)
    assert client.get("/followups/team").status_code == 403
    follow_up = _fresh(theirs.id)
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.version == theirs.version
    # Their own shows the buttons.
    html = client.get(f"/followups/{world['mine'].id}").get_data(as_text=True)
    assert _buttons(html, world["mine"].id) == {"complete", "edit", "cancel"}


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_admins_change_anyones_and_see_the_team(
    client, signed_in, world, role
) -> None:
    signed_in(role)
    theirs = world["theirs"]
    assert client.get("/followups/team").status_code == 200
    assert client.get(f"/followups/{theirs.id}/edit").status_code == 200
    response = client.post(
        f"/followups/{theirs.id}/edit",
        data=_form(
            client,
            f"/followups/{theirs.id}/edit",
            title="Call the works council again",
            assignee_id=str(theirs.assignee_id),
            organisation_ids=[str(world["organisation"].id)],
            version=str(theirs.version),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _fresh(theirs.id).title == "Call the works council again"


def test_an_organiser_changes_those_they_created_for_someone_else(client, world) -> None:
    organiser = factories.make_user("organiser")
    handed = factories.make_follow_up("Book the stand", world["colleague"], created_by=organiser)
    _db.session.commit()
    _as(client, organiser)
    assert client.get(f"/followups/{handed.id}/edit").status_code == 200
    assert client.get(f"/followups/{world['theirs'].id}/edit").status_code == 403


# "My follow-ups" and the navigation's count ---------------------------------------------------


def test_my_follow_ups_in_four_groups_and_the_count_of_the_overdue(client, world) -> None:
    officer = world["officer"]
    now = datetime.now(UTC)
    today = _today()
    sunday = today + timedelta(days=6 - today.weekday())
    overdue = factories.make_follow_up("Late one", officer, due_date=today - timedelta(days=3))
    late_today = factories.make_follow_up("An hour ago", officer, due=now - timedelta(hours=1))
    due_today = factories.make_follow_up("Later today", officer, due_date=today)
    this_week = (
        factories.make_follow_up("Before Sunday", officer, due_date=sunday)
        if sunday > today
        else None
    )
    later = factories.make_follow_up("Next month", officer, due_date=today + timedelta(days=40))
    done = factories.make_follow_up("Done already", officer, due_date=today, status="done")
    _db.session.commit()
    _as(client, officer)
    page = client.get("/followups").get_data(as_text=True)

    def section(key: str) -> str:
        start = page.index(f'<section id="{key}"')
        return page[start : page.index("</section>", start)]

    assert "Late one" in section("overdue") and "An hour ago" in section("overdue")
    assert section("overdue").count('class="badge badge-overdue"') == 2
    assert "Later today" in section("today")
    if this_week is not None:
        assert "Before Sunday" in section("this-week")
    assert "Next month" in section("later")
    assert "Send Anna the training module" in section("later") or "Send Anna" in page
    assert "Done already" not in page and "Call the works council" not in page
    # Each row links to its page and to completing it, back here.
    assert f'href="/followups/{overdue.id}"' in page
    assert f'href="/followups/{late_today.id}/complete?next=/followups"' in page
    assert due_today.id and later.id and done.id
    # The navigation counts the two overdue ones, on every page.
    for path in ("/followups", "/people", "/account"):
        html = client.get(path).get_data(as_text=True)
        assert re.search(
            r'Follow-ups <span class="nav-count">2<span class="visually-hidden"> overdue</span>',
            html,
        ), path


def test_the_count_stops_at_a_hundred(client, world) -> None:
    officer = world["officer"]
    long_ago = _today() - timedelta(days=400)
    for n in range(100):
        factories.make_follow_up(f"Overdue {n}", officer, due_date=long_ago + timedelta(days=n))
    _db.session.commit()
    assert listing.overdue_count(officer) == 100
    assert listing.overdue_count(officer, cap=100) == 100
    assert listing.overdue_count(officer, cap=7) == 7
    _as(client, officer)
    html = client.get("/account").get_data(as_text=True)
    assert '<span class="nav-count">99+<span class="visually-hidden"> overdue</span>' in html
    factories.make_follow_up("Not yet", officer, due_date=_today() + timedelta(days=2))
    _db.session.get(FollowUp, world["mine"].id).status = FollowUpStatus.CANCELLED
    _db.session.get(FollowUp, world["mine"].id).cancelled_at = utcnow()
    _db.session.commit()
    assert listing.overdue_count(officer) == 100  # neither one counts


def test_the_groups_follow_the_viewers_time_zone(client, world) -> None:
    officer = _db.session.get(User, world["officer"].id)
    officer.timezone = "Pacific/Kiritimati"  # UTC+14: its "today" may be Brussels' tomorrow
    _db.session.commit()
    kiritimati = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    factories.make_follow_up("Due on their yesterday", officer, due_date=kiritimati - timedelta(1))
    _db.session.commit()
    _as(client, officer)
    page = client.get("/followups").get_data(as_text=True)
    assert "Pacific/Kiritimati" in page
    overdue = page[page.index('<section id="overdue"') : page.index('<section id="today"')]
    assert "Due on their yesterday" in overdue


# Creating: good input, then bad input beside its field with nothing written --------------------


def test_an_officer_plans_a_follow_up_about_a_person_for_a_colleague(client, world) -> None:
    _as(client, world["officer"])
    page = client.get(f"/followups/new?person={world['anna'].id}&next=/people/{world['anna'].id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(rf'name="person_ids" value="{world["anna"].id}" checked', html)
    week = (_today() + timedelta(days=7)).isoformat()
    assert f'value="{week}"' in html  # due a week from today unless changed
    assert f'<option selected value="{world["officer"].id}">' in html  # for themselves
    before = _count(AuditEntry)
    response = client.post(
        "/followups/new",
        data=_form(
            client,
            title="Send Anna the position paper",
            due_time="09:30",
            assignee_id=str(world["colleague"].id),
            person_ids=[str(world["anna"].id)],
            organisations_query="kowalski",  # typed, not picked: resolved on the server
            subitem_ids=[str(factories.subitem("3.2").id)],
            notes="She asked for the German version.",
            next=f"/people/{world['anna'].id}",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/people/{world['anna'].id}"
    follow_up = _db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id.desc())).first()
    assert follow_up.title == "Send Anna the position paper"
    assert follow_up.assignee_id == world["colleague"].id
    assert follow_up.created_by_id == world["officer"].id
    assert follow_up.person_id == world["anna"].id
    assert follow_up.organisation_id == world["organisation"].id
    assert [item.code for item in follow_up.subitems] == ["3.2"]
    assert follow_up.due_time == time(9, 30) and follow_up.due_zone == "Europe/Brussels"
    local = follow_up.due_at.astimezone(BRUSSELS)
    assert (local.date(), local.time()) == (_today() + timedelta(days=5), time(9, 30))
    assert _count(AuditEntry) == before + 1
    # The person's timeline links to it.
    person_page = client.get(f"/people/{world['anna'].id}").get_data(as_text=True)
    assert f'<a href="/followups/{follow_up.id}">Send Anna the position paper</a>' in person_page
    # Its page: due in its zone, the viewer's too when theirs differs.
    officer = _db.session.get(User, world["officer"].id)
    officer.timezone = "America/New_York"
    _db.session.commit()
    html = client.get(f"/followups/{follow_up.id}").get_data(as_text=True)
    assert "(Europe/Brussels)" in html and "For you:" in html and "(America/New_York)" in html
    assert "Anna Schmidt" in html and "Maschinenfabrik Kowalski GmbH" in html


def _refused(client, field: str, path: str = "/followups/new", **override: object) -> str:
    before = _count(), _count(AuditEntry)
    response = client.post(path, data=_form(client, path, **override))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert (_count(), _count(AuditEntry)) == before
    return _error_beside(page, field)


@pytest.mark.parametrize(
    ("override", "field", "says"),
    [
        ({"title": ""}, "title", "required"),
        ({"title": "   "}, "title", "required"),
        ({"title": "x" * 301}, "title", "at most 300"),
        ({"title": "a\x00b"}, "title", "control character"),
        ({"notes": "a\x07b"}, "notes", "control character"),
        ({"due_date": ""}, "due_date", "YYYY-MM-DD"),
        ({"due_date": "2026-02-30"}, "due_date", "February 2026 has 28 days"),
        ({"due_date": "2026-13-01"}, "due_date", "no month 13"),
        ({"due_date": "tomorrow"}, "due_date", "YYYY-MM-DD"),
        ({"due_date": "NaN"}, "due_date", "YYYY-MM-DD"),
        ({"due_date": "1999-12-31"}, "due_date", "before 2000"),
        ({"due_date": "9999-12-31"}, "due_date", "years ahead"),
        ({"due_date": "2027-03-28", "due_time": "02:30"}, "due_time", "does not exist"),
        ({"due_time": "25:00"}, "due_time", "HH:MM"),
        ({"due_time": "NaN"}, "due_time", "HH:MM"),
        ({"assignee_id": "NaN"}, "assignee_id", "not a whole number"),
        ({"assignee_id": str(MAX_ID + 1)}, "assignee_id", "between"),
        ({"assignee_id": "9" * 40}, "assignee_id", "between"),
        ({"assignee_id": str(MAX_ID)}, "assignee_id", "no user"),
        ({"person_ids": ["NaN"]}, "person_ids", "not a whole number"),
        ({"person_ids": [str(2**64)]}, "person_ids", "between"),
        ({"person_ids": [str(MAX_ID)]}, "person_ids", "no person"),
        ({"organisation_ids": ["1e3"]}, "organisation_ids", "not a whole number"),
        ({"organisation_ids": [str(MAX_ID)]}, "organisation_ids", "no organisation"),
        ({"outreach_ids": [str(MAX_ID)]}, "outreach_ids", "no outreach"),
        ({"event_ids": ["-1"]}, "event_ids", "between"),
        ({"event_ids": [str(MAX_ID)]}, "event_ids", "no event"),
        ({"subitem_ids": ["Infinity"]}, "subitem_ids", "not a whole number"),
        ({"subitem_ids": [str(MAX_ID)]}, "subitem_ids", "no sub-item"),
        ({"subitems_query": "9.9z"}, "subitem_ids", ""),
        ({"people_query": "nobody-here-at-all"}, "person_ids", "nobody in the register"),
    ],
)
def test_bad_input_is_refused_beside_its_field(client, world, override, field, says) -> None:
    _as(client, world["officer"])
    assert says in _refused(client, field, **override)


def test_a_commitment_instead_of_a_sub_item(client, world) -> None:
    _as(client, world["officer"])
    message = _refused(client, "subitem_ids", subitem_ids=[str(factories.subitem("1.3").id)])
    assert "not a sub-item" in message and "1.3b" in message


def test_two_people_or_two_organisations_are_one_too_many(client, world) -> None:
    _as(client, world["officer"])
    piotr = factories.make_person("Piotr", "Nowak", world["organisation"])
    _db.session.commit()
    people = [str(world["anna"].id), str(piotr.id)]
    assert "one person at most" in _refused(client, "person_ids", person_ids=people)
    other = factories.make_organisation("Werkzeugbau Gruppe")
    _db.session.commit()
    organisations = [str(world["organisation"].id), str(other.id)]
    assert "one organisation at most" in _refused(
        client, "organisation_ids", organisation_ids=organisations
    )


@pytest.mark.parametrize("role", ["viewer", "deactivated"])
def test_an_assignee_who_cannot_hold_follow_ups(client, world, role) -> None:
    assignee = factories.make_user("viewer" if role == "viewer" else "officer")
    if role == "deactivated":
        assignee.is_active = False
    _db.session.commit()
    _as(client, world["officer"])
    message = _refused(client, "assignee_id", assignee_id=str(assignee.id))
    assert ("viewer" if role == "viewer" else "deactivated") in message
    # The select offers neither.
    html = client.get("/followups/new").get_data(as_text=True)
    assert f'value="{assignee.id}"' not in html


def test_a_person_deleted_or_erased_while_the_form_was_open(client, world) -> None:
    _as(client, world["officer"])
    gone = factories.make_person("Gone", "Person")
    _db.session.commit()
    data = _form(client, person_ids=[str(gone.id)])
    _db.session.get(type(gone), gone.id).deleted_at = utcnow()
    _db.session.commit()
    response = client.post("/followups/new", data=data)
    assert response.status_code == 400
    assert "deleted" in _error_beside(response.get_data(as_text=True), "person_ids")
    assert _count() == 2


@pytest.mark.parametrize(
    "query",
    [
        "person=abc",
        "person=0",
        f"person={MAX_ID}",
        f"person={MAX_ID + 1}",
        "organisation=NaN",
        "outreach=1x",
        f"outreach={10**30}",
        "event=-1",
        "event=%00",
    ],
)
def test_a_bad_prefill_is_a_400_naming_the_parameter(client, world, query) -> None:
    _as(client, world["officer"])
    response = client.get(f"/followups/new?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] + ":" in response.get_data(as_text=True)


def test_from_an_outreach_record_the_form_is_filled_from_it(client, world) -> None:
    _as(client, world["officer"])
    record = world["record"]
    page = client.get(f"/outreach/{record.id}").get_data(as_text=True)
    # Its page lists its follow-ups, linked, and offers another.
    assert f'<a href="/followups/{world["mine"].id}">Send Anna the training module</a>' in page
    assert f"/followups/new?outreach={record.id}" in page
    html = client.get(f"/followups/new?outreach={record.id}").get_data(as_text=True)
    assert f'value="Follow up: {record.subject}"' in html
    assert re.search(rf'name="outreach_ids" value="{record.id}" checked', html)
    assert re.search(rf'name="person_ids" value="{world["anna"].id}" checked', html)
    assert re.search(rf'name="subitem_ids" value="{factories.subitem("2.1").id}" checked', html)


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/followups",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "followups",
        "/followups\r\nLocation: https://evil.example",
    ],
)
def test_a_next_off_this_site_is_refused(client, world, target) -> None:
    _as(client, world["officer"])
    before = _count()
    response = client.post("/followups/new", data=_form(client, next=target))
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and _count() == before
    assert "the page to return to must be a path on this site" in page
    assert "evil.example" not in page  # neither kept in the form nor behind its Cancel link
    page = client.get("/followups/new", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in page
    # The same for the steps that take a way back.
    mine = world["mine"]
    for step in ("cancel", "reopen"):
        response = client.post(
            f"/followups/{mine.id}/{step}",
            data={
                "csrf_token": csrf_token(client, "/"),
                "version": str(mine.version),
                "next": target,
            },
        )
        assert response.status_code == 400, step
    assert _fresh(mine.id).status == FollowUpStatus.OPEN


def test_every_form_needs_its_token(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    for path, data in (
        ("/followups/new", _form(client)),
        (f"/followups/{mine.id}/edit", _form(client, version=str(mine.version))),
        (f"/followups/{mine.id}/complete", {"then": "only", "version": str(mine.version)}),
        (f"/followups/{mine.id}/cancel", {"version": str(mine.version)}),
        ("/account/preferences", {"timezone": "Europe/Berlin", "digest_hour": "7"}),
    ):
        data = {k: v for k, v in data.items() if k != "csrf_token"}
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert "Form expired or not ours" in response.get_data(as_text=True)
    assert _count() == 2 and _fresh(mine.id).status == FollowUpStatus.OPEN
    assert _db.session.get(User, world["officer"].id).digest_hour == 8


# Editing ------------------------------------------------------------------------------------


def _edit_data(client, follow_up: FollowUp, **override: object) -> dict[str, object]:
    path = f"/followups/{follow_up.id}/edit"
    data = _form(
        client,
        path,
        title=follow_up.title,
        due_date=follow_up.due_date.isoformat(),
        due_time=follow_up.due_time.strftime("%H:%M") if follow_up.due_time else "",
        assignee_id=str(follow_up.assignee_id),
        person_ids=[str(follow_up.person_id)] if follow_up.person_id else [],
        organisation_ids=[str(follow_up.organisation_id)] if follow_up.organisation_id else [],
        outreach_ids=[str(follow_up.outreach_id)] if follow_up.outreach_id else [],
        subitem_ids=[str(item.id) for item in follow_up.subitems],
        version=str(follow_up.version),
    )
    data.update(override)
    return data


def test_the_edit_form_shows_the_stored_values(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    html = client.get(f"/followups/{mine.id}/edit").get_data(as_text=True)
    assert 'value="Send Anna the training module"' in html
    assert f'value="{mine.due_date.isoformat()}"' in html
    assert f'id="version" name="version" type="hidden" value="{mine.version}"' in html
    assert f"Set in {mine.due_zone}" in html
    for name, record_id in (
        ("person_ids", world["anna"].id),
        ("organisation_ids", world["organisation"].id),
        ("outreach_ids", world["record"].id),
        ("subitem_ids", factories.subitem("2.1").id),
    ):
        assert re.search(rf'name="{name}" value="{record_id}" checked', html), name


def test_a_reassignment_is_audited_and_unticking_leaves_a_record_out(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    response = client.post(
        f"/followups/{mine.id}/edit",
        data=_edit_data(
            client, mine, assignee_id=str(world["colleague"].id), outreach_ids=[], next="/followups"
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/followups"
    follow_up = _fresh(mine.id)
    assert follow_up.assignee_id == world["colleague"].id and follow_up.outreach_id is None
    actions = _db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.entity_type == "follow-up", AuditEntry.entity_id == mine.id
        )
    ).all()
    assert "reassign" in actions and "update" in actions
    # The page shows the history; the officer still may change it (they created it).
    html = client.get(f"/followups/{mine.id}").get_data(as_text=True)
    assert "Reassign" in html and "Carl Colleague" in html
    assert "edit" in _buttons(html, mine.id)


def test_a_stale_edit_answers_409_with_the_differences(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    path = f"/followups/{mine.id}/edit"
    yours = _edit_data(client, mine, title="My title")
    other = _edit_data(client, mine, title="The other title")
    assert client.post(path, data=other).status_code == 302
    before = _count(AuditEntry)
    response = client.post(path, data=yours)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in page
    assert '<th scope="row">What to do</th><td>The other title</td><td>My title</td>' in page
    assert 'value="The other title"' in page  # the form holds the current values
    assert _fresh(mine.id).title == "The other title" and _count(AuditEntry) == before


@pytest.mark.parametrize("version", ["", "NaN", "-1", "9" * 30, "1.5"])
def test_a_version_that_is_not_one_is_a_conflict(client, world, version) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    response = client.post(
        f"/followups/{mine.id}/edit", data=_edit_data(client, mine, title="X", version=version)
    )
    assert response.status_code == 409
    assert _fresh(mine.id).title == "Send Anna the training module"


def test_an_edit_refused_beside_its_field(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    path = f"/followups/{mine.id}/edit"
    before = _fresh(mine.id).version
    response = client.post(path, data=_edit_data(client, mine, due_date="2026-02-29"))
    assert response.status_code == 400
    assert "28 days" in _error_beside(response.get_data(as_text=True), "due_date")
    assert _fresh(mine.id).version == before


# Completing, reopening, cancelling ------------------------------------------------------------


def _complete(client, follow_up: FollowUp, **override: object):
    path = f"/followups/{follow_up.id}/complete"
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, "/followups"),
        "version": str(follow_up.version),
        "then": "log",
        "occurred_on": _today().isoformat(),
        "occurred_time": "00:05",
        "channel": "call",
        "direction": "outbound",
        "subject": "Called Anna about the training module",
        "person_ids": [str(follow_up.person_id)] if follow_up.person_id else [],
        "subitem_ids": [str(factories.subitem("2.1").id)],
        "outcome": "interested",
    }
    data.update(override)
    return client.post(path, data={k: v for k, v in data.items() if v is not None})


def test_the_complete_page_is_filled_from_the_follow_up(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    response = client.get(f"/followups/{mine.id}/complete")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'name="subject"[^>]*value="Send Anna the training module"', html)
    assert re.search(rf'name="person_ids" value="{world["anna"].id}" checked', html)
    assert re.search(rf'name="organisation_ids" value="{world["organisation"].id}" checked', html)
    assert re.search(r'name="then" value="log" checked', html)
    assert 'name="follow_up_days"' in html  # the next step may be planned at once


def test_completing_logs_the_resulting_outreach_and_plans_the_next_step(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    outreach_before = _count(Outreach)
    response = _complete(client, mine, follow_up_days="14", next="/followups")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/followups"
    follow_up = _fresh(mine.id)
    assert follow_up.status == FollowUpStatus.DONE and follow_up.completed_at is not None
    logged = _db.session.get(Outreach, follow_up.resulting_outreach_id)
    assert logged.subject == "Called Anna about the training module"
    assert [p.id for p in logged.people] == [world["anna"].id]
    assert _count(Outreach) == outreach_before + 1
    following = _db.session.scalars(
        sa.select(FollowUp).where(FollowUp.outreach_id == logged.id)
    ).one()
    assert following.due_date == _today() + timedelta(days=14)
    assert following.title == "Follow up: Called Anna about the training module"
    assert following.assignee_id == world["officer"].id
    page = client.get(f"/followups/{mine.id}").get_data(as_text=True)
    assert "Resulting outreach" in page and f'href="/outreach/{logged.id}"' in page
    assert _buttons(page, mine.id) == {"reopen"}
    # Done: the complete page says so instead of offering the form.
    again = client.get(f"/followups/{mine.id}/complete")
    assert again.status_code == 302 and again.headers["Location"] == f"/followups/{mine.id}"
    response = _complete(client, follow_up)
    assert response.status_code == 400 and "already done" in response.get_data(as_text=True)
    assert _count(Outreach) == outreach_before + 1


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"subject": ""}, "subject"),
        ({"channel": "fax"}, "channel"),
        ({"subitem_ids": []}, "subitem_ids"),
        ({"occurred_on": "2026-02-30"}, "occurred_on"),
        ({"person_ids": ["NaN"]}, "person_ids"),
        ({"follow_up_days": "NaN"}, "follow_up_days"),
        ({"follow_up_days": "7", "follow_up_on": "2030-01-01"}, "follow_up_on"),
        ({"then": "bogus"}, "then"),
    ],
)
def test_bad_outreach_data_refuses_the_whole_step(client, world, override, field) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    before = _count(Outreach), _count(), _count(AuditEntry)
    response = _complete(client, mine, **override)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert _error_beside(page, field)
    assert (_count(Outreach), _count(), _count(AuditEntry)) == before
    assert _fresh(mine.id).status == FollowUpStatus.OPEN


def test_completing_without_outreach_ignores_the_outreach_fields(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    before = _count(Outreach)
    response = _complete(client, mine, then="only", subject="", occurred_on="garbage")
    assert response.status_code == 302, response.get_data(as_text=True)
    follow_up = _fresh(mine.id)
    assert follow_up.status == FollowUpStatus.DONE and follow_up.resulting_outreach_id is None
    assert _count(Outreach) == before


def test_a_stale_complete_answers_409_and_changes_nothing(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    for then in ("log", "only"):
        response = _complete(client, mine, then=then, version=str(mine.version + 5))
        page = response.get_data(as_text=True)
        assert response.status_code == 409, then
        assert "changed by someone else" in page
        assert f'name="version" type="hidden" value="{mine.version}"' in page  # current now
        assert _fresh(mine.id).status == FollowUpStatus.OPEN
    assert _count(Outreach) == 1


def test_cancel_and_reopen(client, world) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    path = f"/followups/{mine.id}"
    token = csrf_token(client, path)
    stale = client.post(f"{path}/cancel", data={"csrf_token": token, "version": "0"})
    assert stale.status_code == 409 and "so nothing was done" in stale.get_data(as_text=True)
    assert _fresh(mine.id).status == FollowUpStatus.OPEN
    response = client.post(f"{path}/cancel", data={"csrf_token": token, "version": mine.version})
    assert response.status_code == 302 and response.headers["Location"] == path
    follow_up = _fresh(mine.id)
    assert follow_up.status == FollowUpStatus.CANCELLED
    again = client.post(f"{path}/cancel", data={"csrf_token": token, "version": follow_up.version})
    assert again.status_code == 400 and "was cancelled" in again.get_data(as_text=True)
    response = client.post(
        f"{path}/reopen",
        data={"csrf_token": token, "version": follow_up.version, "next": "/followups"},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/followups"
    follow_up = _fresh(mine.id)
    assert follow_up.status == FollowUpStatus.OPEN and follow_up.cancelled_at is None
    refused = client.post(
        f"{path}/reopen", data={"csrf_token": token, "version": follow_up.version}
    )
    assert refused.status_code == 400 and "still open" in refused.get_data(as_text=True)
    actions = _db.session.scalars(
        sa.select(AuditEntry.action).where(
            AuditEntry.entity_type == "follow-up", AuditEntry.entity_id == mine.id
        )
    ).all()
    assert {"cancel", "reopen"} <= set(actions)


def test_the_page_lists_the_reminders_of_the_follow_up(client, world) -> None:
    mine = world["mine"]
    sent_at = utcnow() - timedelta(hours=1)
    # The reminders' hook planned the due reminder when the follow-up was written: sent now.
    reminder = _db.session.scalars(
        sa.select(Reminder).where(Reminder.key == due_key(mine.id, mine.assignee_id, mine.due_at))
    ).one()
    reminder.status = "sent"
    reminder.sent_at = sent_at
    reminder.attempts = 1
    _db.session.commit()
    _as(client, world["officer"])
    html = client.get(f"/followups/{mine.id}").get_data(as_text=True)
    reminders = html[html.index('<section id="reminders"') :]
    assert "Falls due" in reminders and "Olga Officer" in reminders and "Sent" in reminders


# The team's follow-ups ------------------------------------------------------------------------


def test_the_team_by_assignee_and_by_sub_item(client, signed_in, world) -> None:
    signed_in("coordinator")
    html = client.get("/followups/team").get_data(as_text=True)
    assert "Olga Officer" in html and "Carl Colleague" in html
    assert "Send Anna the training module" in html and "Call the works council" in html
    html = client.get("/followups/team?by=subitem").get_data(as_text=True)
    assert '<span class="code-badge">2.1</span>' in html and "No sub-item" in html
    html = client.get(f"/followups/team?assignee={world['colleague'].id}").get_data(as_text=True)
    assert "Call the works council" in html and "Send Anna" not in html
    html = client.get("/followups/team?subitem=2.1&status=open").get_data(as_text=True)
    assert "Send Anna" in html and "Call the works council" not in html
    html = client.get("/followups/team?status=done").get_data(as_text=True)
    assert "No follow-ups match." in html


@pytest.mark.parametrize(
    "query",
    [
        "by=bogus",
        "by=assignee&by=subitem",
        "assignee=NaN",
        "assignee=-1",
        f"assignee={MAX_ID}",
        f"assignee={10**30}",
        "subitem=1.3",
        "subitem=9.9z",
        "subitem=%00",
        "status=archived",
        "status=open&status=done",
        "by=" + "x" * 300,
    ],
)
def test_an_unknown_team_filter_is_a_400_naming_it(client, signed_in, world, query) -> None:
    signed_in("coordinator")
    response = client.get(f"/followups/team?{query}")
    assert response.status_code == 400, query
    page = response.get_data(as_text=True)
    assert f"<li>{query.split('=')[0]}: " in page
    assert '<form method="get" class="filters"' in page


@pytest.mark.parametrize(
    "path",
    [
        "/followups/abc",
        "/followups/-1",
        "/followups/1.5",
        "/followups/NaN",
        f"/followups/{MAX_ID}",
        f"/followups/{MAX_ID + 1}",
        f"/followups/{10**40}/edit",
        "/followups/%D9%A1",  # an Arabic-Indic one
        f"/followups/{MAX_ID}/complete",
    ],
)
def test_ids_no_follow_up_has_are_404(client, signed_in, path) -> None:
    signed_in("admin")
    assert client.get(path).status_code == 404, path
    token = csrf_token(client, "/")
    for step in ("edit", "complete", "cancel", "reopen"):
        response = client.post(f"{path}/{step}", data={"csrf_token": token})
        assert response.status_code in (404, 405), (path, step)


# The outreach form's "Follow up" ---------------------------------------------------------------


def _outreach(client, world, path: str = "/outreach/new", **override: object):
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, path),
        "occurred_on": _today().isoformat(),
        "occurred_time": "00:10",
        "channel": "meeting",
        "direction": "outbound",
        "subject": "Presented the guidelines to the works council",
        "person_ids": [str(world["anna"].id)],
        "organisation_ids": [str(world["organisation"].id)],
        "subitem_ids": [str(factories.subitem("1.3b").id)],
    }
    data.update(override)
    return client.post("/outreach/new", data={k: v for k, v in data.items() if v is not None})


def test_logging_outreach_with_a_follow_up_in_seven_days(client, world) -> None:
    _as(client, world["officer"])
    page = client.get("/outreach/new").get_data(as_text=True)
    for name in ("follow_up_days", "follow_up_on", "follow_up_title"):
        assert f'name="{name}"' in page, name
    response = _outreach(client, world, follow_up_days="7")
    assert response.status_code == 302, response.get_data(as_text=True)
    record = _db.session.scalars(sa.select(Outreach).order_by(Outreach.id.desc())).first()
    follow_up = _db.session.scalars(
        sa.select(FollowUp).where(FollowUp.outreach_id == record.id)
    ).one()
    assert follow_up.title == "Follow up: Presented the guidelines to the works council"
    assert follow_up.due_date == _today() + timedelta(days=7) and follow_up.due_time is None
    assert follow_up.assignee_id == world["officer"].id
    assert follow_up.person_id == world["anna"].id
    assert follow_up.organisation_id == world["organisation"].id
    assert [item.code for item in follow_up.subitems] == ["1.3b"]  # the record's
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'A <a href="/followups">follow-up</a> was planned.' in flashed
    assert f'<a href="/followups/{follow_up.id}">' in flashed  # the record's follow-ups


def test_a_follow_up_on_a_date_with_a_title_of_its_own(client, world) -> None:
    _as(client, world["officer"])
    on = (_today() + timedelta(days=30)).isoformat()
    response = _outreach(client, world, follow_up_on=on, follow_up_title="Send the offer")
    assert response.status_code == 302, response.get_data(as_text=True)
    follow_up = _db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id.desc())).first()
    assert (follow_up.title, follow_up.due_date.isoformat()) == ("Send the offer", on)


def test_a_long_subject_gives_a_title_that_still_fits(client, world) -> None:
    _as(client, world["officer"])
    response = _outreach(client, world, subject="S" * 300, follow_up_days="1")
    assert response.status_code == 302, response.get_data(as_text=True)
    follow_up = _db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id.desc())).first()
    assert len(follow_up.title) == 300 and follow_up.title.endswith("…")


@pytest.mark.parametrize(
    ("override", "field", "says"),
    [
        ({"follow_up_days": "NaN"}, "follow_up_days", "not a whole number"),
        ({"follow_up_days": "-3"}, "follow_up_days", "between"),
        ({"follow_up_days": "99999"}, "follow_up_days", "between"),
        ({"follow_up_days": "9" * 40}, "follow_up_days", "between"),
        ({"follow_up_days": "٧"}, "follow_up_days", "not a whole number"),
        ({"follow_up_on": "2026-02-30"}, "follow_up_on", "28 days"),
        ({"follow_up_on": "next week"}, "follow_up_on", "YYYY-MM-DD"),
        ({"follow_up_on": "1999-01-01"}, "follow_up_on", "before 2000"),
        ({"follow_up_on": "2999-01-01"}, "follow_up_on", "years ahead"),
        ({"follow_up_days": "7", "follow_up_on": "2030-01-01"}, "follow_up_on", "not both"),
        ({"follow_up_title": "Call back"}, "follow_up_days", "say when"),
        ({"follow_up_days": "7", "follow_up_title": "x" * 301}, "follow_up_title", "at most 300"),
        ({"follow_up_days": "7", "follow_up_title": "a\x1bb"}, "follow_up_title", "control"),
    ],
)
def test_a_bad_follow_up_refuses_the_whole_form(client, world, override, field, says) -> None:
    _as(client, world["officer"])
    before = _count(Outreach), _count(), _count(AuditEntry)
    response = _outreach(client, world, **override)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert says in _error_beside(page, field)
    assert (_count(Outreach), _count(), _count(AuditEntry)) == before
    # What was typed stays.
    assert 'value="Presented the guidelines to the works council"' in page


def test_bad_outreach_with_a_good_follow_up_writes_neither(client, world) -> None:
    # (The dates refused above past 2000 and ten years ahead are the service's refusals, after
    # the record was logged in the transaction: it is rolled back with them.)
    _as(client, world["officer"])
    before = _count(Outreach), _count()
    response = _outreach(client, world, subitem_ids=[], follow_up_days="7")
    assert response.status_code == 400
    assert (_count(Outreach), _count()) == before


def test_the_quick_log_panel_plans_a_follow_up_on_the_persons_timeline(client, world) -> None:
    _as(client, world["officer"])
    person_path = f"/people/{world['anna'].id}"
    panel = client.get(person_path).get_data(as_text=True)
    panel = panel[panel.index('id="log-outreach"') :]
    assert 'name="follow_up_days"' in panel and 'name="follow_up_on"' in panel
    response = _outreach(
        client,
        world,
        person_path,
        organisation_ids=[],
        next=person_path,
        follow_up_days="3",
        follow_up_title="Send the German version",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].startswith(f"{person_path}#outreach-")
    follow_up = _db.session.scalars(sa.select(FollowUp).order_by(FollowUp.id.desc())).first()
    assert follow_up.person_id == world["anna"].id and follow_up.organisation_id is None
    page = client.get(person_path).get_data(as_text=True)
    timeline = page[page.index('<ol class="timeline">') :]
    assert f'<a href="/followups/{follow_up.id}">Send the German version</a>' in timeline


def test_editing_outreach_offers_no_follow_up(client, world) -> None:
    _as(client, world["officer"])
    page = client.get(f"/outreach/{world['record'].id}/edit").get_data(as_text=True)
    assert 'name="follow_up_days"' not in page


def test_viewers_never_reach_the_follow_up_part(client, signed_in, world) -> None:
    signed_in("viewer")
    response = _outreach(client, world, follow_up_days="7")
    assert response.status_code == 403 and _count() == 2


# My account: time zone and daily digest ---------------------------------------------------------


def _preferences(client, **data: object):
    token = csrf_token(client, "/account")
    return client.post("/account/preferences", data={"csrf_token": token, **data})


def test_the_account_page_offers_every_zone_and_hour(client, world) -> None:
    _as(client, world["officer"])
    page = client.get("/account").get_data(as_text=True)
    assert '<option value="" selected>The programme’s (Europe/Brussels)</option>' in page
    assert '<option value="Europe/Berlin">Europe/Berlin</option>' in page
    assert '<option value="8" selected>08:00</option>' in page  # the default
    assert '<option value="">Off</option>' in page and '<option value="23">23:00</option>' in page
    zones = re.findall(r'<option value="([A-Za-z_/+\-0-9]+)">\1</option>', page)
    assert len(zones) > 300 and zones == sorted(zones)
    assert "localtime" not in zones and "Factory" not in zones


def test_preferences_are_saved_and_used(client, world) -> None:
    _as(client, world["officer"])
    response = _preferences(client, timezone="America/New_York", digest_hour="7")
    assert response.status_code == 302 and response.headers["Location"] == "/account#preferences"
    user = _fresh_user(world["officer"].id)
    assert (user.timezone, user.digest_hour) == ("America/New_York", 7)
    page = client.get("/account").get_data(as_text=True)
    assert '<option value="America/New_York" selected>' in page
    assert '<option value="7" selected>07:00</option>' in page
    assert "Preferences saved." in page
    assert "America/New_York" in client.get("/followups").get_data(as_text=True)
    # Off, and the programme's zone again.
    assert _preferences(client, timezone="", digest_hour="").status_code == 302
    user = _fresh_user(world["officer"].id)
    assert (user.timezone, user.digest_hour) == (None, None)


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        (
            {"timezone": "Mars/Olympus_Mons", "digest_hour": "8"},
            "timezone",
            "not a known time zone",
        ),
        ({"timezone": "localtime", "digest_hour": "8"}, "timezone", "not a known time zone"),
        ({"timezone": "x" * 65, "digest_hour": "8"}, "timezone", "at most 64"),
        ({"timezone": "Europe/Berlin\x00", "digest_hour": "8"}, "timezone", "control"),
        ({"timezone": "Europe/Berlin", "digest_hour": "25"}, "digest_hour", "between 0 and 23"),
        ({"timezone": "Europe/Berlin", "digest_hour": "-1"}, "digest_hour", "between 0 and 23"),
        ({"timezone": "Europe/Berlin", "digest_hour": "NaN"}, "digest_hour", "whole number"),
        ({"timezone": "Europe/Berlin", "digest_hour": "8.5"}, "digest_hour", "whole number"),
        ({"timezone": "Europe/Berlin", "digest_hour": "9" * 30}, "digest_hour", "between"),
    ],
)
def test_bad_preferences_are_refused_beside_the_field(client, world, data, field, says) -> None:
    _as(client, world["officer"])
    before = _count(AuditEntry)
    response = _preferences(client, **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert says in _error_beside(page, field)
    user = _fresh_user(world["officer"].id)
    assert (user.timezone, user.digest_hour) == (None, 8) and _count(AuditEntry) == before
    assert 'name="current_password"' in page  # the rest of the page is still there


def test_a_password_change_refused_still_shows_the_preferences(client, world) -> None:
    _as(client, world["officer"])
    token = csrf_token(client, "/account")
    response = client.post(
        "/account",
        data={"csrf_token": token, "current_password": "wrong", "new_password": "short"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'name="timezone"' in page and 'name="digest_hour"' in page


# Never a 500: whatever a form field holds -------------------------------------------------------

NASTY = ["", " ", "NaN", "-1", "0", "9" * 60, "١٢", "a\x00b", "\u202e", "x" * 5000, ["1", "2"]]
FOLLOW_UP_FIELDS = [
    "title", "notes", "due_date", "due_time", "assignee_id", "person_ids", "people_query",
    "organisation_ids", "organisations_query", "outreach_ids", "event_ids", "subitem_ids",
    "subitems_query", "version", "next",
]  # fmt: skip
COMPLETE_FIELDS = [
    "then", "version", "occurred_on", "occurred_time", "channel", "direction", "subject",
    "person_ids", "organisation_ids", "subitem_ids", "material_ids", "event_id", "outcome",
    "follow_up_days", "follow_up_on", "follow_up_title", "next",
]  # fmt: skip


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_no_value_in_any_field_is_a_500(client, world, value) -> None:
    _as(client, world["officer"])
    mine = world["mine"]
    for field in FOLLOW_UP_FIELDS:
        for path in ("/followups/new", f"/followups/{mine.id}/edit"):
            data = _edit_data(client, mine) if "edit" in path else _form(client)
            data[field] = value
            response = client.post(path, data=data)
            assert response.status_code in (302, 400, 409), (path, field, value)
            _db.session.rollback()
    for field in COMPLETE_FIELDS:
        for then in ("log", "only"):
            response = _complete(client, _fresh(mine.id), **{"then": then, field: value})
            assert response.status_code in (302, 400, 409), (field, then, value)
            follow_up = _fresh(mine.id)
            if follow_up.status != FollowUpStatus.OPEN:  # completed: open it again
                follow_up.status, follow_up.completed_at = FollowUpStatus.OPEN, None
                _db.session.commit()
    for step in ("cancel", "reopen"):
        for field in ("version", "next"):
            token = csrf_token(client, "/")
            response = client.post(
                f"/followups/{mine.id}/{step}", data={"csrf_token": token, field: value}
            )
            assert response.status_code in (302, 400, 409), (step, field, value)


@pytest.mark.parametrize("value", NASTY, ids=range(len(NASTY)))
def test_no_query_string_is_a_500(client, world, value) -> None:
    _as(client, world["officer"])
    coordinator = factories.make_user("coordinator")
    _db.session.commit()
    for name in ("person", "organisation", "outreach", "event", "next"):
        response = client.get("/followups/new", query_string={name: value})
        assert response.status_code in (200, 400), (name, value)
    for path in (f"/followups/{world['mine'].id}/edit", f"/followups/{world['mine'].id}/complete"):
        assert client.get(path, query_string={"next": value}).status_code == 200
    _sign_out(client)
    _as(client, coordinator)
    for name in ("by", "assignee", "subitem", "status", "page", "unknown"):
        response = client.get("/followups/team", query_string={name: value})
        assert response.status_code in (200, 400), (name, value)


def test_the_pages_of_people_and_organisations_offer_a_follow_up(client, world) -> None:
    _as(client, world["officer"])
    person = f"/people/{world['anna'].id}"
    page = client.get(person).get_data(as_text=True)
    assert f'href="/followups/new?person={world["anna"].id}&amp;next={person}"' in page
    organisation = f"/organisations/{world['organisation'].id}"
    page = client.get(organisation).get_data(as_text=True)
    link = f'href="/followups/new?organisation={world["organisation"].id}&amp;next={organisation}"'
    assert link in page
