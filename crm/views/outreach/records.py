"""Logging outreach, a record's page, editing, deleting and restoring it.

The form is read here (dates in the user's time zone, ids, the text typed into a picker
resolved to a record), then the outreach service decides; every refusal comes back beside
its field with nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm.extensions import db
from crm.forms.outreach import OutreachForm, RecordActionForm
from crm.models import (
    Event,
    Material,
    Organisation,
    Outreach,
    Person,
    StrEnum,
    outreach_people,
)
from crm.security import can, requires
from crm.services import followups
from crm.services.checks import (
    MAX_ID,
    clean_clock_time,
    clean_date,
    clean_int,
    clean_text,
    local_to_utc,
)
from crm.services.errors import ConflictError, ValidationError
from crm.services.followups.listing import FollowUpRow, follow_ups_about
from crm.services.followups.records import TITLE_LIMIT
from crm.services.materials import offered_materials
from crm.services.outreach import pickers
from crm.services.outreach.choices import Recent, recent_choices
from crm.services.outreach.pickers import (
    Ambiguous,
    EventChoice,
    OrganisationChoice,
    PersonChoice,
    SubitemChoice,
)
from crm.services.outreach.records import (
    MAX_ORGANISATIONS,
    MAX_PEOPLE,
    delete_outreach,
    log_outreach,
    may_change,
    restore_outreach,
    update_outreach,
)
from crm.services.timeline import TimelineEntry, audit_history
from crm.templating import localtime, viewer_timezone
from crm.views.auth import safe_next
from crm.views.forms_support import attach_error
from crm.views.outreach import bp

ID_LISTS = ("person_ids", "organisation_ids", "subitem_ids", "material_ids")
# Which picker's text box names which list of ids.
QUERIES = {
    "person_ids": "people_query",
    "organisation_ids": "organisations_query",
    "subitem_ids": "subitems_query",
}
# The service names its data keys; the form names its fields.
FIELD_OF = {"occurred_at": "occurred_on"}
STALE_DELETE = (
    "This record was changed by someone else since you opened it, so it was not deleted. "
    "Check it below and delete it again if you still mean to."
)
NEXT_REFUSED = "the page to return to must be a path on this site, e.g. /people/12"
FOLLOW_UP_DAYS = 3650  # "in N days": ten years at most, the furthest a due date may be
FOLLOW_UP_REFUSED = "this account may not plan follow-ups"


# What the pickers show --------------------------------------------------------------------


@dataclass
class Offer:
    """An organisation offered because a chosen person works there (tick to add it)."""

    organisation_id: int
    name: str
    person: str


@dataclass
class Picked:
    """Everything the form's pickers and lists show, chosen or offered."""

    people: list[PersonChoice] = field(default_factory=list)
    organisations: list[OrganisationChoice] = field(default_factory=list)
    subitems: list[SubitemChoice] = field(default_factory=list)
    offers: list[Offer] = field(default_factory=list)
    recent_subitems: list[SubitemChoice] = field(default_factory=list)
    recent_ids: list[int] = field(default_factory=list)
    candidates: dict[str, list[Any]] = field(default_factory=dict)
    materials: list[Material] = field(default_factory=list)
    material_ids: set[int] = field(default_factory=set)
    events: list[EventChoice] = field(default_factory=list)
    zone: str = ""  # the time zone the date and time are read in
    max_people: int = MAX_PEOPLE  # the limits the service keeps, told in the pickers' hints
    max_organisations: int = MAX_ORGANISATIONS


def picked_for(
    ids: dict[str, list[int]], on: date, event_id: int | None, recent: Recent | None = None
) -> Picked:
    recent = recent or recent_choices(current_user)
    picked = Picked(
        people=pickers.people_choices(ids["person_ids"], on),
        organisations=pickers.organisation_choices(ids["organisation_ids"]),
        subitems=pickers.subitem_choices(ids["subitem_ids"]),
        recent_ids=recent.subitem_ids,
        material_ids=set(ids["material_ids"]),
        events=pickers.events_around(on, keep=event_id),
        zone=viewer_timezone().key,
    )
    chosen_organisations = {o.id for o in picked.organisations}
    for person in picked.people:
        if (
            person.organisation_id is not None
            and not person.is_gone
            and person.organisation_id not in chosen_organisations
        ):
            chosen_organisations.add(person.organisation_id)
            picked.offers.append(
                Offer(person.organisation_id, person.organisation_name or "", person.name)
            )
    chosen_items = {item.id for item in picked.subitems}
    picked.recent_subitems = [
        item
        for item in pickers.subitem_choices(recent.subitem_ids)
        if item.id not in chosen_items and item.is_leaf
    ]
    picked.materials = offered_materials(picked.material_ids)
    return picked


