"""``crm demo``'s events: what calendars must get right is in it, consistent with the services'
rules (UIDs, spans, series and their overridden occurrences, cancelled events)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from crm.demo import generate_demo
from crm.models import Event, EventKind, EventOccurrence, EventStatus
from crm.progress import NullProgress
from crm.services.events import series
from crm.services.events.listing import EventFilter, list_events

DAY = date(2026, 11, 25)
BRUSSELS = ZoneInfo("Europe/Brussels")


def test_the_demo_has_what_calendars_must_get_right(app: Flask, db: SQLAlchemy) -> None:
    generate_demo(
        scale=1, seed=2027, password="demo passphrase 2027", progress=NullProgress(), today=DAY
    )
    now = datetime.combine(DAY, datetime.min.time(), UTC)
    every = list(db.session.scalars(sa.select(Event).order_by(Event.id)))
    assert len({e.uid for e in every}) == len(every)
    assert all(re.fullmatch(r"event-[0-9a-f]{32}@mts-crm", e.uid) for e in every)
    # Spans are what the services would keep (the session hook does not see Core inserts).
    for event in every:
        assert (event.span_starts_at, event.span_ends_at) == series.span(event), event.title
        assert (event.cancelled_at is not None) == (event.status == EventStatus.CANCELLED)

    published = [e for e in every if e.is_published and e.deleted_at is None]
    past = [e for e in published if e.span_ends_at <= now]
    upcoming = [e for e in published if e.span_ends_at > now]
    assert len(past) > 10 and len(upcoming) > 5
    assert len({e.timezone for e in past}) >= 3 and len({e.timezone for e in upcoming}) >= 3

    fairs = [e for e in published if e.kind == EventKind.TRADE_FAIR and e.is_all_day]
    assert {f.title.rsplit(" ", 1)[0] for f in fairs} >= {"METAV", "BIEMH", "LAMIERA"}
    assert all(f.end_date > f.start_date for f in fairs)  # several days each
    assert any(f.span_ends_at > now for f in fairs) and any(f.span_ends_at <= now for f in fairs)

    runs = [e for e in published if e.recurrence is not None]
    assert runs, "no published series"
    clinic = runs[0]
    occurrences = series.all_occurrences(clinic)
    assert len(occurrences) == clinic.recurrence_count == 12
    cancelled = [o for o in occurrences if o.is_cancelled]
    moved = [o for o in occurrences if o.is_moved]
    assert len(cancelled) == 1 and len(moved) == 1
    assert cancelled[0].starts_at > now and clinic.sequence == 2
    # Brussels' wall clock, winter and summer alike.
    hours = {o.starts_at.astimezone(BRUSSELS).hour for o in occurrences if not o.is_moved}
    assert hours == {10}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(EventOccurrence)) == 2
    monthly = [e for e in every if e.recurrence is not None and e.recurrence.value == "monthly"]
    assert monthly and monthly[0].recurrence_until is not None

    dropped = [e for e in published if e.status == EventStatus.CANCELLED]
    assert any(now - timedelta(days=30) < e.cancelled_at <= now for e in dropped)
    assert any(e.span_starts_at > now for e in dropped)

    # The lists read them as any event.
    listed = list_events(EventFilter(), public=True, size=500, now=now).items
    assert clinic in listed and all(e.is_published for e in listed)
