"""What calendars and lists need of every event write, kept in one place: SEQUENCE,
``cancelled_at`` and the span of the event or its series.

Calendar clients replace their copy of an event only when its SEQUENCE (RFC 5545) rises, so
it must rise on every change of time, place or status, and when an occurrence of a series is
cancelled, moved or restored, whatever code made the change: a hook on every flush, not a
line at each write site. The same hook keeps ``cancelled_at`` in step with the status (set
when an event becomes cancelled, cleared when it no longer is), which feeds keep cancelled
events for 30 days from, and ``span_starts_at``/``span_ends_at`` (from the first start to
the last end of every occurrence), which lists filter periods by.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, UOWTransaction

from crm.models import Event, EventOccurrence, EventStatus, utcnow

# The columns whose change is a new version of the event for calendars.
SEQUENCED = (
    "starts_at",
    "ends_at",
    "start_date",
    "end_date",
    "timezone",
    "is_all_day",
    "venue",
    "city",
    "country_code",
    "online_url",
    "status",
    "recurrence",
    "recurrence_interval",
    "recurrence_until",
    "recurrence_count",
)


def _changed(record: object, names: tuple[str, ...]) -> bool:
    state = inspect(record)
    for name in names:
        history = state.attrs[name].history
        if history.added or history.deleted:
            # An attribute set to the value it had is no change.
            if list(history.added) != list(history.deleted):
                return True
    return False


def _keep_cancelled_at(record: Event) -> None:
    cancelled = record.status == EventStatus.CANCELLED
    if cancelled and record.cancelled_at is None:
        record.cancelled_at = utcnow()
    elif not cancelled and record.cancelled_at is not None:
        record.cancelled_at = None


def _keep_span(record: Event) -> None:
    from crm.services.events.series import span

    if record.timezone is None:  # not given: the column's default, which the span is read in
        record.timezone = Event.__table__.c.timezone.default.arg
    found = span(record)
    if found is None:
        return
    if record.span_starts_at != found[0]:
        record.span_starts_at = found[0]
    if record.span_ends_at != found[1]:
        record.span_ends_at = found[1]


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    raised: set[int] = set()
    for record in session.new:
        if isinstance(record, Event):
            _keep_cancelled_at(record)
            if record.sequence is None:
                record.sequence = 0
            with session.no_autoflush:
                _keep_span(record)
    for record in session.dirty:
        if isinstance(record, Event) and record not in session.deleted:
            _keep_cancelled_at(record)
            if _changed(record, SEQUENCED):
                record.sequence = (record.sequence or 0) + 1
                raised.add(id(record))
                with session.no_autoflush:
                    _keep_span(record)
    occurrences = [
        record
        for record in (*session.new, *session.dirty, *session.deleted)
        if isinstance(record, EventOccurrence)
    ]
    for occurrence in occurrences:
        if occurrence in session.dirty and not session.is_modified(occurrence):
            continue
        with session.no_autoflush:
            # A deleted override may already be out of its event's collection.
            parent = occurrence.event
            if parent is None and occurrence.event_id is not None:
                parent = session.get(Event, occurrence.event_id)
        if parent is None or parent in session.deleted:
            continue
        with session.no_autoflush:
            _keep_span(parent)
        if id(parent) in raised:
            continue
        parent.sequence = (parent.sequence or 0) + 1
        raised.add(id(parent))


def install() -> None:
    """Listen on every session (the app's and the tests'); installing twice is harmless."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
