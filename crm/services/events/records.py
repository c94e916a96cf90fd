"""The rules of every event write: creating, editing, postponing and cancelling.

Every caller (the event pages, ``crm import events``, the tests) passes through here, so the
rules hold whatever the way in: a title, a kind and our role; a time zone the zone database
knows; timed events whose start and end exist on the wall clock of that zone (not in the hour
the clocks skip) and end after they start; all-day events over whole days, the end inclusive;
a place (a country) or an online link; an organiser of the register that is not deleted or
merged away; sub-items that are leaves of the framework; a series (weekly or monthly) that
ends, by a date or a count.

What calendars need beyond the fields (SEQUENCE raised on a change of time, place or status,
``cancelled_at`` kept in step with the status) is kept by the session hook of
``crm.services.events.sequence``, not here, so that no write path can forget it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.clock import programme_zone
from crm.extensions import db
from crm.models import (
    AuditAction,
    CommitmentItem,
    DescriptionFormat,
    Event,
    EventKind,
    EventStatus,
    Organisation,
    OurRole,
    RecurrenceFreq,
    User,
    utcnow,
)
from crm.permissions import can
from crm.services import audit
from crm.services.checks import (
    MAX_ID,
    as_text,
    clean_clock_time,
    clean_date,
    clean_enum,
    clean_int,
    clean_text,
    clean_timezone,
    local_to_utc,
    plausible_day,
)
from crm.services.checks import clean_country as _clean_country
from crm.services.errors import ValidationError
from crm.services.framework import clean_sub_item
from crm.services.outreach.records import refuse_gone
from crm.services.reference import item_rows
from crm.services.versioning import check_version

# The audit log's name for events (``AuditEntry.entity_type``).
AUDIT_ENTITY = "event"
TITLE_LIMIT = 300
PLACE_LIMIT = 300
CITY_LIMIT = 120
URL_LIMIT = 500
DESCRIPTION_LIMIT = 20_000
MAX_SUBITEMS = 50  # more than any framework has leaves: a bound on the work, not a rule
LONGEST = timedelta(days=60)  # no fair or course runs longer: a mistyped end date
SERIES_YEARS = 5  # a series running longer is a mistyped "until" date
MIN_COUNT, MAX_COUNT = 2, 200
MAX_INTERVAL = 12

# The keys of ``data`` (the form's field names), in the order the checks run.
FIELDS = (
    "title",
    "kind",
    "is_all_day",
    "timezone",
    "start_date",
    "start_time",
    "end_date",
    "end_time",
    "venue",
    "city",
    "country_code",
    "online_url",
    "organiser_organisation_id",
    "organiser_name",
    "our_role",
    "status",
    "is_published",
    "subitems",
    "description",
    "description_format",
    "recurrence",
    "recurrence_interval",
    "recurrence_end",
    "recurrence_until",
    "recurrence_count",
)
_TRUE = frozenset({"1", "on", "true", "yes", "y"})
_FALSE = frozenset({"", "0", "off", "false", "no", "n"})


# --- Who may change what ---------------------------------------------------------------------


def may_change(user: User, event: Event) -> bool:
    """Coordinators and admins change any event; officers and organisers those they
    created."""
    if can(user, "events.change_any"):
        return True
    me = getattr(user, "id", None)
    return can(user, "events.create") and me is not None and event.created_by_id == me


def require(allowed: bool, what: str) -> None:
    """A guard behind the views' own checks (which answer 403 first): a caller that forgot
    them gets an error, not a silent write."""
    if not allowed:
        raise PermissionError(f"this account may not {what}")


# --- The values as the form shows them -------------------------------------------------------


def local_times(event: Event) -> tuple[date, time | None, date, time | None]:
    """Start and end as the form shows them: days (all-day) or days and times of day in the
    event's own zone."""
    if event.is_all_day:
        assert event.start_date is not None and event.end_date is not None
        return event.start_date, None, event.end_date, None
    assert event.starts_at is not None and event.ends_at is not None
    zone = ZoneInfo(event.timezone)
    start = event.starts_at.astimezone(zone)
    end = event.ends_at.astimezone(zone)
    return (
        start.date(),
        start.time().replace(tzinfo=None),
        end.date(),
        end.time().replace(tzinfo=None),
    )


