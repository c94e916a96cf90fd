"""The event pages: the list with its filters, the month grid, an event's page (its times,
place, organiser, sub-items, description, occurrences and participants), the form (new and
edit), postponing and cancelling, an occurrence's cancel, move and restore, participants'
add, update and remove.

Thin, as the follow-up pages are: the form is read here (ids, text typed into a picker), the
events service decides, and every refusal comes back beside its field with nothing written.
Everyone signed in reads events; the roles holding ``events.create`` create them and change
those they created (coordinators and admins any): the others see the pages without buttons,
and their POSTs answer 403.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from crm.extensions import db
from crm.forms.events import (
    ALL_DAY,
    COUNT,
    TIMED,
    UNTIL,
    ActionForm,
    EventForm,
    MoveForm,
    ParticipantForm,
    ParticipantUpdateForm,
    PostponeForm,
)
from crm.models import (
    Attendance,
    Country,
    DescriptionFormat,
    Event,
    EventKind,
    EventParticipant,
    EventStatus,
    Organisation,
    OurRole,
    ParticipantRole,
    RecurrenceFreq,
    StrEnum,
)
from crm.security import can, requires
from crm.services import reference
from crm.services.checks import (
    clean_clock_time,
    clean_country,
    clean_date,
    clean_enum,
    clean_int,
    clean_text,
    clean_timezone,
)
from crm.services.errors import ConflictError, ValidationError
from crm.services.events import listing, participants, records, series
from crm.services.events.description import render_description
from crm.services.outreach import pickers
from crm.services.timeline import TimelineEntry, audit_history
from crm.services.versioning import check_version
from crm.templating import option_tags, viewer_timezone
from crm.views.auth import safe_next, zone_choices
from crm.views.events_support import (
    LIST_PARAMS_INTERNAL,
    SeriesState,
    current_args,
    event_when,
    filter_options,
    filter_refusal,
    ics_name,
    live_organiser,
    occurrence_when,
    one_address,
    original_label,
    page_arg,
    place,
    series_state,
    without,
)
from crm.views.forms_support import attach_error, conflict_in_words
from crm.views.outreach import records as outreach_views

bp = Blueprint("events", __name__, url_prefix="/events")
bp.before_request(one_address)

# The service's data keys -> the form's fields, where they differ.
FIELD_OF = {
    "organiser_organisation_id": "organisation_ids",
    "subitems": "subitem_ids",
    "is_all_day": "timing",
}
STALE = (
    "This event was changed by someone else since you opened it, so nothing was saved. "
    "Their version is below; apply your change again if you still mean to."
)
HISTORY_SHOWN = 200
OCCURRENCES_SHOWN = 200  # a series has at most 200 by count; a long "until" is cut here
PARTICIPANTS_SHOWN = 500
LABELS = {
    "title": "Title",
    "kind": "Kind",
    "is_all_day": "All day",
    "start_date": "Starts on",
    "start_time": "Start time",
    "end_date": "Ends on",
    "end_time": "End time",
    "timezone": "Time zone",
    "venue": "Venue",
    "city": "City",
    "country_code": "Country",
    "online_url": "Online link",
    "organiser_organisation_id": "Organiser organisation",
    "organiser_name": "Organiser's name",
    "our_role": "Our role",
    "status": "Status",
    "is_published": "Published",
    "subitems": "Sub-items",
    "description": "Description",
    "description_format": "Description written as",
    "recurrence": "Repeats",
    "recurrence_interval": "Every",
    "recurrence_end": "Ends",
    "recurrence_until": "Last date",
    "recurrence_count": "Number of times",
}


# Shared pieces ------------------------------------------------------------------------------


def _get(event_id: int) -> Event:
    """The event, or 404 (deleted ones too: the pages have no deleting)."""
    event = db.session.get(Event, event_id)
    if event is None or event.deleted_at is not None:
        abort(404)
    return event


def _changeable(event_id: int) -> Event:
    event = _get(event_id)
    if not records.may_change(current_user, event):
        abort(403)
    return event


def _today() -> date:
    return datetime.now(viewer_timezone()).date()


def _flash_done(event: Event, done: str) -> None:
    link = Markup('<a href="{}">{}</a>').format(
        url_for("events.show", event_id=event.id), event.title
    )
    flash(Markup("Event {} was {}.").format(link, done), "success")


def _message(error: ValidationError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


# Lists --------------------------------------------------------------------------------------


def _list_page(
    template: str,
    status: int,
    errors: list[str],
    refused: str | None = None,
    **context: Any,
) -> tuple[str, int]:
    return render_template(
        template,
        errors=errors,
        args=request.args,
        options=filter_options(request.args),
        query=without(current_args(request.args, LIST_PARAMS_INTERNAL), refused),
        may_create=can(current_user, "events.create"),
        zone=viewer_timezone(),
        **context,
    ), status


@dataclass
class Row:
    event: Event
    when: Any
    place: str
    series: SeriesState | None = None  # a series: its next occurrence, how many are left


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    try:
        f = listing.EventFilter.from_args(request.args)
        page = listing.list_events(f, page=page_arg(request.args))
    except ValidationError as error:
        return _list_page(
            "events/list.html", 400, [filter_refusal(error)], error.field, page=None, rows=[]
        )
    zone = viewer_timezone()
    rows = [
        Row(event, event_when(event, zone), place(event), series_state(event, zone))
        for event in page.items
    ]
    return _list_page(
        "events/list.html",
        200,
        [],
        page=page,
        rows=rows,
        previous_args=current_args(request.args, LIST_PARAMS_INTERNAL, page=page.page - 1),
        next_args=current_args(request.args, LIST_PARAMS_INTERNAL, page=page.page + 1),
    )


def _shifted(year: int, month: int, by: int) -> str | None:
    n = year * 12 + (month - 1) + by
    y, m = divmod(n, 12)
    if not listing.FIRST_YEAR <= y <= listing.LAST_YEAR:
        return None
    return f"{y:04d}-{m + 1:02d}"


@bp.get("/month")
@login_required
def month() -> tuple[str, int]:
    try:
        f = listing.EventFilter.from_args(request.args)
        first = f.month or _today().replace(day=1)
        year, number = first.year, first.month
        weeks = listing.month_grid(year, number, f)
    except ValidationError as error:
        return _list_page(
            "events/month.html", 400, [filter_refusal(error)], error.field, weeks=None, title=""
        )
    zone = viewer_timezone()
    args = current_args(request.args, LIST_PARAMS_INTERNAL, month=None, period=None)
    before, after = _shifted(year, number, -1), _shifted(year, number, 1)
    return _list_page(
        "events/month.html",
        200,
        [],
        weeks=weeks,
        has_events=any(day.occurrences for week in weeks for day in week),
        title=f"{date(year, number, 1):%B %Y}",
        month_value=f"{year:04d}-{number:02d}",
        month_number=number,
        today=_today(),
        previous_args={**args, "month": before} if before else None,
        next_args={**args, "month": after} if after else None,
        label_of=lambda occurrence: _grid_label(occurrence, zone),
    )


def _grid_label(entry: listing.DayEntry, zone: ZoneInfo) -> str:
    """The start of an entry of the grid on its first day, on the wall clock of the event
    (the day it is placed on is the event's too), its zone's abbreviation added when that
    clock differs from the viewer's ("09:30", "09:30 CST"); "" all day and on later days."""
    starts_at = entry.occurrence.starts_at
    if starts_at is None or not entry.is_first_day:
        return ""
    try:
        own = ZoneInfo(entry.event.timezone)
    except (ValueError, KeyError):
        own = zone
    local = starts_at.astimezone(own)
    same = local.utcoffset() == starts_at.astimezone(zone).utcoffset()
    return f"{local:%H:%M}" if same else f"{local:%H:%M %Z}"


# Reading the form ---------------------------------------------------------------------------


@dataclass
class Picked:
    """What the form's pickers show, chosen or offered to tick."""

    organisations: list[pickers.OrganisationChoice] = field(default_factory=list)
    subitems: list[pickers.SubitemChoice] = field(default_factory=list)
    candidates: dict[str, list[Any]] = field(default_factory=dict)
    zone: str = ""  # the viewer's


def _picked(ids: dict[str, list[int]]) -> Picked:
    return Picked(
        organisations=pickers.organisation_choices(ids["organisation_ids"]),
        subitems=pickers.subitem_choices(ids["subitem_ids"]),
        zone=viewer_timezone().key,
    )


def _refuse(form: Any, entry: outreach_views.Entry, error: ValidationError) -> None:
    """A refusal of the service beside the form's field (its data keys as the form's)."""
    error.field = FIELD_OF.get(error.field or "", error.field)
    attach_error(form, error)
    entry.has_errors = True


def _read(form: EventForm) -> outreach_views.Entry:
    entry = outreach_views.Entry(ids={}, day=_today())
    _plain_ids(form, entry)
    for name in ("organisation_ids", "subitem_ids"):
        entry.ids[name] = outreach_views.read_ids(form, name, entry)
        outreach_views.resolve_typed(form, name, entry)
    if len(entry.ids["organisation_ids"]) > 1:
        _refuse(
            form,
            entry,
            ValidationError(
                "an event has one organiser organisation at most: untick all but one",
                field="organisation_ids",
            ),
        )
    known = {item.id for item in pickers.subitem_choices(entry.ids["subitem_ids"])}
    unknown = [i for i in entry.ids["subitem_ids"] if i not in known]
    if unknown:
        _refuse(
            form,
            entry,
            ValidationError(f"there is no sub-item #{unknown[0]}", field="subitem_ids"),
        )
    if form.timing.data not in (TIMED, ALL_DAY):
        _refuse(
            form,
            entry,
            ValidationError(
                f"{str(form.timing.data)[:20]!r} is not a choice: at set times, or all day",
                field="timing",
            ),
        )
    _shapes(form, entry)
    return entry


_DIGITS = re.compile(r"[0-9]+")


def _plain_ids(form: EventForm, entry: outreach_views.Entry) -> None:
    """The pickers' ids as plain digits only: "+1" or " 1" would read as 1, one record under
    several spellings. Any other spelling is refused beside its picker (and dropped)."""
    for name in ("organisation_ids", "subitem_ids"):
        box = getattr(form, name)
        sent = list(box.data or [])
        bad = [v for v in sent if not (isinstance(v, str) and _DIGITS.fullmatch(v))]
        if bad:
            shown = str(bad[0])[:20] if isinstance(bad[0], str) else "a file"
            _refuse(
                form,
                entry,
                ValidationError(f"{shown!r} is not an id: digits 0-9 only", field=name),
            )
            box.data = [v for v in sent if v not in bad]


def _published(form: EventForm) -> Any:
    """The checkbox as sent ("" when unticked): the service reads yes and no ("0", "off",
    "no" are no), where WTForms took every value but "false" for yes."""
    raw = form.is_published.raw_data
    if raw is None:  # filled from the stored values, not sent
        return bool(form.is_published.data)
    return raw[0] if raw else ""


def _shapes(form: EventForm, entry: outreach_views.Entry) -> None:
    """Every field's own checks at once, in the form's order: an empty form shows all its
    missing fields in one answer, not one a submit. The checks are the service's own
    (``crm.services.checks``, ``records``); what depends on several fields (the end after the
    start, a series' gaps, the organiser's record) is left to the service, which stays the
    authority and whose refusal still shows beside its field."""
    timed = form.timing.data != ALL_DAY
    repeats = bool(str(form.recurrence.data or "").strip())
    end = str(form.recurrence_end.data or "")
    url: list[str | None] = []
    country: list[str | None] = []

    def start_time() -> None:
        if timed and clean_clock_time(form.start_time.data, "start_time") is None:
            raise ValidationError(
                "give the start time (HH:MM), or make it an all-day event", field="start_time"
            )

    def end_time() -> None:
        if timed and clean_clock_time(form.end_time.data, "end_time") is None:
            raise ValidationError("give the end time (HH:MM)", field="end_time")

    def recurrence_end() -> None:
        if repeats and end and end not in (UNTIL, COUNT):  # none: the service decides
            raise ValidationError(f"{end[:20]!r} is not until or count", field="recurrence_end")

    def recurrence_until() -> None:
        day = clean_date(form.recurrence_until.data, "recurrence_until")
        if repeats and end == UNTIL and day is None:
            raise ValidationError("give the last day of the series", field="recurrence_until")

    def recurrence_count() -> None:
        count = clean_int(
            form.recurrence_count.data, "recurrence_count", records.MIN_COUNT, records.MAX_COUNT
        )
        if repeats and end == COUNT and count is None:
            raise ValidationError(
                f"give how many times it takes place ({records.MIN_COUNT} to {records.MAX_COUNT})",
                field="recurrence_count",
            )

    def country_code() -> None:
        country.append(clean_country(form.country_code.data, "country_code"))

    def online_url() -> None:
        url.append(records.clean_url(form.online_url.data, "online_url"))
        if country == [None] and url == [None]:
            raise ValidationError(
                "give the country it takes place in, or the link of an online event",
                field="country_code",
            )

    steps: list[tuple[str, Any]] = [
        ("title", lambda: clean_text(form.title.data, "title", records.TITLE_LIMIT, True)),
        ("kind", lambda: clean_enum(EventKind, form.kind.data, "kind", True)),
        ("our_role", lambda: clean_enum(OurRole, form.our_role.data, "our_role", True)),
        ("status", lambda: clean_enum(EventStatus, form.status.data, "status")),
        ("start_date", lambda: clean_date(form.start_date.data, "start_date", True)),
        ("start_time", start_time),
        ("end_date", lambda: clean_date(form.end_date.data, "end_date")),
        ("end_time", end_time),
        ("timezone", lambda: clean_timezone(form.timezone.data, "timezone")),
        ("recurrence", lambda: clean_enum(RecurrenceFreq, form.recurrence.data, "recurrence")),
        (
            "recurrence_interval",
            lambda: (
                repeats
                and clean_int(
                    form.recurrence_interval.data, "recurrence_interval", 1, records.MAX_INTERVAL
                )
            ),
        ),
        ("recurrence_end", recurrence_end),
        ("recurrence_until", recurrence_until),
        ("recurrence_count", recurrence_count),
        ("venue", lambda: clean_text(form.venue.data, "venue", records.PLACE_LIMIT)),
        ("city", lambda: clean_text(form.city.data, "city", records.CITY_LIMIT)),
        ("country_code", country_code),
        ("online_url", online_url),
        (
            "organiser_name",
            lambda: clean_text(form.organiser_name.data, "organiser_name", records.PLACE_LIMIT),
        ),
        ("is_published", lambda: records.clean_flag(_published(form), "is_published")),
        (
            "description",
            lambda: clean_text(form.description.data, "description", records.DESCRIPTION_LIMIT),
        ),
        (
            "description_format",
            lambda: clean_enum(
                DescriptionFormat, form.description_format.data, "description_format"
            ),
        ),
    ]
    for name, step in steps:
        if getattr(form, name).errors:
            continue  # refused already (a file in its place, a picker)
        try:
            step()
        except ValidationError as error:
            error.field = error.field or name
            _refuse(form, entry, error)


def _text(value: Any) -> Any:
    """A form value as typed (a file sent in its place never gets this far: guards.py)."""
    return value if value is not None else ""


def _data(form: EventForm, entry: outreach_views.Entry) -> dict[str, Any]:
    codes = {item.id: item.code for item in pickers.subitem_choices(entry.ids["subitem_ids"])}
    all_day = form.timing.data == ALL_DAY
    return {
        "title": _text(form.title.data),
        "kind": _text(form.kind.data),
        "is_all_day": all_day,
        "start_date": _text(form.start_date.data),
        "start_time": "" if all_day else _text(form.start_time.data),
        "end_date": _text(form.end_date.data),
        "end_time": "" if all_day else _text(form.end_time.data),
        "timezone": _text(form.timezone.data),
        "venue": _text(form.venue.data),
        "city": _text(form.city.data),
        "country_code": _text(form.country_code.data),
        "online_url": _text(form.online_url.data),
        "organiser_organisation_id": next(iter(entry.ids["organisation_ids"]), None),
        "organiser_name": _text(form.organiser_name.data),
        "our_role": _text(form.our_role.data),
        "status": _text(form.status.data),
        "is_published": _published(form),
        "subitems": [codes[i] for i in entry.ids["subitem_ids"] if i in codes],
        "description": _text(form.description.data),
        "description_format": _text(form.description_format.data),
        "recurrence": _text(form.recurrence.data),
        "recurrence_interval": _text(form.recurrence_interval.data),
        "recurrence_end": _text(form.recurrence_end.data),
        "recurrence_until": _text(form.recurrence_until.data),
        "recurrence_count": _text(form.recurrence_count.data),
    }


def _render_form(
    form: EventForm,
    picked: Picked,
    event: Event | None = None,
    status: int = 200,
    conflict: ConflictError | None = None,
) -> tuple[str, int]:
    zone = str(form.timezone.data or "")
    # A zone that is not a choice (typed into the request): "Choose", never the first zone.
    known = zone in dict(zone_choices())
    return render_template(
        "events/form.html",
        form=form,
        picked=picked,
        event=event,
        conflict=conflict,
        zone_options=option_tags(zone_choices(), zone, None if known else "Choose a time zone"),
        country_options=option_tags(
            reference.vocabulary(Country), str(form.country_code.data or ""), "—"
        ),
        viewer_zone=viewer_timezone().key,
        stored_when=event_when(event, viewer_timezone()) if event is not None else None,
    ), status


def _refused(
    form: EventForm, entry: outreach_views.Entry, event: Event | None = None
) -> tuple[str, int]:
    picked = _picked(entry.ids)
    picked.candidates = entry.candidates
    return _render_form(form, picked, event, status=400)


def _subitem_ids(codes: list[str]) -> list[int]:
    by_code = {code: item_id for item_id, _parent, code, _text in reference.framework_items()}
    return [by_code[code] for code in codes if code in by_code]


def _filled(values: dict[str, Any]) -> tuple[EventForm, Picked]:
    """The form filled from the service's values (``stored_values``)."""
    form = EventForm(formdata=None)
    for name, value in values.items():
        target = getattr(form, name, None)
        if target is None or name in FIELD_OF:
            continue
        if name == "is_published":
            target.data = bool(value)
        elif isinstance(value, StrEnum):
            target.data = value.value
        elif isinstance(value, (date, time)):
            target.data = value.strftime("%H:%M") if isinstance(value, time) else value.isoformat()
        else:
            target.data = "" if value is None else str(value)
    form.timing.data = ALL_DAY if values.get("is_all_day") else TIMED
    if form.recurrence_end.data not in (UNTIL, COUNT):
        form.recurrence_end.data = UNTIL
    organiser = values.get("organiser_organisation_id")
    ids = {
        "organisation_ids": [int(organiser)] if organiser else [],
        "subitem_ids": _subitem_ids([str(code) for code in values.get("subitems") or []]),
    }
    return form, _picked(ids)


# New ----------------------------------------------------------------------------------------


def _blank_form() -> tuple[EventForm, Picked]:
    form = EventForm(formdata=None)
    form.timezone.data = viewer_timezone().key
    form.next.data = safe_next(request.args.get("next")) or ""
    return form, _picked({"organisation_ids": [], "subitem_ids": []})


@bp.route("/new", methods=["GET", "POST"])
@requires("events.create")
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _render_form(*_blank_form())
    form = EventForm()
    valid = form.validate()  # first: validating clears the errors attached before
    entry = _read(form)
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry)
    try:
        event = records.create_event(current_user, _data(form, entry))
    except ValidationError as error:
        db.session.rollback()
        _refuse(form, entry, error)
        return _refused(form, entry)
    db.session.commit()
    _flash_done(event, "created")
    return redirect(target or url_for("events.show", event_id=event.id))