def event_choices(form: OutreachForm, picked: Picked) -> None:
    form.event_id.choices = [SelectChoice("", "No event")] + [
        SelectChoice(str(e.id), e.label) for e in picked.events
    ]
    # The events of another day, when the date changes (static/js/pickers.js).
    form.event_id.render_kw = {"data-source": url_for("outreach.lookup_events")}


# Reading the form ---------------------------------------------------------------------------


@dataclass
class FollowUpPlan:
    """The "Follow up" part of the form, read: created with the record it follows up."""

    due_date: date
    title: str  # as typed; empty: "Follow up: <subject>"
    field: str  # the form field the due date came from (days or a date)

    def data(self, record: Outreach, ids: dict[str, list[int]]) -> dict[str, Any]:
        """The follow-up's data for ``followups.create_follow_up``: assigned to the logger
        (the actor), about the record and the first person and organisation chosen on it
        (so that it shows on their timelines), on the record's sub-items (the service's
        default)."""
        title = self.title or f"Follow up: {record.subject}"
        if len(title) > TITLE_LIMIT:
            title = title[: TITLE_LIMIT - 1] + "…"
        return {
            "title": title,
            "due_date": self.due_date,
            "due_time": None,
            "outreach_id": record.id,
            "person_id": next(iter(ids["person_ids"]), None),
            "organisation_id": next(iter(ids["organisation_ids"]), None),
        }


@dataclass
class Entry:
    """The form as the service takes it, or the fields it was refused on."""

    ids: dict[str, list[int]]
    day: date
    event_id: int | None = None
    occurred_at: datetime | None = None
    candidates: dict[str, list[Any]] = field(default_factory=dict)
    has_errors: bool = False
    follow_up: FollowUpPlan | None = None

    def data(self, form: OutreachForm) -> dict[str, Any]:
        return {
            "occurred_at": self.occurred_at,
            "channel": form.channel.data,
            "direction": form.direction.data,
            "subject": form.subject.data,
            "outcome": form.outcome.data or None,
            "notes": form.notes.data or "",
            "event_id": self.event_id,
            **{name: list(self.ids[name]) for name in ID_LISTS},
        }


def refuse(form: FlaskForm, entry: Entry, error: ValidationError) -> None:
    """Show ``error`` beside its field (the service's data keys read as the form's names)."""
    error.field = FIELD_OF.get(error.field or "", error.field)
    attach_error(form, error)
    entry.has_errors = True


def read_ids(form: FlaskForm, name: str, entry: Entry) -> list[int]:
    """The ids ticked in one of the form's lists, in order; anything else beside the list."""
    found: list[int] = []
    for raw in getattr(form, name).data or []:
        try:
            value = clean_int(raw, name, 1, MAX_ID)
        except ValidationError as error:
            shown = str(raw)[:20] if isinstance(raw, str) else "a file"
            refuse(form, entry, ValidationError(f"{shown!r}: {error.message}", field=name))
            continue
        if value is not None and value not in found:
            found.append(value)
    return found


def resolve_typed(form: FlaskForm, name: str, entry: Entry) -> None:
    """Text left in a picker's box (typed without JavaScript, or not picked): the record it
    names joins the chosen ones; several matches are offered to tick."""
    box = getattr(form, QUERIES[name])
    try:
        text = pickers.clean_query(box.data, QUERIES[name])
        if not text:
            return
        if name == "person_ids":
            chosen: Any = pickers.find_person(text, entry.day, field=name)
        elif name == "organisation_ids":
            chosen = pickers.find_organisation_choice(text, field=name)
        else:
            chosen = pickers.find_subitem(text, field=name)
    except Ambiguous as question:
        entry.candidates[name] = question.candidates
        refuse(form, entry, question)
        return
    except ValidationError as error:
        error.field = name
        refuse(form, entry, error)
        return
    if chosen.id not in entry.ids[name]:
        entry.ids[name].append(chosen.id)
    box.data = ""