def _recurrence_end(until: date | None, count: int | None) -> str:
    if until is not None:
        return "until"
    if count is not None:
        return "count"
    return ""


def stored_values(event: Event) -> dict[str, object]:
    """An event's values by the form's field names (codes, not ids, for sub-items): what the
    edit form starts from and what a conflict shows beside the user's own."""
    start_date, start_time, end_date, end_time = local_times(event)
    return {
        "title": event.title,
        "kind": event.kind.value,
        "is_all_day": event.is_all_day,
        "timezone": event.timezone,
        "start_date": start_date,
        "start_time": start_time,
        "end_date": end_date,
        "end_time": end_time,
        "venue": event.venue,
        "city": event.city,
        "country_code": event.country_code,
        "online_url": event.online_url,
        "organiser_organisation_id": event.organiser_organisation_id,
        "organiser_name": event.organiser_name,
        "our_role": event.our_role.value,
        "status": event.status.value,
        "is_published": event.is_published,
        "subitems": sorted(item.code for item in event.subitems),
        "description": event.description,
        "description_format": event.description_format.value,
        "recurrence": event.recurrence.value if event.recurrence is not None else "",
        "recurrence_interval": event.recurrence_interval,
        "recurrence_end": _recurrence_end(event.recurrence_until, event.recurrence_count),
        "recurrence_until": event.recurrence_until,
        "recurrence_count": event.recurrence_count,
    }


# --- Field checks ----------------------------------------------------------------------------


