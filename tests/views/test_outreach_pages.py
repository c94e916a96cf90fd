"""The outreach pages: the form and its quick-log panel, a record's page, edits, deletes, and
the type-ahead look-ups. Roles, bad input beside its field with nothing written, the stale
edit, and the way back to the page the user logged from."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.clock import local_today
from crm.extensions import db as _db
from crm.models import AuditEntry, Material, MaterialKind, Outreach, Person, User, utcnow
from crm.services.checks import MAX_ID
from crm.services.outreach.records import MAX_MATERIALS, MAX_ORGANISATIONS, MAX_PEOPLE
from tests import factories
from tests.conftest import csrf_token

YESTERDAY = (local_today() - timedelta(days=1)).isoformat()


def _count(model: type = Outreach) -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _material(title: str = "DESIGN-MTS CSR guidelines for machine-tool SMEs") -> Material:
    material = Material(kind=MaterialKind.GUIDELINES, title=title, language_code="en")
    _db.session.add(material)
    _db.session.flush()
    return material


@pytest.fixture()
def world(db):
    """An organisation with two people, and a material to disseminate."""
    organisation = factories.make_organisation("Maschinenfabrik Kowalski GmbH")
    anna = factories.make_person(
        "Anna", "Schmidt", organisation, email="anna.schmidt@kowalski.example"
    )
    piotr = factories.make_person("Piotr", "Nowak", organisation, email="p.nowak@kowalski.example")
    material = _material()
    db.session.commit()
    return {"organisation": organisation, "anna": anna, "piotr": piotr, "material": material}


def _data(client, world, path: str = "/outreach/new", **override: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_token(client, path),
        "occurred_on": YESTERDAY,
        "occurred_time": "10:30",
        "channel": "meeting",
        "direction": "outbound",
        "subject": "Presented the guidelines to the works council",
        "person_ids": [str(world["anna"].id), str(world["piotr"].id)],
        "subitem_ids": [str(factories.subitem("1.3b").id), str(factories.subitem("2.1").id)],
        "material_ids": [str(world["material"].id)],
        "outcome": "interested",
        "notes": "They want the training module for employees.",
    }
    data.update(override)
    return {k: v for k, v in data.items() if v is not None}


def _error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error beside {field}"
    return match.group(1)


# Who may do what ------------------------------------------------------------------------


def _routes(record_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/outreach/new"),
        ("post", "/outreach/new"),
        ("get", f"/outreach/{record_id}"),
        ("get", f"/outreach/{record_id}/edit"),
        ("post", f"/outreach/{record_id}/edit"),
        ("post", f"/outreach/{record_id}/delete"),
        ("post", f"/outreach/{record_id}/restore"),
        ("get", "/outreach/lookup/people.json?q=anna"),
        ("get", "/outreach/lookup/organisations.json?q=kowalski"),
        ("get", "/outreach/lookup/subitems.json?q=1.3"),
        ("get", "/outreach/lookup/events.json"),
    ]


def test_every_route_sends_anonymous_visitors_to_sign_in(client, db) -> None:
    record = factories.make_outreach()
    db.session.commit()
    token = csrf_token(client)  # a valid form, so that the sign-in check is what answers
    for method, path in _routes(record.id):
        data = {"csrf_token": token} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"], (method, path)


def test_viewers_read_but_never_write(client, signed_in, world) -> None:
    signed_in("viewer")
    record = factories.make_outreach(organisations=[world["organisation"]])
    _db.session.commit()
    token = csrf_token(client, "/")
    for method, path in _routes(record.id):
        data = {"csrf_token": token} if method == "post" else None
        response = getattr(client, method)(path, data=data)
        expected = (
            200 if method == "get" and ("lookup" in path or path.endswith(str(record.id))) else 403
        )
        assert response.status_code == expected, (method, path)
    page = client.get(f"/outreach/{record.id}").get_data(as_text=True)
    assert "Edit</a>" not in page and ">Delete<" not in page
    person_page = client.get(f"/people/{world['anna'].id}").get_data(as_text=True)
    assert "Log outreach" not in person_page


def test_officers_change_only_their_own_records_coordinators_any(client, signed_in, world) -> None:
    colleague = factories.make_user("officer")
    theirs = factories.make_outreach(logged_by=colleague, organisations=[world["organisation"]])
    _db.session.commit()
    signed_in("officer")
    assert client.get(f"/outreach/{theirs.id}").status_code == 200
    assert client.get(f"/outreach/{theirs.id}/edit").status_code == 403
    token = csrf_token(client, f"/outreach/{theirs.id}")
    response = client.post(
        f"/outreach/{theirs.id}/delete", data={"csrf_token": token, "version": theirs.version}
    )
    assert response.status_code == 403
    assert _db.session.get(Outreach, theirs.id).deleted_at is None

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in("coordinator")
    assert client.get(f"/outreach/{theirs.id}/edit").status_code == 200
    response = client.post(
        f"/outreach/{theirs.id}/edit",
        data=_data(
            client,
            world,
            f"/outreach/{theirs.id}/edit",
            subject="Corrected by the coordinator",
            version=str(theirs.version),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _db.session.get(Outreach, theirs.id).subject == "Corrected by the coordinator"


# Logging ---------------------------------------------------------------------------------


def test_an_officer_logs_outreach_and_lands_on_its_page(client, signed_in, world) -> None:
    officer = signed_in("officer")
    response = client.post("/outreach/new", data=_data(client, world))
    assert response.status_code == 302, response.get_data(as_text=True)
    record = _db.session.scalars(sa.select(Outreach)).one()
    assert response.headers["Location"] == f"/outreach/{record.id}"
    assert record.logged_by_id == officer.id
    assert {p.id for p in record.people} == {world["anna"].id, world["piotr"].id}
    assert sorted(s.code for s in record.subitems) == ["1.3b", "2.1"]
    assert [m.id for m in record.materials] == [world["material"].id]
    local = record.occurred_at.astimezone(ZoneInfo("Europe/Brussels"))
    assert local.strftime("%Y-%m-%d %H:%M") == f"{YESTERDAY} 10:30"

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "was logged" in page and f'href="/outreach/{record.id}"' in page
    for text in (
        "Anna Schmidt",
        "Piotr Nowak",
        "Maschinenfabrik Kowalski GmbH",
        "1.3b",
        "2.1",
        "DESIGN-MTS CSR guidelines",
        "Meeting or visit",
        "Interested",
        officer.full_name,
    ):
        assert text in page, text


def test_quick_log_returns_to_the_page_with_the_new_record_first(client, signed_in, world) -> None:
    signed_in("officer")
    person_path = f"/people/{world['anna'].id}"
    page = client.get(person_path).get_data(as_text=True)
    assert 'id="log-outreach"' in page
    # The person is chosen, their organisation offered (unticked), the way back set.
    assert re.search(rf'name="person_ids" value="{world["anna"].id}" checked', page)
    assert re.search(rf'name="organisation_ids" value="{world["organisation"].id}">', page)
    assert "Add Maschinenfabrik Kowalski GmbH" in page
    assert f'name="next" type="hidden" value="{person_path}"' in page

    response = client.post(
        "/outreach/new", data=_data(client, world, person_path, next=person_path)
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = _db.session.scalars(sa.select(Outreach)).one()
    assert response.headers["Location"] == f"{person_path}#outreach-{record.id}"
    page = client.get(person_path).get_data(as_text=True)
    assert f'<a href="/outreach/{record.id}">Presented the guidelines' in page  # the flash
    timeline = page[page.index('<ol class="timeline">') :]
    # The anchor is the first entry of the timeline, focusable, linking to the record.
    first = re.search(r"<li [^>]*>", timeline).group(0)
    assert f'id="outreach-{record.id}" tabindex="-1"' in first
    organisation_page = client.get(f"/organisations/{world['organisation'].id}").get_data(
        as_text=True
    )
    assert 'id="log-outreach"' in organisation_page
    assert f'id="outreach-{record.id}"' in organisation_page  # Anna counted for it


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/people/1",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "people/1",
        "/people/1\r\nLocation: https://evil.example",
    ],
)
def test_a_next_off_this_site_is_refused_and_nothing_is_written(
    client, signed_in, world, target
) -> None:
    signed_in("officer")
    response = client.post("/outreach/new", data=_data(client, world, next=target))
    assert response.status_code == 400
    assert "the page to return to must be a path on this site" in response.get_data(as_text=True)
    assert _count() == 0
    # Offered in a link, it is dropped before the form is shown.
    page = client.get("/outreach/new", query_string={"next": target}).get_data(as_text=True)
    assert 'name="next" type="hidden" value=""' in page


# Bad input: a 400, the message beside its field, nothing written -------------------------------


def _refused(client, world, field: str, **override: object) -> str:
    before = _count(), _count(AuditEntry)
    response = client.post("/outreach/new", data=_data(client, world, **override))
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert (_count(), _count(AuditEntry)) == before
    return _error_beside(page, field)


def test_no_sub_item(client, signed_in, world) -> None:
    signed_in("officer")
    assert "sub-item" in _refused(client, world, "subitem_ids", subitem_ids=[])


@pytest.mark.parametrize("code", ["1", "1.3"])
def test_a_commitment_or_an_item_instead_of_a_sub_item(client, signed_in, world, code) -> None:
    signed_in("officer")
    item = factories.subitem(code)
    assert "not a sub-item" in _refused(client, world, "subitem_ids", subitem_ids=[str(item.id)])
    # Typed without JavaScript: the same answer, naming the sub-items to choose.
    message = _refused(client, world, "subitem_ids", subitem_ids=[], subitems_query=code)
    assert "not a sub-item" in message and ("1.3b" in message if code == "1.3" else True)


def test_a_person_deleted_while_the_form_was_open(client, signed_in, world) -> None:
    signed_in("officer")
    data = _data(client, world)
    _db.session.get(Person, world["piotr"].id).deleted_at = utcnow()  # requests detach objects
    _db.session.commit()
    before = _count()
    response = client.post("/outreach/new", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Piotr Nowak" in _error_beside(page, "person_ids")
    assert _count() == before
    # Named, to be unticked, but nothing more of them: a deleted person's e-mail and
    # organisation are not shown to those who cannot see deleted records.
    assert "p.nowak@kowalski.example" not in page
    chosen = re.search(rf'value="{world["piotr"].id}" checked> <span>(.*?)</span></label>', page)
    assert chosen and "Kowalski" not in chosen.group(1)


def test_an_unknown_channel(client, signed_in, world) -> None:
    signed_in("officer")
    assert "fax" in _refused(client, world, "channel", channel="fax")


@pytest.mark.parametrize(
    ("day", "clock", "field", "says"),
    [
        ("2026-02-30", "10:00", "occurred_on", "February 2026 has 28 days"),
        ("2026-13-01", "10:00", "occurred_on", "no month 13"),
        ("yesterday", "10:00", "occurred_on", "YYYY-MM-DD"),
        ("", "10:00", "occurred_on", "YYYY-MM-DD"),
        ("2026-03-29", "02:30", "occurred_time", "does not exist in Europe/Brussels"),
        (YESTERDAY, "25:00", "occurred_time", "HH:MM"),
        (YESTERDAY, "NaN", "occurred_time", "HH:MM"),
        # The ends of the calendar: the form shown again offers the events around the date.
        ("0001-01-01", "00:00", "occurred_on", "outside the calendar"),
        ("0001-01-02", "12:00", "occurred_on", "before 2000"),
        ("9999-12-31", "23:59", "occurred_on", "more than a day ahead"),
    ],
)
def test_a_date_or_time_that_does_not_exist(
    client, signed_in, world, day, clock, field, says
) -> None:
    signed_in("officer")
    assert says in _refused(client, world, field, occurred_on=day, occurred_time=clock)


def test_a_date_next_year(client, signed_in, world) -> None:
    signed_in("officer")
    next_year = local_today().replace(day=1, month=1, year=local_today().year + 1).isoformat()
    assert _refused(client, world, "occurred_on", occurred_on=next_year)


def test_more_people_than_the_limit(client, signed_in, world) -> None:
    signed_in("officer")
    # The limit is documented where people meet it: the picker's hint, and README.
    page = client.get("/outreach/new").get_data(as_text=True)
    hint = re.search(r'<p class="hint" id="person_ids-hint">([^<]*)</p>', page).group(1)
    assert f"at most {MAX_PEOPLE} people in one record" in hint
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert (
        f"at most {MAX_PEOPLE} people, {MAX_ORGANISATIONS} organisations and {MAX_MATERIALS} "
        "materials in one record"
    ) in " ".join(readme.split())
    crowd = [factories.make_person("Crowd", f"Member{n}") for n in range(MAX_PEOPLE + 1)]
    _db.session.commit()
    message = _refused(client, world, "person_ids", person_ids=[str(p.id) for p in crowd])
    assert str(MAX_PEOPLE) in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("person_ids", str(MAX_ID + 1)),
        ("person_ids", "9" * 40),
        ("person_ids", "NaN"),
        ("person_ids", "-1"),
        ("person_ids", "١٢"),
        ("organisation_ids", "1e3"),
        ("subitem_ids", str(2**64)),
        ("material_ids", "Infinity"),
        ("event_id", "NaN"),
        ("event_id", str(MAX_ID + 1)),
    ],
)
def test_ids_that_no_record_can_have(client, signed_in, world, field, value) -> None:
    signed_in("officer")
    override: dict[str, object] = {field: value if field == "event_id" else [value]}
    assert _refused(client, world, field, **override)


def test_an_unknown_material_or_event(client, signed_in, world) -> None:
    signed_in("officer")
    assert _refused(client, world, "material_ids", material_ids=[str(MAX_ID)])
    assert _refused(client, world, "event_id", event_id=str(MAX_ID))


def test_a_file_in_a_text_field(client, signed_in, world) -> None:
    signed_in("officer")
    data = _data(client, world, subject=(io.BytesIO(b"x" * 10), "subject.txt"))
    response = client.post("/outreach/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "subject: a file was sent where text was expected" in response.get_data(as_text=True)
    assert _count() == 0


def test_text_with_control_characters_and_a_huge_subject(client, signed_in, world) -> None:
    signed_in("officer")
    assert "control character" in _refused(client, world, "subject", subject="a\x00b")
    assert "at most 300" in _refused(client, world, "subject", subject="x" * 301)
    assert "at most 200" in _refused(client, world, "person_ids", people_query="x" * 201)


# Pickers without JavaScript: the server reads the text left in a box ---------------------------


def test_text_in_a_picker_is_resolved_on_submit(client, signed_in, world) -> None:
    signed_in("officer")
    response = client.post(
        "/outreach/new",
        data=_data(
            client,
            world,
            person_ids=[],
            people_query="ANNA.SCHMIDT@kowalski.example",
            organisations_query="kowalski",
            subitem_ids=[],
            subitems_query="1.3B",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    record = _db.session.scalars(sa.select(Outreach)).one()
    assert [p.full_name for p in record.people] == ["Anna Schmidt"]
    assert [o.name for o in record.organisations] == ["Maschinenfabrik Kowalski GmbH"]
    assert [s.code for s in record.subitems] == ["1.3b"]


def test_ambiguous_text_offers_the_candidates_to_tick(client, signed_in, world) -> None:
    signed_in("officer")
    response = client.post(
        "/outreach/new", data=_data(client, world, person_ids=[], people_query="kowalski")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "matches several people" in _error_beside(page, "person_ids")
    candidates = page[page.index('class="candidates"') :]
    for person in (world["anna"], world["piotr"]):
        assert f'name="person_ids" value="{person.id}">' in candidates  # unticked
    assert 'value="kowalski"' in page  # what was typed stays in the box
    assert _count() == 0

    response = client.post(
        "/outreach/new", data=_data(client, world, person_ids=[], people_query="nobody-here")
    )
    assert "nobody in the register matches" in _error_beside(
        response.get_data(as_text=True), "person_ids"
    )


def test_a_refused_form_keeps_what_was_chosen(client, signed_in, world) -> None:
    signed_in("officer")
    response = client.post("/outreach/new", data=_data(client, world, channel="fax"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    for person in (world["anna"], world["piotr"]):
        assert f'name="person_ids" value="{person.id}" checked' in page
    assert f'name="material_ids" value="{world["material"].id}" checked' in page
    assert "Presented the guidelines to the works council" in page


# What the form offers first ------------------------------------------------------------------


def test_the_last_channel_and_sub_items_are_offered_first_and_the_get_writes_nothing(
    client, signed_in, world
) -> None:
    signed_in("officer")
    assert (
        client.post(
            "/outreach/new",
            data=_data(
                client, world, channel="call", subitem_ids=[str(factories.subitem("3.1").id)]
            ),
        ).status_code
        == 302
    )
    before = _count(), _count(AuditEntry)
    page = client.get("/outreach/new").get_data(as_text=True)
    assert (_count(), _count(AuditEntry)) == before
    assert '<option selected value="call">' in page
    recent = page[page.index("Recently used") :]
    assert f'name="subitem_ids" value="{factories.subitem("3.1").id}">' in recent
    answer = client.get("/outreach/lookup/subitems.json?q=").get_json()
    assert [r["code"] for r in answer["results"]] == ["3.1"] and answer["results"][0]["recent"]


def test_the_form_starts_now_in_the_users_time_zone(client, signed_in, db) -> None:
    user = signed_in("officer")
    db.session.get(User, user.id).timezone = "America/New_York"
    db.session.commit()
    before = datetime.now(ZoneInfo("America/New_York")).date()
    page = client.get("/outreach/new").get_data(as_text=True)
    assert "Your time zone: America/New_York" in page
    shown = re.search(r'<input[^>]*id="occurred_on"[^>]*value="([0-9-]+)"', page).group(1)
    # The date in New York, whatever the server's or the programme's zone (read before and
    # after, in case midnight passed in between).
    new_york = ZoneInfo("America/New_York")
    assert shown in {datetime.now(new_york).date().isoformat(), before.isoformat()}


def test_a_time_skipped_in_the_users_zone(client, signed_in, world) -> None:
    user = signed_in("officer")
    _db.session.get(User, user.id).timezone = "America/New_York"
    _db.session.commit()
    message = _refused(
        client, world, "occurred_time", occurred_on="2026-03-08", occurred_time="02:30"
    )
    assert "America/New_York" in message


# The record's page, edits, deletes ------------------------------------------------------------


def _log(client, world, **override: object) -> Outreach:
    response = client.post("/outreach/new", data=_data(client, world, **override))
    assert response.status_code == 302, response.get_data(as_text=True)
    return _db.session.scalars(sa.select(Outreach).order_by(Outreach.id.desc())).first()


def test_a_stale_edit_answers_409_with_the_differences(client, signed_in, world) -> None:
    signed_in("officer")
    record = _log(client, world)
    path = f"/outreach/{record.id}/edit"
    mine = _data(
        client, world, path, subject="My version of the subject", version=str(record.version)
    )
    # Someone else saves first.
    other = _data(client, world, path, subject="The other version", version=str(record.version))
    assert client.post(path, data=other).status_code == 302
    before = _count(AuditEntry)
    response = client.post(path, data=mine)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in page
    assert "Where the saved record and your edit differ" in page
    assert (
        '<th scope="row">Subject</th><td>The other version</td><td>My version of the subject</td>'
        in page
    )
    assert 'value="The other version"' in page  # the form holds the current values
    assert _db.session.get(Outreach, record.id).subject == "The other version"
    assert _count(AuditEntry) == before


def test_an_edit_shows_the_stored_values(client, signed_in, world) -> None:
    signed_in("officer")
    record = _log(client, world)
    page = client.get(f"/outreach/{record.id}/edit").get_data(as_text=True)
    assert f'value="{YESTERDAY}"' in page and 'value="10:30"' in page
    assert f'name="person_ids" value="{world["anna"].id}" checked' in page
    assert f'name="subitem_ids" value="{factories.subitem("2.1").id}" checked' in page
    assert f'id="version" name="version" type="hidden" value="{record.version}"' in page


def test_delete_and_restore(client, signed_in, world) -> None:
    signed_in("officer")
    record = _log(client, world)
    token = csrf_token(client, f"/outreach/{record.id}")
    assert (
        client.post(f"/outreach/{record.id}/delete", data={"version": record.version}).status_code
        == 400
    )
    response = client.post(
        f"/outreach/{record.id}/delete", data={"csrf_token": token, "version": record.version}
    )
    assert response.status_code == 302
    assert _db.session.get(Outreach, record.id).deleted_at is not None
    assert client.get(f"/outreach/{record.id}").status_code == 404  # deleted: gone for them

    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in("admin")
    page = client.get(f"/outreach/{record.id}").get_data(as_text=True)
    assert "Restore" in page and "Deleted" in page
    assert client.get(f"/outreach/{record.id}/edit").status_code == 302  # restore first
    token = csrf_token(client, f"/outreach/{record.id}")
    assert (
        client.post(f"/outreach/{record.id}/restore", data={"csrf_token": token}).status_code == 302
    )
    assert _db.session.get(Outreach, record.id).deleted_at is None


def test_the_record_page_shows_history_to_those_who_read_the_audit(
    client, signed_in, world
) -> None:
    signed_in("officer")
    record = _log(client, world)
    page = client.get(f"/outreach/{record.id}").get_data(as_text=True)
    assert "Created" in page and "Last changed" in page
    assert f'href="/materials/{world["material"].id}"' in page  # materials lead to their page
    assert 'class="timeline-change"' not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    signed_in("coordinator")
    page = client.get(f"/outreach/{record.id}").get_data(as_text=True)
    assert 'class="timeline-change"' in page and "Create" in page


def test_ids_beyond_any_record_are_404(client, signed_in) -> None:
    signed_in("admin")
    for path in (f"/outreach/{MAX_ID + 1}", f"/outreach/{MAX_ID}", f"/outreach/{MAX_ID + 1}/edit"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    "query", ["person=abc", "person=0", f"person={MAX_ID}", "event=NaN", "organisation=1x"]
)
def test_a_bad_prefill_is_a_400_naming_the_parameter(client, signed_in, query) -> None:
    signed_in("officer")
    response = client.get(f"/outreach/new?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] + ":" in response.get_data(as_text=True)


# Look-ups -------------------------------------------------------------------------------------


def test_the_people_look_up_gives_organisation_and_e_mail_and_never_the_gone(
    client, signed_in, world, db
) -> None:
    signed_in("viewer")
    answer = client.get("/outreach/lookup/people.json?q=schmidt").get_json()
    assert answer["results"] == [
        {
            "id": world["anna"].id,
            "name": "Anna Schmidt",
            "email": "anna.schmidt@kowalski.example",
            "organisation": {
                "id": world["organisation"].id,
                "name": "Maschinenfabrik Kowalski GmbH",
            },
        }
    ]
    db.session.get(Person, world["anna"].id).deleted_at = utcnow()
    db.session.get(Person, world["piotr"].id).erased_at = utcnow()
    db.session.commit()  # the search index follows (crm.services.search_sync)
    assert client.get("/outreach/lookup/people.json?q=kowalski").get_json()["results"] == []
    assert (
        client.get("/outreach/lookup/people.json?q=anna.schmidt@kowalski.example").get_json()[
            "results"
        ]
        == []
    )


def test_look_ups_are_capped(client, signed_in, db) -> None:
    signed_in("viewer")
    organisation = factories.make_organisation("Werkzeugbau Gruppe")
    for n in range(15):
        factories.make_person("Hans", f"Werner{n}", organisation)
    db.session.commit()
    assert len(client.get("/outreach/lookup/people.json?q=werner").get_json()["results"]) == 10
    codes = [
        r["code"] for r in client.get("/outreach/lookup/subitems.json?q=1.3").get_json()["results"]
    ]
    assert codes == ["1.3a", "1.3b", "1.3c"]  # leaves only


@pytest.mark.parametrize(
    "query", ["q=" + "x" * 201, "q=a%00b", "q=a%E2%80%AEbc", "on=2026-02-30", "on=tomorrow"]
)
def test_look_ups_refuse_bad_input_with_a_400(client, signed_in, query) -> None:
    signed_in("viewer")
    for kind in ("people", "organisations", "subitems", "events"):
        response = client.get(f"/outreach/lookup/{kind}.json?{query}")
        assert response.status_code == 400, (kind, query)
        assert response.get_json()["error"]


def test_events_around_the_date(client, signed_in, db) -> None:
    signed_in("viewer")
    event = factories.make_event()  # 10-13 March 2026
    db.session.commit()
    found = client.get("/outreach/lookup/events.json?on=2026-03-20").get_json()["results"]
    assert [e["id"] for e in found] == [event.id]
    assert client.get("/outreach/lookup/events.json?on=2026-09-01").get_json()["results"] == []
    assert client.get("/outreach/lookup/events.json?on=2026-03-20&q=metav").get_json()["count"] == 1
    # The first and the last days of the calendar: the window stops at its ends.
    for day in ("0001-01-01", "0001-01-30", "9999-12-01", "9999-12-31"):
        response = client.get(f"/outreach/lookup/events.json?on={day}")
        assert response.status_code == 200 and response.get_json()["results"] == [], day


def test_a_stale_delete_answers_409_and_deletes_nothing(client, signed_in, world) -> None:
    signed_in("officer")
    record = _log(client, world)
    token = csrf_token(client, f"/outreach/{record.id}")
    response = client.post(
        f"/outreach/{record.id}/delete", data={"csrf_token": token, "version": "0"}
    )
    assert response.status_code == 409
    assert "so it was not deleted" in response.get_data(as_text=True)
    assert _db.session.get(Outreach, record.id).deleted_at is None


def test_a_retired_material_is_offered_only_on_records_that_have_it(
    client, signed_in, world
) -> None:
    signed_in("officer")
    record = _log(client, world)
    retired = _db.session.get(Material, world["material"].id)
    retired.retired_at = utcnow()
    _db.session.commit()
    box = f'name="material_ids" value="{retired.id}"'
    assert box not in client.get("/outreach/new").get_data(as_text=True)
    page = client.get(f"/outreach/{record.id}/edit").get_data(as_text=True)
    assert f"{box} checked" in page and "retired" in page