def _read_follow_up(form: OutreachForm, entry: Entry) -> None:
    """The "Follow up" part: in N days (from today in the user's zone) or on a date; a
    title alone says nothing about when, so it is refused rather than dropped."""
    try:
        days = clean_int(form.follow_up_days.data, "follow_up_days", 0, FOLLOW_UP_DAYS)
        on = clean_date(form.follow_up_on.data, "follow_up_on")
        title = clean_text(form.follow_up_title.data, "follow_up_title", TITLE_LIMIT) or ""
    except ValidationError as error:
        refuse(form, entry, error)
        return
    if days is not None and on is not None:
        refuse(
            form,
            entry,
            ValidationError(
                "give either a number of days or a date, not both", field="follow_up_on"
            ),
        )
        return
    if days is None and on is None:
        if title:
            refuse(
                form,
                entry,
                ValidationError(
                    "say when to follow up: in how many days, or on which date",
                    field="follow_up_days",
                ),
            )
        return
    if not can(current_user, "followups.create"):
        refuse(form, entry, ValidationError(FOLLOW_UP_REFUSED, field="follow_up_days"))
        return
    if on is not None:
        entry.follow_up = FollowUpPlan(on, title, "follow_up_on")
    else:
        assert days is not None
        today = datetime.now(viewer_timezone()).date()
        entry.follow_up = FollowUpPlan(today + timedelta(days=days), title, "follow_up_days")


def read_entry(form: OutreachForm, *, with_follow_up: bool = False) -> Entry:
    """Everything the form holds, checked as far as the view can before the service
    decides; ``with_follow_up`` reads its "Follow up" part too (new records only)."""
    zone = viewer_timezone()
    entry = Entry(ids={}, day=datetime.now(zone).date())
    for name in ID_LISTS:
        entry.ids[name] = read_ids(form, name, entry)
    try:
        day = clean_date(form.occurred_on.data, "occurred_on", required=True)
        clock = clean_clock_time(form.occurred_time.data, "occurred_time", required=True)
        assert day is not None and clock is not None
        entry.day = day
        entry.occurred_at = local_to_utc(day, clock, zone, "occurred_time", "occurred_on")
    except ValidationError as error:
        refuse(form, entry, error)
    try:
        entry.event_id = clean_int(form.event_id.data, "event_id", 1, MAX_ID)
    except ValidationError as error:
        refuse(form, entry, error)
    for name in QUERIES:
        resolve_typed(form, name, entry)
    if with_follow_up:
        _read_follow_up(form, entry)
    return entry


def add_follow_up(form: OutreachForm, entry: Entry, record: Outreach) -> None:
    """Create the follow-up the form asked for, in the transaction that logged ``record``.
    A refusal raises ``ValidationError`` named for the form's field (the caller rolls back
    the whole unit: the record is not logged without the follow-up it was meant to have)."""
    plan = entry.follow_up
    if plan is None:
        return
    try:
        followups.create_follow_up(plan.data(record, entry.ids), current_user)
    except ValidationError as error:
        where = {"title": "follow_up_title", "due_date": plan.field}.get(error.field or "")
        if where is None:
            raise ValidationError(f"Follow-up: {error.message}") from None
        raise ValidationError(error.message, field=where) from None


def check_next(form: FlaskForm, entry: Entry) -> str | None:
    """Where to go after saving: a path on this site, or a refusal beside the form."""
    raw = (form.next.data or "").strip()
    target = safe_next(raw) if raw else None
    if raw and target is None:
        refuse(form, entry, ValidationError(NEXT_REFUSED, field="next"))
        form.next.data = ""  # never shown again: the page's Cancel link would lead there
    return target


# Pages --------------------------------------------------------------------------------------


def _render_form(
    form: OutreachForm,
    picked: Picked,
    record: Outreach | None = None,
    status: int = 200,
    conflict: ConflictError | None = None,
) -> tuple[str, int]:
    event_choices(form, picked)
    return render_template(
        "outreach/form.html", form=form, picked=picked, record=record, conflict=conflict
    ), status


def _now_local() -> datetime:
    return datetime.now(UTC).astimezone(viewer_timezone())


def _prefill_id(name: str, what: str, model: type[Any]) -> int | None:
    """A ``?person=``-style prefill: a live record's id, or a 400 naming the parameter."""
    try:
        value = clean_int(request.args.get(name), name, 1, MAX_ID)
    except ValidationError as error:
        abort(400, description=f"{name}: {error.message}")
    if value is None:
        return None
    record = db.session.get(model, value)
    if record is None or record.deleted_at is not None or getattr(record, "erased_at", None):
        abort(400, description=f"{name}: there is no {what} #{value} to log outreach with")
    return value