def clean_flag(value: object, field: str) -> bool:
    """A checkbox: absent or empty is False; "1", "on", "true", "yes" True."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if not isinstance(value, (str, int)):
        raise ValidationError("expected yes or no", field=field)
    text = as_text(value, field).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError(f"{text[:20]!r} is not yes or no", field=field)


def _day(value: object, field: str, kept: date | None, today: date) -> date | None:
    """A day in the calendar the programme can mean; one far in the past or ahead is a
    mistyped year, unless the event already had it."""
    if isinstance(value, datetime):
        raise ValidationError("expected a date (YYYY-MM-DD), not a date and time", field=field)
    day = value if isinstance(value, date) else clean_date(value, field)
    if day is None or day == kept:
        return day
    return plausible_day(day, field, today)


def _clock(value: object, field: str) -> time | None:
    if isinstance(value, datetime):
        raise ValidationError("expected a time of day (HH:MM), not a date and time", field=field)
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValidationError(
                "give the time of day without a time zone: it is read in the event's",
                field=field,
            )
        return value
    return clean_clock_time(value, field)


def clean_url(value: object, field: str = "online_url") -> str | None:
    """An http(s) link with a host, or None."""
    text = clean_text(value, field, URL_LIMIT)
    if text is None:
        return None
    if any(ch.isspace() for ch in text):
        raise ValidationError("a link has no spaces", field=field)
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 (a port out of range raises here, not in a later reader)
    except ValueError:
        raise ValidationError(f"{text[:80]!r} is not a link", field=field) from None
    if parts.scheme.lower() not in ("http", "https") or not host:
        raise ValidationError(
            "give the whole link, starting with https:// (e.g. https://meet.example.org/abc)",
            field=field,
        )
    return text


@dataclass
class Times:
    """Start and end of an event (or of one occurrence): UTC instants for a timed one, days
    for an all-day one."""

    is_all_day: bool
    starts_at: datetime | None
    ends_at: datetime | None
    start_date: date | None
    end_date: date | None

    @property
    def length(self) -> timedelta:
        if self.is_all_day:
            assert self.start_date is not None and self.end_date is not None
            return self.end_date - self.start_date + timedelta(days=1)
        assert self.starts_at is not None and self.ends_at is not None
        return self.ends_at - self.starts_at


def clean_times(
    data: Mapping[str, Any],
    is_all_day: bool,
    zone: str,
    *,
    kept: tuple[date, time | None, date, time | None] | None = None,
    today: date,
) -> Times:
    """The start and end of ``data`` (start_date, start_time, end_date, end_time): an empty
    end date is the start date; timed ones read in ``zone``, refusing a skipped wall-clock
    time and an end before the start (on ``end_date``)."""
    start_day = _day(data.get("start_date"), "start_date", kept[0] if kept else None, today)
    if start_day is None:
        raise ValidationError("give the first day as YYYY-MM-DD", field="start_date")
    end_day = _day(data.get("end_date"), "end_date", kept[2] if kept else None, today)
    end_day = end_day or start_day
    if is_all_day:
        if end_day < start_day:
            raise ValidationError(
                f"the last day ({end_day.isoformat()}) is before the first "
                f"({start_day.isoformat()})",
                field="end_date",
            )
        times = Times(True, None, None, start_day, end_day)
    else:
        start_clock = _clock(data.get("start_time"), "start_time")
        if start_clock is None:
            raise ValidationError(
                "give the start time (HH:MM), or make it an all-day event", field="start_time"
            )
        end_clock = _clock(data.get("end_time"), "end_time")
        if end_clock is None:
            raise ValidationError("give the end time (HH:MM)", field="end_time")
        tz = ZoneInfo(zone)
        starts = local_to_utc(start_day, start_clock, tz, "start_time", "start_date")
        ends = local_to_utc(end_day, end_clock, tz, "end_time", "end_date")
        if ends <= starts:
            raise ValidationError(
                f"it ends ({end_day.isoformat()} {end_clock:%H:%M}) before it starts "
                f"({start_day.isoformat()} {start_clock:%H:%M})"
                if ends < starts
                else "it ends when it starts: give an end after the start",
                field="end_date",
            )
        times = Times(False, starts, ends, None, None)
    if times.length > LONGEST:
        raise ValidationError(
            f"an event of more than {LONGEST.days} days: check the last day", field="end_date"
        )
    return times


def _organiser(value: object, kept: int | None) -> Organisation | None:
    field = "organiser_organisation_id"
    organisation_id = clean_int(value, field, 1, MAX_ID)
    if organisation_id is None:
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise ValidationError(f"there is no organisation #{organisation_id}", field=field)
    if organisation_id != kept:
        refuse_gone(
            organisation,
            field,
            erased="cannot organise an event",
            deleted="choose another organiser or leave it empty",
        )
    return organisation


def _subitems(raw: object) -> list[CommitmentItem]:
    """The framework's leaves with these codes (``1.3c``), each once, in the order given."""
    field = "subitems"
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.replace(",", " ").split()]
    if isinstance(raw, bytes) or not isinstance(raw, Iterable):
        raise ValidationError("expected a list of sub-item codes", field=field)
    codes: list[str] = []
    for value in raw:
        code = clean_sub_item(value, field)
        if code and code not in codes:
            codes.append(code)
            if len(codes) > MAX_SUBITEMS:
                raise ValidationError(f"at most {MAX_SUBITEMS} sub-items", field=field)
    if not codes:
        return []
    rows = item_rows()
    parents = {parent for _id, parent, _code in rows}
    ids = [item_id for item_id, _p, code in rows if code in codes and item_id not in parents]
    found = {
        item.code: item
        for item in db.session.scalars(sa.select(CommitmentItem).where(CommitmentItem.id.in_(ids)))
    }
    return [found[code] for code in codes if code in found]


@dataclass
class Series:
    recurrence: RecurrenceFreq | None
    interval: int
    until: date | None
    count: int | None


