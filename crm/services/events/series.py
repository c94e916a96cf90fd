"""Series: the occurrences a weekly or monthly rule gives, and the single ones cancelled or
moved.

Occurrences follow the wall clock of the event's own zone, as RFC 5545 expands an RRULE with
a TZID: a weekly 09:30 in Europe/Berlin stays 09:30 there across the change to summer time
(so its UTC hour moves). A wall-clock time the clocks skip on some day is read with the
offset before the gap (02:30 becomes 03:30 summer time), as RFC 5545 says. A monthly series
keeps the day of the month and skips the months that do not have it (the 31st: no February);
a count counts the occurrences that take place. Each occurrence lasts what the first does.

An occurrence is named by its key: the UTC instant the rule gives it (``20270328T073000Z``)
for a timed series, its day (``20271004``) for an all-day one; an override
(``EventOccurrence``) keeps that original, so a moved occurrence is still the same one (the
RECURRENCE-ID of calendars).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.extensions import db
from crm.models import AuditAction, Event, EventOccurrence, RecurrenceFreq, User, utcnow
from crm.services import audit
from crm.services.checks import clean_text
from crm.services.errors import ValidationError
from crm.services.events.records import AUDIT_ENTITY, clean_times, label, may_change, require

# Enough for every series the rules allow (200 occurrences, or five years of weeks); a bound
# on the loop whatever is stored.
MAX_STEPS = 1_000
_TIMED_KEY = re.compile(r"([0-9]{8})T([0-9]{6})Z")
_DAY_KEY = re.compile(r"[0-9]{8}")


@dataclass(frozen=True)
class Occurrence:
    """One occurrence as lists, the month grid and feeds show it: its key, its times (moved
    ones if it was moved), and whether it was cancelled or moved."""

    key: str
    starts_at: datetime | None
    ends_at: datetime | None
    start_date: date | None
    end_date: date | None
    is_cancelled: bool
    is_moved: bool

    def span(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Start and (exclusive) end in UTC; all-day ones from midnight to midnight of
        ``zone``."""
        if self.starts_at is not None and self.ends_at is not None:
            return self.starts_at, self.ends_at
        assert self.start_date is not None and self.end_date is not None
        return _midnight(self.start_date, zone), _midnight(self.end_date + timedelta(days=1), zone)


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def key_of(original: datetime | date) -> str:
    if isinstance(original, datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def _add_months(day: date, months: int) -> date | None:
    """The same day of the month ``months`` later; None when that month has no such day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    try:
        return day.replace(year=year, month=month + 1)
    except ValueError:
        return None


def _local_days(event: Event) -> Iterator[date]:
    """The first days (in the event's zone) of the rule's occurrences, in order."""
    zone = ZoneInfo(event.timezone)
    if event.is_all_day:
        assert event.start_date is not None
        first = event.start_date
    else:
        assert event.starts_at is not None
        first = event.starts_at.astimezone(zone).date()
    if event.recurrence is None:
        yield first
        return
    interval = max(1, event.recurrence_interval or 1)
    given = 0
    for step in range(MAX_STEPS):
        if event.recurrence == RecurrenceFreq.WEEKLY:
            try:
                day: date | None = first + timedelta(days=7 * interval * step)
            except OverflowError:
                return
        else:
            day = _add_months(first, interval * step)
            if day is None:
                if first.year + (interval * step) // 12 > 9999:
                    return
                continue  # a month without that day
        assert day is not None
        if event.recurrence_until is not None and day > event.recurrence_until:
            return
        yield day
        given += 1
        if event.recurrence_count is not None and given >= event.recurrence_count:
            return
        if event.recurrence_until is None and event.recurrence_count is None:
            return  # a series without an end is refused; stored anyway, it is one event


def originals(event: Event) -> list[datetime | date]:
    """What the rule gives, in order: UTC instants (timed) or days (all-day)."""
    if event.is_all_day:
        return list(_local_days(event))
    assert event.starts_at is not None
    zone = ZoneInfo(event.timezone)
    wall = event.starts_at.astimezone(zone).time().replace(tzinfo=None)
    instants: list[datetime | date] = []
    for day in _local_days(event):
        # fold=0: a skipped wall-clock time takes the offset before the gap (RFC 5545).
        instants.append(datetime.combine(day, wall, tzinfo=zone).astimezone(UTC))
    return instants


def _override_key(override: EventOccurrence) -> str:
    original = override.original_start or override.original_date
    assert original is not None
    return key_of(original)


def _occurrence(event: Event, original: datetime | date, override: EventOccurrence | None):
    moved = override is not None and override.is_moved
    if event.is_all_day:
        assert isinstance(original, date) and not isinstance(original, datetime)
        assert event.start_date is not None and event.end_date is not None
        start_date = override.start_date if moved and override else original
        end_date = (
            override.end_date
            if moved and override
            else original + (event.end_date - event.start_date)
        )
        return Occurrence(
            key_of(original), None, None, start_date, end_date,
            bool(override and override.is_cancelled), moved,
        )  # fmt: skip
    assert isinstance(original, datetime)
    assert event.starts_at is not None and event.ends_at is not None
    starts_at = override.starts_at if moved and override else original
    ends_at = (
        override.ends_at if moved and override else original + (event.ends_at - event.starts_at)
    )
    return Occurrence(
        key_of(original), starts_at, ends_at, None, None,
        bool(override and override.is_cancelled), moved,
    )  # fmt: skip


def all_occurrences(event: Event) -> list[Occurrence]:
    """Every occurrence of the event (a single event: itself), in the rule's order."""
    overrides = {_override_key(o): o for o in event.occurrences} if event.recurrence else {}
    return [
        _occurrence(event, original, overrides.get(key_of(original)))
        for original in originals(event)
    ]


def span(event: Event) -> tuple[datetime, datetime] | None:
    """From the first start to the last end of every occurrence (moved ones where they were
    moved to), in UTC; None while the event's times are incomplete (the database refuses
    such a row anyway)."""
    if event.is_all_day:
        if event.start_date is None or event.end_date is None:
            return None
    elif event.starts_at is None or event.ends_at is None:
        return None
    zone = ZoneInfo(event.timezone)
    spans = [o.span(zone) for o in all_occurrences(event)]
    return min(s for s, _e in spans), max(e for _s, e in spans)


def _bound(moment: datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("give window bounds as tz-aware datetimes or dates")
        return moment.astimezone(UTC)
    return _midnight(moment, zone)


def occurrences(event: Event, start: datetime | date, end: datetime | date) -> list[Occurrence]:
    """The occurrences that overlap ``[start, end)`` (dates are midnights in the event's
    zone), cancelled ones included (flagged), moved ones where they were moved to."""
    zone = ZoneInfo(event.timezone)
    low, high = _bound(start, zone), _bound(end, zone)
    found = []
    for occurrence in all_occurrences(event):
        begins, ends = occurrence.span(zone)
        if begins < high and (ends > low or begins >= low):
            found.append(occurrence)
    found.sort(key=lambda o: o.span(zone)[0])
    return found


# --- Single occurrences ----------------------------------------------------------------------


def _parse_key(event: Event, raw: object) -> datetime | date:
    """The original an occurrence key names, if the rule gives it."""
    field = "occurrence"
    if not event.recurrence:
        raise ValidationError(f"{label(event)} is not a series", field=field)
    key = clean_text(raw, field, 20) or ""
    try:
        if event.is_all_day:
            if not _DAY_KEY.fullmatch(key):
                raise ValueError
            original: datetime | date = datetime.strptime(key, "%Y%m%d").date()
        else:
            match = _TIMED_KEY.fullmatch(key)
            if match is None:
                raise ValueError
            original = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValidationError(
            f"{key[:20]!r} is not an occurrence of {label(event).lower()}", field=field
        ) from None
    if original not in originals(event):
        raise ValidationError(
            f"{key[:20]!r} is not an occurrence of {label(event).lower()}", field=field
        )
    return original


def _override(event: Event, original: datetime | date) -> EventOccurrence | None:
    for override in event.occurrences:
        if (override.original_start or override.original_date) == original:
            return override
    return None


def _new_override(event: Event, original: datetime | date) -> EventOccurrence:
    override = EventOccurrence(
        original_start=original if isinstance(original, datetime) else None,
        original_date=None if isinstance(original, datetime) else original,
        is_cancelled=False,
    )
    event.occurrences.append(override)
    return override


def _shown(event: Event, original: datetime | date) -> str:
    if isinstance(original, datetime):
        return original.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%d %H:%M")
    return original.isoformat()


def _touch(event: Event) -> None:
    event.updated_at = utcnow()


def cancel_occurrence(actor: User, event: Event, key: object) -> EventOccurrence:
    """Cancel one occurrence of a series (calendars show it as an EXDATE)."""
    require(may_change(actor, event), "change this event")
    original = _parse_key(event, key)
    override = _override(event, original)
    if override is not None and override.is_cancelled:
        raise ValidationError(
            f"the occurrence of {_shown(event, original)} is already cancelled", field="occurrence"
        )
    if override is None:
        override = _new_override(event, original)
    override.is_cancelled = True
    _touch(event)
    db.session.flush()
    audit.record(
        AuditAction.CANCEL_OCCURRENCE,
        AUDIT_ENTITY,
        event.id,
        actor,
        {"occurrence": [key_of(original), None]},
        summary=f"cancelled the occurrence of {_shown(event, original)} of “{event.title}”",
    )
    return override


def move_occurrence(
    actor: User, event: Event, key: object, data: Mapping[str, Any], *, now: datetime | None = None
) -> EventOccurrence:
    """Move one occurrence to other times (``data``: start_date, start_time, end_date,
    end_time, read in the event's zone as the event's own are)."""
    require(may_change(actor, event), "change this event")
    original = _parse_key(event, key)
    override = _override(event, original)
    if override is not None and override.is_cancelled:
        raise ValidationError(
            f"the occurrence of {_shown(event, original)} was cancelled: restore it first",
            field="occurrence",
        )
    zone = ZoneInfo(event.timezone)
    times = clean_times(
        data, event.is_all_day, event.timezone, today=(now or utcnow()).astimezone(zone).date()
    )
    before = (
        [_shown(event, override.starts_at or override.start_date)]  # type: ignore[arg-type]
        if override is not None and override.is_moved
        else [_shown(event, original)]
    )
    if override is None:
        override = _new_override(event, original)
    override.starts_at, override.ends_at = times.starts_at, times.ends_at
    override.start_date, override.end_date = times.start_date, times.end_date
    if not override.is_moved:
        raise AssertionError("clean_times gives a start")
    _touch(event)
    db.session.flush()
    moved_to = _shown(event, times.starts_at or times.start_date)  # type: ignore[arg-type]
    audit.record(
        AuditAction.MOVE_OCCURRENCE,
        AUDIT_ENTITY,
        event.id,
        actor,
        {"occurrence": [before[0], moved_to]},
        summary=f"moved the occurrence of {_shown(event, original)} of “{event.title}” "
        f"to {moved_to}",
    )
    return override


def restore_occurrence(actor: User, event: Event, key: object) -> None:
    """Give an occurrence back to the rule: not cancelled, at its own times."""
    require(may_change(actor, event), "change this event")
    original = _parse_key(event, key)
    override = _override(event, original)
    if override is None:
        raise ValidationError(
            f"the occurrence of {_shown(event, original)} is neither cancelled nor moved",
            field="occurrence",
        )
    what = "cancelled" if override.is_cancelled else "moved"
    _forget(event, override)
    _touch(event)
    db.session.flush()
    audit.record(
        AuditAction.RESTORE_OCCURRENCE,
        AUDIT_ENTITY,
        event.id,
        actor,
        {"occurrence": [what, None]},
        summary=f"restored the occurrence of {_shown(event, original)} of “{event.title}”",
    )


def _forget(event: Event, override: EventOccurrence) -> None:
    """Delete an override now (a pending one is only taken out), so that the session hook
    sees the deletion in the same flush."""
    if sa.inspect(override).persistent:
        db.session.delete(override)
    event.occurrences.remove(override)


def drop_stray_overrides(event: Event) -> int:
    """Remove the overrides of occurrences the event's (changed) rule no longer gives; how
    many. Called by the edits of ``records`` before they flush."""
    if not event.occurrences:
        return 0
    given = set(originals(event)) if event.recurrence is not None else set()
    stray = [o for o in event.occurrences if (o.original_start or o.original_date) not in given]
    for override in stray:
        _forget(event, override)
    return len(stray)