def blank_form(
    person_ids: list[int] | None = None,
    organisation_ids: list[int] | None = None,
    event_id: int | None = None,
    next_path: str | None = None,
) -> tuple[OutreachForm, Picked]:
    """A new record's form: now in the user's zone, their last channel, the given records."""
    now = _now_local()
    recent = recent_choices(current_user)
    form = OutreachForm(formdata=None)
    form.occurred_on.data = now.date().isoformat()
    form.occurred_time.data = now.strftime("%H:%M")
    if recent.channel is not None:
        form.channel.data = recent.channel.value
    form.event_id.data = str(event_id or "")
    form.next.data = next_path or ""
    ids = {
        "person_ids": person_ids or [],
        "organisation_ids": organisation_ids or [],
        "subitem_ids": [],
        "material_ids": [],
    }
    return form, picked_for(ids, now.date(), event_id, recent)


@bp.route("/new", methods=["GET", "POST"])
@requires("outreach.log")
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        people = [i for i in [_prefill_id("person", "person", Person)] if i]
        organisations = [
            i for i in [_prefill_id("organisation", "organisation", Organisation)] if i
        ]
        event = _prefill_id("event", "event", Event)
        form, picked = blank_form(people, organisations, event, safe_next(request.args.get("next")))
        return _render_form(form, picked)
    form = OutreachForm()
    valid = form.validate()  # first: validating clears the errors attached before
    entry = read_entry(form, with_follow_up=True)
    target = check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry)
    try:
        record = log_outreach(entry.data(form), current_user)
        add_follow_up(form, entry, record)  # one unit: both or neither
    except ValidationError as error:
        db.session.rollback()
        refuse(form, entry, error)
        return _refused(form, entry)
    db.session.commit()
    _flash_saved(record, "logged", with_follow_up=entry.follow_up is not None)
    if target:
        return redirect(_with_anchor(target, f"outreach-{record.id}"))
    return redirect(url_for("outreach.show", outreach_id=record.id))


def _refused(form: OutreachForm, entry: Entry, record: Outreach | None = None) -> tuple[str, int]:
    picked = picked_for(entry.ids, entry.day, entry.event_id)
    picked.candidates = entry.candidates
    return _render_form(form, picked, record, status=400)


def _with_anchor(path: str, anchor: str) -> str:
    parts = urlsplit(path)
    return urlunsplit(parts._replace(fragment=anchor))


def _flash_saved(record: Outreach, done: str, with_follow_up: bool = False) -> None:
    link = Markup('<a href="{}">{}</a>').format(
        url_for("outreach.show", outreach_id=record.id), record.subject
    )
    message = Markup("Outreach {} was {}.").format(link, done)
    if with_follow_up:
        message += Markup(' A <a href="{}">follow-up</a> was planned.').format(
            url_for("followups.index")
        )
    flash(message, "success")


def _get(outreach_id: int) -> Outreach:
    """The record, or 404; deleted ones only for those who may restore them."""
    record = db.session.get(Outreach, outreach_id)
    if record is None or (
        record.deleted_at is not None and not can(current_user, "outreach.restore")
    ):
        abort(404)
    return record


@dataclass
class PersonLine:
    person: Person
    organisation: Organisation | None


def render_record(record: Outreach, status: int = 200, error: str = "") -> tuple[str, int]:
    people = [
        PersonLine(person, organisation)
        for person, organisation in db.session.execute(
            sa.select(Person, Organisation)
            .join(outreach_people, outreach_people.c.person_id == Person.id)
            .outerjoin(Organisation, Organisation.id == outreach_people.c.organisation_id)
            .where(outreach_people.c.outreach_id == record.id)
            .order_by(Person.sort_name, Person.id)
        ).all()
    ]
    follow_ups: list[FollowUpRow] = follow_ups_about("outreach", record.id, zone=viewer_timezone())
    history: list[TimelineEntry] = []
    if can(current_user, "register.audit"):
        history = audit_history("outreach", record.id, 200)
    return render_template(
        "outreach/detail.html",
        record=record,
        people=people,
        follow_ups=follow_ups,
        history=history,
        may_change=can(current_user, "outreach.log") and may_change(current_user, record),
        may_see_deleted=can(current_user, "register.restore"),
        error=error,
    ), status


@bp.get("/<int:outreach_id>")
@login_required
def show(outreach_id: int) -> tuple[str, int]:
    return render_record(_get(outreach_id))


def _changeable(outreach_id: int) -> Outreach:
    record = _get(outreach_id)
    if not may_change(current_user, record):
        abort(403)
    return record