# An event's page ----------------------------------------------------------------------------


@dataclass
class OccurrenceLine:
    """An occurrence of a series on the event's page, with its move form's first values
    (its own times in the event's zone)."""

    occurrence: series.Occurrence
    when: Any
    is_past: bool
    start_date: str
    start_time: str
    end_date: str
    end_time: str
    moved_from: str = ""  # a moved one: the date the rule gave it


def _occurrences(event: Event) -> list[OccurrenceLine]:
    if event.recurrence is None:
        return []
    viewer = viewer_timezone()
    zone = ZoneInfo(event.timezone)
    now = datetime.now(UTC)
    lines = []
    for occurrence in series.all_occurrences(event)[:OCCURRENCES_SHOWN]:
        starts, ends = occurrence.span(zone)
        local_start, local_end = starts.astimezone(zone), ends.astimezone(zone)
        timed = occurrence.starts_at is not None
        lines.append(
            OccurrenceLine(
                occurrence,
                occurrence_when(occurrence, event, viewer),
                ends <= now,
                (occurrence.start_date or local_start.date()).isoformat(),
                f"{local_start:%H:%M}" if timed else "",
                (occurrence.end_date or local_end.date()).isoformat(),
                f"{local_end:%H:%M}" if timed else "",
                original_label(event, occurrence.key) if occurrence.is_moved else "",
            )
        )
    return lines