def clean_series(data: Mapping[str, Any], times: Times, zone: str) -> Series:
    """The repetition: none, or weekly/monthly every ``interval`` until a day or for a count.
    A series without an end is refused (``recurrence_end``); occurrences must not overlap."""
    recurrence = clean_enum(RecurrenceFreq, data.get("recurrence"), "recurrence")
    if recurrence is None:
        return Series(None, 1, None, None)
    interval = clean_int(data.get("recurrence_interval"), "recurrence_interval", 1, MAX_INTERVAL)
    interval = interval or 1
    raw_until = data.get("recurrence_until")
    until = (
        raw_until
        if isinstance(raw_until, date) and not isinstance(raw_until, datetime)
        else clean_date(raw_until, "recurrence_until")
    )
    count = clean_int(data.get("recurrence_count"), "recurrence_count", MIN_COUNT, MAX_COUNT)
    end = clean_text(data.get("recurrence_end"), "recurrence_end", 10) or ""
    if end not in ("", "until", "count"):
        raise ValidationError(f"{end!r} is not until or count", field="recurrence_end")
    if not end:
        # Without the choice (an import, an API), one given end stands for it.
        if (until is None) == (count is None):
            raise ValidationError(
                "a series needs an end: repeat it until a date or a number of times",
                field="recurrence_end",
            )
        end = "until" if until is not None else "count"
    first_day = times.start_date
    if first_day is None:
        assert times.starts_at is not None
        first_day = times.starts_at.astimezone(ZoneInfo(zone)).date()
    if end == "until":
        if until is None:
            raise ValidationError("give the last day of the series", field="recurrence_until")
        if until < first_day:
            raise ValidationError(
                f"the series would end ({until.isoformat()}) before its first day "
                f"({first_day.isoformat()})",
                field="recurrence_until",
            )
        if until > first_day + timedelta(days=366 * SERIES_YEARS):
            raise ValidationError(
                f"a series of more than {SERIES_YEARS} years: check the year",
                field="recurrence_until",
            )
        count = None
    else:
        if count is None:
            raise ValidationError(
                f"give how many times it takes place ({MIN_COUNT} to {MAX_COUNT})",
                field="recurrence_count",
            )
        until = None
    gap = timedelta(days=7 * interval if recurrence == RecurrenceFreq.WEEKLY else 28)
    if times.length > gap:
        raise ValidationError(
            "each occurrence would last longer than the gap to the next: shorten the event "
            "or repeat it less often",
            field="end_date",
        )
    return Series(recurrence, interval, until, count)


@dataclass
class _Values:
    """An event's fields after every check, with the linked rows loaded."""

    title: str
    kind: EventKind
    timezone: str
    times: Times
    venue: str | None
    city: str | None
    country_code: str | None
    online_url: str | None
    organiser: Organisation | None
    organiser_name: str | None
    our_role: OurRole
    status: EventStatus
    is_published: bool
    subitems: list[CommitmentItem]
    description: str
    description_format: DescriptionFormat
    series: Series

    def shown(self) -> dict[str, object]:
        """The values by the form's field names, as ``stored_values`` gives them."""
        probe = SimpleNamespace(
            is_all_day=self.times.is_all_day,
            starts_at=self.times.starts_at,
            ends_at=self.times.ends_at,
            start_date=self.times.start_date,
            end_date=self.times.end_date,
            timezone=self.timezone,
        )
        start_date, start_time, end_date, end_time = local_times(probe)  # type: ignore[arg-type]
        return {
            "title": self.title,
            "kind": self.kind.value,
            "is_all_day": self.times.is_all_day,
            "timezone": self.timezone,
            "start_date": start_date,
            "start_time": start_time,
            "end_date": end_date,
            "end_time": end_time,
            "venue": self.venue,
            "city": self.city,
            "country_code": self.country_code,
            "online_url": self.online_url,
            "organiser_organisation_id": self.organiser.id if self.organiser else None,
            "organiser_name": self.organiser_name,
            "our_role": self.our_role.value,
            "status": self.status.value,
            "is_published": self.is_published,
            "subitems": sorted(item.code for item in self.subitems),
            "description": self.description,
            "description_format": self.description_format.value,
            "recurrence": self.series.recurrence.value if self.series.recurrence else "",
            "recurrence_interval": self.series.interval,
            "recurrence_end": _recurrence_end(self.series.until, self.series.count),
            "recurrence_until": self.series.until,
            "recurrence_count": self.series.count,
        }