def record_form(record: Outreach) -> tuple[OutreachForm, Picked]:
    """The edit form filled from the stored record, in the viewer's time zone."""
    local = record.occurred_at.astimezone(viewer_timezone())
    form = OutreachForm(formdata=None, obj=record)
    form.occurred_on.data = local.date().isoformat()
    form.occurred_time.data = local.strftime("%H:%M")
    form.channel.data = record.channel.value
    form.direction.data = record.direction.value
    form.outcome.data = record.outcome.value if record.outcome else ""
    form.event_id.data = str(record.event_id or "")
    form.version.data = str(record.version)
    ids = {
        "person_ids": [p.id for p in record.people],
        "organisation_ids": [o.id for o in record.organisations],
        "subitem_ids": [s.id for s in record.subitems],
        "material_ids": [m.id for m in record.materials],
    }
    return form, picked_for(ids, local.date(), record.event_id)


@bp.route("/<int:outreach_id>/edit", methods=["GET", "POST"])
@requires("outreach.log")
def edit(outreach_id: int) -> Response | tuple[str, int]:
    record = _changeable(outreach_id)
    if record.deleted_at is not None:
        flash("This record is deleted: restore it before editing it.", "error")
        return redirect(url_for("outreach.show", outreach_id=record.id))
    if request.method == "GET":
        form, picked = record_form(record)
        form.next.data = safe_next(request.args.get("next")) or ""
        return _render_form(form, picked, record)
    form = OutreachForm()
    valid = form.validate()
    entry = read_entry(form)
    target = check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry, record)
    try:
        update_outreach(record, entry.data(form), current_user, form.version.data)
    except ValidationError as error:
        db.session.rollback()
        refuse(form, entry, error)
        return _refused(form, entry, record)
    except ConflictError as conflict:
        db.session.rollback()
        fresh, picked = record_form(record)
        fresh.next.data = target or ""
        fresh.form_errors.append(conflict.message)
        return _render_form(fresh, picked, record, status=409, conflict=_in_words(conflict, fresh))
    db.session.commit()
    _flash_saved(record, "saved")
    if target:
        return redirect(_with_anchor(target, f"outreach-{record.id}"))
    return redirect(url_for("outreach.show", outreach_id=record.id))


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, datetime):
        return localtime(value)
    if isinstance(value, StrEnum):
        return value.label
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _in_words(conflict: ConflictError, form: OutreachForm) -> ConflictError:
    """The differences of a refused edit under the form's labels, values as the page shows
    them (the service gives them by data key: names and codes, times in UTC)."""
    labels = {
        name: getattr(form, FIELD_OF.get(name, name)).label.text for name in conflict.differences
    }
    labels["occurred_at"] = "Date and time"
    return ConflictError(
        conflict.message,
        {
            labels[name]: (_shown(stored), _shown(yours))
            for name, (stored, yours) in conflict.differences.items()
        },
    )


def _list_url() -> str:
    return url_for("outreach.index")


@bp.post("/<int:outreach_id>/delete")
@requires("outreach.log")
def delete(outreach_id: int) -> Response | tuple[str, int]:
    record = _changeable(outreach_id)
    form = RecordActionForm()
    if not form.validate():
        abort(400, description="The form expired: reload the record and delete it again.")
    try:
        delete_outreach(record, current_user, form.version.data)
    except ValidationError as error:
        db.session.rollback()
        return render_record(record, 400, error.message)
    except ConflictError:
        db.session.rollback()
        return render_record(record, 409, STALE_DELETE)
    db.session.commit()
    flash(
        Markup("Outreach “{}” was deleted. An admin can restore it.").format(record.subject),
        "success",
    )
    return redirect(safe_next(form.next.data) or _list_url())


@bp.post("/<int:outreach_id>/restore")
@requires("outreach.restore")
def restore(outreach_id: int) -> Response | tuple[str, int]:
    record = _get(outreach_id)
    form = RecordActionForm()
    if not form.validate():
        abort(400, description="The form expired: reload the record and restore it again.")
    try:
        restore_outreach(record, current_user)
    except ValidationError as error:
        db.session.rollback()
        return render_record(record, 400, error.message)
    db.session.commit()
    _flash_saved(record, "restored")
    return redirect(url_for("outreach.show", outreach_id=record.id))


# The quick-log panel of a person's or an organisation's page ----------------------------------


@dataclass
class QuickLog:
    form: OutreachForm
    picked: Picked


def quick_log(
    person: Person | None = None, organisation: Organisation | None = None
) -> QuickLog | None:
    """The panel's form, filled with the page's record, or None when the user may not log
    or the record takes no outreach (deleted, erased)."""
    record = person or organisation
    if record is None or not can(current_user, "outreach.log"):
        return None
    if record.deleted_at is not None or getattr(record, "erased_at", None) is not None:
        return None
    form, picked = blank_form(
        [person.id] if person else None,
        [organisation.id] if organisation else None,
        next_path=request.path,
    )
    event_choices(form, picked)
    return QuickLog(form, picked)