def _participants(event: Event) -> list[EventParticipant]:
    return list(
        db.session.scalars(
            sa.select(EventParticipant)
            .where(EventParticipant.event_id == event.id)
            .options(
                selectinload(EventParticipant.person), selectinload(EventParticipant.organisation)
            )
            .order_by(EventParticipant.id)
            .limit(PARTICIPANTS_SHOWN)
        )
    )


def _named(history: list[TimelineEntry]) -> list[TimelineEntry]:
    """The history with the organiser organisation by name, not its id ("organiser
    organisation id — 2"): one look-up for every id the entries name."""
    key = "organiser_organisation_id"
    ids = {
        value
        for entry in history
        for value in entry.changes.get(key, [])
        if isinstance(value, int) and not isinstance(value, bool)
    }
    if not ids:
        return history
    names: dict[int, str] = {
        organisation_id: name
        for organisation_id, name in db.session.execute(
            sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))
        )
    }

    def shown(value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{names[value]} (#{value})" if value in names else f"#{value}"
        return value

    for entry in history:
        if key in entry.changes:
            changes = {}
            for name, values in entry.changes.items():
                if name == key:
                    changes["Organiser organisation"] = [shown(v) for v in values]
                else:
                    changes[name] = values
            entry.changes = changes
    return history


def render_event(
    event: Event,
    status: int = 200,
    error: str = "",
    participant_form: ParticipantForm | None = None,
    participant_picked: dict[str, Any] | None = None,
    postpone_form: PostponeForm | None = None,
    move_forms: dict[str, MoveForm] | None = None,
) -> tuple[str, int]:
    zone = viewer_timezone()
    may_change = records.may_change(current_user, event) and can(current_user, "events.create")
    history: list[TimelineEntry] = []
    if can(current_user, "register.audit") or may_change:
        history = _named(audit_history("event", event.id, HISTORY_SHOWN))
    postpone = postpone_form or PostponeForm(formdata=None)
    occurrence_lines = _occurrences(event)
    return render_template(
        "events/detail.html",
        event=event,
        when=event_when(event, zone),
        series=series_state(event, zone),
        place=place(event),
        organiser_live=live_organiser(event) is not None,
        ics_name=ics_name(event),
        description=render_description(event.description, event.description_format),
        occurrences=occurrence_lines,
        occurrences_total=len(series.all_occurrences(event)) if event.recurrence else 0,
        participants=_participants(event),
        participant_form=participant_form or ParticipantForm(formdata=None),
        participant_picked=participant_picked or {"people": [], "organisations": []},
        postpone_form=postpone,
        move_forms=move_forms or {},
        may_change=may_change,
        may_log=can(current_user, "outreach.log"),
        history=history,
        roles=tuple(ParticipantRole.choices()),
        attendances=tuple(Attendance.choices()),
        option_tags=option_tags,
        error=error,
    ), status


@bp.get("/<int:event_id>")
@login_required
def show(event_id: int) -> tuple[str, int]:
    return render_event(_get(event_id))


# Edit ---------------------------------------------------------------------------------------


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, StrEnum):
        return value.label
    if isinstance(value, datetime):
        return value.astimezone(viewer_timezone()).strftime("%d %b %Y %H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@requires("events.create")
def edit(event_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    if request.method == "GET":
        form, picked = _filled(records.stored_values(event))
        form.version.data = str(event.version)
        form.next.data = safe_next(request.args.get("next")) or ""
        return _render_form(form, picked, event)
    form = EventForm()
    valid = form.validate()
    entry = _read(form)
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry, event)
    try:
        records.update_event(current_user, event, _data(form, entry), form.version.data)
    except ValidationError as error:
        db.session.rollback()
        _refuse(form, entry, error)
        return _refused(form, entry, event)
    except ConflictError as conflict:
        db.session.rollback()
        db.session.refresh(event)
        fresh, picked = _filled(records.stored_values(event))
        fresh.version.data = str(event.version)
        fresh.next.data = target or ""
        fresh.form_errors.append(STALE)
        in_words = conflict_in_words(conflict, LABELS, _shown)
        return _render_form(fresh, picked, event, status=409, conflict=in_words)
    db.session.commit()
    _flash_done(event, "saved")
    return redirect(target or url_for("events.show", event_id=event.id))


# Postpone, cancel ---------------------------------------------------------------------------


def _checked(form: Any, what: str) -> None:
    if not form.validate():
        abort(400, description=f"The form expired: reload the event and {what} again.")


@bp.post("/<int:event_id>/postpone")
@requires("events.create")
def postpone(event_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    form = PostponeForm()
    _checked(form, "postpone it")
    data = {
        name: _text(getattr(form, name).data)
        for name in ("start_date", "start_time", "end_date", "end_time")
    }
    try:
        records.postpone_event(current_user, event, data, expected_version=form.version.data)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        attach_error(form, error)
        return render_event(event, 400, _message(error), postpone_form=form)
    except ConflictError:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 409, STALE, postpone_form=form)
    db.session.commit()
    _flash_done(event, "postponed")
    return redirect(url_for("events.show", event_id=event.id))


@bp.post("/<int:event_id>/cancel")
@requires("events.create")
def cancel(event_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    form = ActionForm()
    _checked(form, "cancel it")
    try:
        records.cancel_event(current_user, event, expected_version=form.version.data)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 400, _message(error))
    except ConflictError:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 409, STALE)
    db.session.commit()
    _flash_done(event, "cancelled")
    return redirect(url_for("events.show", event_id=event.id))


# Occurrences of a series ---------------------------------------------------------------------

KEY_LIMIT = 20  # "20270328T073000Z" is 16 characters


def _key(key: str) -> str:
    if len(key) > KEY_LIMIT or not key.isascii() or not key.isalnum():
        abort(404)
    return key


def _occurrence_step(event_id: int, key: str, step: Any, done: str) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    key = _key(key)
    form = ActionForm()
    _checked(form, "try")
    try:
        step(current_user, event, key)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 400, _message(error))
    db.session.commit()
    flash(f"The occurrence was {done}.", "success")
    return redirect(url_for("events.show", event_id=event.id) + "#occurrences")