def _today(zone: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def _clean(
    data: Mapping[str, Any], event: Event | None, now: datetime, *, default_status: EventStatus
) -> _Values:
    """Every field checked, in the order of ``FIELDS``; the first refusal names its field."""
    title = clean_text(data.get("title"), "title", TITLE_LIMIT, required=True)
    kind = clean_enum(EventKind, data.get("kind"), "kind", required=True)
    is_all_day = clean_flag(data.get("is_all_day"), "is_all_day")
    zone = clean_timezone(data.get("timezone"), "timezone") or programme_zone().key
    kept = local_times(event) if event is not None else None
    times = clean_times(data, is_all_day, zone, kept=kept, today=_today(zone, now))
    venue = clean_text(data.get("venue"), "venue", PLACE_LIMIT)
    city = clean_text(data.get("city"), "city", CITY_LIMIT)
    country_code = _clean_country(data.get("country_code"), "country_code")
    online_url = clean_url(data.get("online_url"), "online_url")
    if country_code is None and online_url is None:
        raise ValidationError(
            "give the country it takes place in, or the link of an online event",
            field="country_code",
        )
    organiser = _organiser(
        data.get("organiser_organisation_id"),
        event.organiser_organisation_id if event is not None else None,
    )
    organiser_name = clean_text(data.get("organiser_name"), "organiser_name", PLACE_LIMIT)
    our_role = clean_enum(OurRole, data.get("our_role"), "our_role", required=True)
    status = clean_enum(EventStatus, data.get("status"), "status") or default_status
    is_published = clean_flag(data.get("is_published"), "is_published")
    subitems = _subitems(data.get("subitems"))
    description = clean_text(data.get("description"), "description", DESCRIPTION_LIMIT) or ""
    description_format = (
        clean_enum(DescriptionFormat, data.get("description_format"), "description_format")
        or DescriptionFormat.TEXT
    )
    series = clean_series(data, times, zone)
    return _Values(
        title,
        kind,
        zone,
        times,
        venue,
        city,
        country_code,
        online_url,
        organiser,
        organiser_name,
        our_role,
        status,
        is_published,
        subitems,
        description,
        description_format,
        series,
    )


# --- Writes ----------------------------------------------------------------------------------


def label(event: Event) -> str:
    return f"The event “{event.title}”"


_COLUMNS = (
    "title",
    "kind",
    "timezone",
    "venue",
    "city",
    "country_code",
    "online_url",
    "organiser_name",
    "our_role",
    "status",
    "is_published",
    "description",
    "description_format",
)


def _assign(event: Event, values: _Values) -> None:
    """Write the values that differ (an unchanged column stays untouched, so SEQUENCE only
    moves for real changes)."""
    wanted: dict[str, object] = {name: getattr(values, name) for name in _COLUMNS}
    wanted.update(
        is_all_day=values.times.is_all_day,
        starts_at=values.times.starts_at,
        ends_at=values.times.ends_at,
        start_date=values.times.start_date,
        end_date=values.times.end_date,
        organiser_organisation_id=values.organiser.id if values.organiser else None,
        recurrence=values.series.recurrence,
        recurrence_interval=values.series.interval,
        recurrence_until=values.series.until,
        recurrence_count=values.series.count,
    )
    for name, value in wanted.items():
        if getattr(event, name) != value:
            setattr(event, name, value)
    if {item.id for item in event.subitems} != {item.id for item in values.subitems}:
        event.subitems = values.subitems


def create_event(actor: User, data: Mapping[str, Any], *, now: datetime | None = None) -> Event:
    """A new event created by ``actor`` (planned unless ``status`` says otherwise); ``now``
    only for tests of the date rules."""
    require(can(actor, "events.create"), "create events")
    values = _clean(data, None, now or utcnow(), default_status=EventStatus.PLANNED)
    event = Event(created_by_id=actor.id, sequence=0, recurrence_interval=1)
    with db.session.no_autoflush:
        _assign(event, values)
    db.session.add(event)
    db.session.flush()
    shown = {k: v for k, v in values.shown().items() if v not in (None, "", [], False)}
    audit.record(
        AuditAction.CREATE,
        AUDIT_ENTITY,
        event.id,
        actor,
        audit.changes({}, shown),
        summary=f"created event “{event.title}”",
    )
    return event


def _refuse_deleted(event: Event) -> None:
    if event.deleted_at is not None:
        raise ValidationError(f"{label(event)} was deleted; an admin can restore it first")


def update_event(
    actor: User,
    event: Event,
    data: Mapping[str, Any],
    expected_version: object,
    *,
    now: datetime | None = None,
) -> Event:
    """Save an edit made on ``expected_version``: a stale one raises ConflictError with the
    differences; only what changed is written and audited. Overridden occurrences that the
    new rule no longer gives are dropped (and said so in the audit)."""
    _refuse_deleted(event)
    require(may_change(actor, event), "change this event")
    values = _clean(data, event, now or utcnow(), default_status=event.status)
    before = stored_values(event)
    after = values.shown()
    check_version(
        SimpleNamespace(version=event.version, **before), expected_version, after, label(event)
    )
    changes = audit.changes(before, after)
    with db.session.no_autoflush:
        _assign(event, values)
    if not changes and not db.session.is_modified(event):
        return event
    from crm.services.events.series import drop_stray_overrides

    with db.session.no_autoflush:
        dropped = drop_stray_overrides(event)
    if dropped:
        changes["overridden occurrences"] = [dropped, 0]
    # Sub-items alone do not touch the row: this does, so its version moves on.
    event.updated_at = utcnow()
    db.session.flush()
    db.session.expire(event, ["organiser_organisation"])
    audit.record(AuditAction.UPDATE, AUDIT_ENTITY, event.id, actor, changes)
    return event


_WHEN = ("start_date", "start_time", "end_date", "end_time")


def _same_length(
    before: Mapping[str, Any], merged: Mapping[str, Any], all_day: bool
) -> dict[str, object]:
    """A new start without a new end: the end moves with it, so the event keeps its length
    on the wall clock."""
    old_day, new_day = (
        before["start_date"],
        _day(merged["start_date"], "start_date", None, date.max),
    )
    old_clock = before["start_time"] or time(0)
    new_clock = (None if all_day else _clock(merged["start_time"], "start_time")) or time(0)
    if not isinstance(old_day, date) or new_day is None:
        return {}
    moved = datetime.combine(new_day, new_clock) - datetime.combine(old_day, old_clock)
    end = datetime.combine(before["end_date"], before["end_time"] or time(0)) + moved
    return {"end_date": end.date(), "end_time": None if all_day else end.time()}


def postpone_event(
    actor: User,
    event: Event,
    data: Mapping[str, Any] | None = None,
    *,
    expected_version: object = None,
    now: datetime | None = None,
) -> Event:
    """Mark an event postponed, with new dates when ``data`` gives them (start_date,
    start_time, end_date, end_time; the rest stays). ``expected_version``, when given,
    refuses a step taken on an old page."""
    _refuse_deleted(event)
    require(may_change(actor, event), "postpone this event")
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(
            f"{label(event)} was cancelled: it cannot be postponed", field="status"
        )
    if expected_version is not None:
        check_version(event, expected_version, {}, label(event))
    data = data or {}
    before = stored_values(event)
    with db.session.no_autoflush:
        given = {k: v for k, v in data.items() if k in _WHEN and v not in (None, "")}
        if given:
            moment = now or utcnow()
            merged = {**before, **given}
            if not given.keys() & {"end_date", "end_time"}:
                merged.update(_same_length(before, merged, event.is_all_day))
            times = clean_times(
                merged,
                event.is_all_day,
                event.timezone,
                kept=local_times(event),
                today=_today(event.timezone, moment),
            )
            clean_series(before, times, event.timezone)
            for name in ("starts_at", "ends_at", "start_date", "end_date"):
                if getattr(event, name) != getattr(times, name):
                    setattr(event, name, getattr(times, name))
        event.status = EventStatus.POSTPONED
    if not db.session.is_modified(event):
        return event
    from crm.services.events.series import drop_stray_overrides

    with db.session.no_autoflush:
        dropped = drop_stray_overrides(event)
    db.session.flush()
    changes = audit.changes(before, stored_values(event))
    if dropped:
        changes["overridden occurrences"] = [dropped, 0]
    audit.record(
        AuditAction.POSTPONE,
        AUDIT_ENTITY,
        event.id,
        actor,
        changes,
        summary=f"postponed event “{event.title}”",
    )
    return event


def cancel_event(
    actor: User,
    event: Event,
    *,
    expected_version: object = None,
) -> Event:
    """Cancel an event: it stays (and stays in feeds as cancelled for 30 days, from
    ``cancelled_at``, which the session hook sets)."""
    _refuse_deleted(event)
    require(may_change(actor, event), "cancel this event")
    if event.status == EventStatus.CANCELLED:
        raise ValidationError(f"{label(event)} is already cancelled", field="status")
    if expected_version is not None:
        check_version(event, expected_version, {}, label(event))
    previous = event.status
    event.status = EventStatus.CANCELLED
    db.session.flush()
    audit.record(
        AuditAction.CANCEL,
        AUDIT_ENTITY,
        event.id,
        actor,
        {"status": [previous.value, EventStatus.CANCELLED.value]},
        summary=f"cancelled event “{event.title}”",
    )
    return event
