"""A record's timeline: newest first, in pages, narrowed by kind and sub-item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.extensions import db as _db
from crm.models import AuditEntry, Event, EventKind, EventParticipant, FollowUp, OurRole
from crm.models.followups import due_fields
from crm.services.errors import ValidationError
from crm.services.timeline import PAGE_SIZE, record_timeline
from tests import factories

START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def _event(day: date, organisation: object, title: str, timed: bool = False) -> Event:
    times = (
        {"starts_at": datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=10)}
        if timed
        else {"is_all_day": True, "start_date": day}
    )
    event = Event(
        title=title,
        kind=EventKind.TRADE_FAIR,
        **times,
        **({"ends_at": times["starts_at"] + timedelta(hours=8)} if timed else {"end_date": day}),
        our_role=OurRole.EXHIBITOR,
        subitems=[factories.subitem("1.3c")],
        participants=[EventParticipant(organisation_id=organisation.id)],
    )
    _db.session.add(event)
    return event


def _busy_organisation() -> tuple[object, list[tuple[datetime, str, str]]]:
    """An organisation with 111 entries of every kind, at distinct times; and what they are."""
    officer = factories.make_user(role="coordinator")
    organisation = factories.make_organisation(name="Verband Deutscher Werkzeugmaschinen")
    expected: list[tuple[datetime, str, str]] = []
    for n in range(60):
        at = START + timedelta(days=5 * n)
        codes = ("1.3b",) if n % 3 == 0 else ("2.1",)
        outreach = factories.make_outreach(
            subitem_codes=codes, organisations=[organisation], occurred_at=at
        )
        outreach.subject = f"Meeting {n}"
        expected.append((at, "outreach", f"Meeting {n}"))
    for n in range(30):
        day = (START + timedelta(days=5 * n + 2)).date()
        _event(day, organisation, f"Trade fair {n}", timed=n % 2 == 1)
        at = datetime.combine(day, datetime.min.time(), UTC)
        expected.append((at + timedelta(hours=10) if n % 2 else at, "event", f"Trade fair {n}"))
    for n in range(11):
        at = START + timedelta(days=5 * n + 3)
        _db.session.add(
            FollowUp(
                title=f"Call back {n}",
                **due_fields(at),
                assignee_id=officer.id,
                organisation_id=organisation.id,
            )
        )
        expected.append((at, "follow-up", f"Call back {n}"))
    _db.session.flush()
    for n in range(10):
        at = START + timedelta(days=5 * n + 4)
        _db.session.add(
            AuditEntry(
                at=at,
                action="update",
                entity_type="organisation",
                entity_id=organisation.id,
                actor_id=officer.id,
                changes={"city": ["Frankfurt", "Berlin"]},
            )
        )
        expected.append((at, "change", "update"))
    _db.session.flush()
    expected.sort(reverse=True)
    return organisation, expected


def _seen(entries: object) -> list[tuple[datetime, str, str]]:
    return [(e.at, e.kind, e.title) for e in entries]


def test_the_record_page_gets_the_newest_twenty_and_knows_there_is_more(app, db) -> None:
    organisation, expected = _busy_organisation()
    assert len(expected) == 111
    first = record_timeline(organisation, with_changes=True)  # the record pages' call
    assert _seen(first) == expected[:PAGE_SIZE]
    assert first.has_more and first.page == 1
    without_changes = record_timeline(organisation, with_changes=False)
    assert _seen(without_changes) == [e for e in expected if e[1] != "change"][:PAGE_SIZE]


def test_pages_go_back_to_the_first_entry_without_gaps_or_repeats(app, db) -> None:
    organisation, expected = _busy_organisation()
    seen, page = [], 1
    while True:
        timeline = record_timeline(organisation, with_changes=True, page=page)
        seen += _seen(timeline)
        if not timeline.has_more:
            break
        page += 1
    assert page == 6 and seen == expected
    assert list(record_timeline(organisation, with_changes=True, page=7)) == []


def test_the_newest_events_come_first_however_many_there_are(app, db) -> None:
    organisation = factories.make_organisation()
    for n in range(120):  # older first, as they would have been entered
        _event(date(2020, 1, 1) + timedelta(days=7 * n), organisation, f"Fair {n}")
    _db.session.flush()
    timeline = record_timeline(organisation, with_changes=False)
    assert [e.title for e in timeline][:3] == ["Fair 119", "Fair 118", "Fair 117"]


def test_filters_by_kind_and_sub_item(app, db) -> None:
    organisation, expected = _busy_organisation()
    events = record_timeline(organisation, with_changes=True, kind="event", size=50)
    assert _seen(events) == [e for e in expected if e[1] == "event"]
    on_13b = record_timeline(organisation, with_changes=True, subitem="1.3b", size=100)
    meetings = [e for e in expected if e[1] == "outreach" and int(e[2].split()[1]) % 3 == 0]
    assert _seen(on_13b) == meetings and not on_13b.has_more
    # An item stands for its sub-items: 1.3 holds 1.3b (outreach) and 1.3c (events).
    on_13 = record_timeline(organisation, with_changes=True, subitem="1.3", size=100)
    assert _seen(on_13) == sorted(meetings + [e for e in expected if e[1] == "event"], reverse=True)
    both = record_timeline(organisation, with_changes=True, kind="event", subitem="1.3b")
    assert list(both) == [] and both.is_filtered
    assert record_timeline(organisation, with_changes=False, kind="change").entries == []
    assert record_timeline(organisation, with_changes=True, kind="change").has_more is False


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"kind": "meeting"}, "kind"),
        ({"subitem": "9.9z"}, "subitem"),
        ({"subitem": "1.3b\x00"}, "subitem"),
        ({"page": 0}, "page"),
        ({"page": 10**6}, "page"),
    ],
)
def test_unknown_filters_are_errors_naming_them(app, db, arguments, field) -> None:
    organisation = factories.make_organisation()
    with pytest.raises(ValidationError) as refused:
        record_timeline(organisation, with_changes=True, **arguments)
    assert refused.value.field == field