@bp.post("/<int:event_id>/occurrences/<key>/cancel")
@requires("events.create")
def cancel_occurrence(event_id: int, key: str) -> Response | tuple[str, int]:
    return _occurrence_step(event_id, key, series.cancel_occurrence, "cancelled")


@bp.post("/<int:event_id>/occurrences/<key>/restore")
@requires("events.create")
def restore_occurrence(event_id: int, key: str) -> Response | tuple[str, int]:
    return _occurrence_step(event_id, key, series.restore_occurrence, "restored")


@bp.post("/<int:event_id>/occurrences/<key>/move")
@requires("events.create")
def move_occurrence(event_id: int, key: str) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    key = _key(key)
    form = MoveForm()
    _checked(form, "move it")
    data = {
        name: _text(getattr(form, name).data)
        for name in ("start_date", "start_time", "end_date", "end_time")
    }
    try:
        series.move_occurrence(current_user, event, key, data)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        attach_error(form, error)
        return render_event(event, 400, _message(error), move_forms={key: form})
    db.session.commit()
    flash("The occurrence was moved.", "success")
    return redirect(url_for("events.show", event_id=event.id) + "#occurrences")


# Participants --------------------------------------------------------------------------------


def _participant(event: Event, participant_id: int) -> EventParticipant:
    participant = db.session.get(EventParticipant, participant_id)
    if participant is None or participant.event_id != event.id:
        abort(404)
    return participant


@bp.post("/<int:event_id>/participants")
@requires("events.create")
def add_participant(event_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    form = ParticipantForm()
    _checked(form, "add them")
    entry = outreach_views.Entry(ids={}, day=_today())
    for name in ("person_ids", "organisation_ids"):
        entry.ids[name] = outreach_views.read_ids(form, name, entry)
        outreach_views.resolve_typed(form, name, entry)
    person_ids, organisation_ids = entry.ids["person_ids"], entry.ids["organisation_ids"]
    problem = ""
    if len(person_ids) + len(organisation_ids) == 0 and not entry.has_errors:
        problem = "choose a person or an organisation of the register"
    elif len(person_ids) > 1 or len(organisation_ids) > 1:
        problem = (
            "add one person (with their organisation, if you like) at a time: untick the others"
        )
    if problem:
        attach_error(form, ValidationError(problem, field="person_ids"))
        entry.has_errors = True
    if not entry.has_errors:
        try:
            participants.add_participant(
                current_user,
                event,
                person_id=next(iter(person_ids), None),
                organisation_id=next(iter(organisation_ids), None),
                role=_text(form.role.data),
                attendance=_text(form.attendance.data),
            )
        except ValidationError as error:
            db.session.rollback()
            db.session.refresh(event)
            error.field = {"person_id": "person_ids", "organisation_id": "organisation_ids"}.get(
                error.field or "", error.field
            )
            attach_error(form, error)
            entry.has_errors = True
    if entry.has_errors:
        picked = {
            "people": pickers.people_choices(person_ids, entry.day),
            "organisations": pickers.organisation_choices(organisation_ids),
            **{f"candidates_{k}": v for k, v in entry.candidates.items()},
        }
        problems = [e for f in form for e in f.errors] + list(form.form_errors)
        return render_event(
            event,
            400,
            "The participant was not added: " + " ".join(problems),
            participant_form=form,
            participant_picked=picked,
        )
    db.session.commit()
    flash("The participant was added.", "success")
    return redirect(url_for("events.show", event_id=event.id) + "#participants")


@bp.post("/<int:event_id>/participants/<int:participant_id>")
@requires("events.create")
def update_participant(event_id: int, participant_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    participant = _participant(event, participant_id)
    form = ParticipantUpdateForm()
    _checked(form, "save it")
    data = {"role": _text(form.role.data), "attendance": _text(form.attendance.data)}
    try:
        check_version(participant, form.version.data, {}, "This participant")
        participants.update_participant(current_user, participant, data)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 400, "The participant was not saved: " + _message(error))
    except ConflictError:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 409, STALE)
    db.session.commit()
    flash("The participant was saved.", "success")
    return redirect(url_for("events.show", event_id=event.id) + "#participants")


@bp.post("/<int:event_id>/participants/<int:participant_id>/remove")
@requires("events.create")
def remove_participant(event_id: int, participant_id: int) -> Response | tuple[str, int]:
    event = _changeable(event_id)
    participant = _participant(event, participant_id)
    form = ActionForm()
    _checked(form, "remove them")
    try:
        participants.remove_participant(current_user, participant)
    except ValidationError as error:
        db.session.rollback()
        db.session.refresh(event)
        return render_event(event, 400, _message(error))
    db.session.commit()
    flash("The participant was removed.", "success")
    return redirect(url_for("events.show", event_id=event.id) + "#participants")
