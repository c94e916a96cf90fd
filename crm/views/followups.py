"""The follow-up pages: "My follow-ups", the team's, a follow-up's page, the form (new and
edit), completing one (alone or with the outreach that resulted), reopening, cancelling.

Thin, as the outreach pages are: the form is read here (ids, text typed into a picker), the
follow-ups service decides, and every refusal comes back beside its field with nothing
written. Everyone signed in reads follow-ups; the roles that create them change those
assigned to them or created by them (coordinators and admins anyone's): the others see the
page without its buttons, and their POSTs answer 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from crm.extensions import db
from crm.forms.followups import LOG, ONLY, CompleteForm, FollowUpActionForm, FollowUpForm
from crm.models import (
    Event,
    FollowUp,
    FollowUpStatus,
    Organisation,
    Outreach,
    Person,
    Reminder,
    User,
    utcnow,
)
from crm.security import can, requires
from crm.services import followups
from crm.services.checks import MAX_ID, clean_int
from crm.services.errors import ConflictError, ValidationError
from crm.services.followups import listing
from crm.services.followups.records import HOLDING_ROLES, TITLE_LIMIT
from crm.services.outreach import pickers
from crm.services.outreach.choices import recent_choices
from crm.services.reference import framework_items
from crm.services.timeline import TimelineEntry, audit_history
from crm.templating import option_tags, viewer_timezone
from crm.views.auth import safe_next
from crm.views.forms_support import conflict_in_words
from crm.views.outreach import records as outreach_views

bp = Blueprint("followups", __name__, url_prefix="/followups")

# What a follow-up is about: the form's list of ticked ids -> the service's data key.
ABOUT = {
    "person_ids": "person_id",
    "organisation_ids": "organisation_id",
    "outreach_ids": "outreach_id",
    "event_ids": "event_id",
}
FORM_FIELD = {key: name for name, key in ABOUT.items()}  # the service's key -> the form's
ONE_OF = {
    "person_ids": "person",
    "organisation_ids": "organisation",
    "outreach_ids": "outreach record",
    "event_ids": "event",
}
ID_LISTS = (*ABOUT, "subitem_ids")
TYPED = ("person_ids", "organisation_ids", "subitem_ids")  # lists with a picker's box
DEFAULT_DAYS = 7  # a new follow-up's due date, a week from today unless changed
HISTORY_SHOWN = 200
REMINDERS_SHOWN = 50
STALE = (
    "This follow-up was changed by someone else since you opened it, so nothing was done. "
    "Check it below and try again if you still mean to."
)
CLOSED = {FollowUpStatus.DONE: "is already done", FollowUpStatus.CANCELLED: "was cancelled"}
LABELS = {
    "title": "What to do",
    "notes": "Notes",
    "due_date": "Due on",
    "due_time": "At",
    "assignee_id": "Assigned to",
    "person_id": "Person",
    "organisation_id": "Organisation",
    "outreach_id": "Outreach record",
    "event_id": "Event",
    "subitem_ids": "Sub-items",
}


# The navigation's count ---------------------------------------------------------------------


NAV_CAP = 100  # the navigation counts this many overdue at most ("99+")


@bp.app_template_global("overdue_follow_ups")
def overdue_follow_ups() -> str:
    """How many of the signed-in user's follow-ups are overdue ("" for none, "99+" for a
    hundred or more): one capped count over an index range, asked once per request and only
    by the pages that show the navigation (viewers hold none: no query). Measured in
    process at scale 10 (officer1, 439 overdue): 0.3 ms capped, 0.45 uncapped, of a
    2 ms /account."""
    if not can(current_user, "followups.create"):
        return ""
    if "overdue_follow_ups" not in g:
        count = listing.overdue_count(current_user, zone=viewer_timezone(), cap=NAV_CAP)
        g.overdue_follow_ups = (
            "" if not count else f"{NAV_CAP - 1}+" if count >= NAV_CAP else str(count)
        )
    return str(g.overdue_follow_ups)


# Shared pieces ------------------------------------------------------------------------------


def _get(follow_up_id: int) -> FollowUp:
    follow_up = db.session.get(FollowUp, follow_up_id)
    if follow_up is None:
        abort(404)
    return follow_up


def _changeable(follow_up_id: int) -> FollowUp:
    """The follow-up, if the user may change it: readable by all, changed by few (403)."""
    follow_up = _get(follow_up_id)
    if not followups.may_change(current_user, follow_up):
        abort(403)
    return follow_up


def _holders() -> list[tuple[int, str, bool]]:
    """(id, name, active) of every account whose role holds follow-ups, by name."""
    rows = db.session.execute(
        sa.select(User.id, User.full_name, User.email, User.is_active).where(
            User.role.in_([role.value for role in HOLDING_ROLES])
        )
    ).all()
    people = [(i, name or email, bool(active)) for i, name, email, active in rows]
    return sorted(people, key=lambda row: (row[1].casefold(), row[0]))


def _assignee_choices(keep: int | None) -> list[SelectChoice]:
    """Active holders, and the current assignee even when no longer one (marked)."""
    return [
        SelectChoice(str(i), name if active else f"{name} (deactivated)")
        for i, name, active in _holders()
        if active or i == keep
    ]


def _today() -> date:
    return datetime.now(viewer_timezone()).date()


def _flash_done(follow_up: FollowUp, done: str, extra: Markup | str = "") -> None:
    link = Markup('<a href="{}">{}</a>').format(
        url_for("followups.show", follow_up_id=follow_up.id), follow_up.title
    )
    flash(Markup("Follow-up {} was {}.").format(link, done) + extra, "success")


def _redirect(target: str | None, follow_up: FollowUp) -> Response:
    return redirect(target or url_for("followups.show", follow_up_id=follow_up.id))


# Lists --------------------------------------------------------------------------------------


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    groups = listing.my_follow_ups(current_user, zone=viewer_timezone())
    return render_template("followups/list.html", groups=groups), 200


def _team_options() -> dict[str, Any]:
    """The fixed choices of the team's filter, as ``(value, label)`` tuples."""
    items = framework_items()
    parents = {parent for _id, parent, _code, _text in items}
    return {
        "assignees": tuple((str(i), name) for i, name, _active in _holders()),
        "subitems": tuple(
            (code, f"{code} {text}") for item_id, _p, code, text in items if item_id not in parents
        ),
        "statuses": tuple((s.value, s.label) for s in FollowUpStatus),
        "groupings": (("assignee", "Assignee"), ("subitem", "Sub-item")),
        "option_tags": option_tags,
    }


@bp.get("/team")
@requires("followups.team")
def team() -> tuple[str, int]:
    zone = viewer_timezone()
    try:
        f = listing.TeamFilter.from_args(request.args, zone=zone)
    except ValidationError as error:
        return render_template(
            "followups/team.html",
            filter=listing.TeamFilter(zone=zone),
            view=None,
            errors=[f"{error.field}: {error.message}" if error.field else error.message],
            **_team_options(),
        ), 400
    return render_template(
        "followups/team.html",
        filter=f,
        view=listing.team_follow_ups(f),
        errors=[],
        **_team_options(),
    ), 200


# Reading the form ---------------------------------------------------------------------------


@dataclass
class Picked:
    """What the form's lists show, chosen or offered to tick."""

    people: list[pickers.PersonChoice] = field(default_factory=list)
    organisations: list[pickers.OrganisationChoice] = field(default_factory=list)
    subitems: list[pickers.SubitemChoice] = field(default_factory=list)
    outreach: list[tuple[int, str]] = field(default_factory=list)
    events: list[tuple[int, str]] = field(default_factory=list)
    candidates: dict[str, list[Any]] = field(default_factory=dict)
    zone: str = ""  # the viewer's zone, named in the hint of the time


def _picked(ids: dict[str, list[int]], on: date) -> Picked:
    outreach = {
        record.id: f"{record.subject} ({record.occurred_at.astimezone(viewer_timezone()):%d %b %Y})"
        + (" (deleted)" if record.deleted_at else "")
        for record in db.session.scalars(
            sa.select(Outreach).where(Outreach.id.in_(ids["outreach_ids"] or [-1]))
        )
    }
    events = {
        event.id: event.title + (" (deleted)" if event.deleted_at else "")
        for event in db.session.scalars(
            sa.select(Event).where(Event.id.in_(ids["event_ids"] or [-1]))
        )
    }
    return Picked(
        people=pickers.people_choices(ids["person_ids"], on),
        organisations=pickers.organisation_choices(ids["organisation_ids"]),
        subitems=pickers.subitem_choices(ids["subitem_ids"]),
        outreach=[(i, outreach[i]) for i in ids["outreach_ids"] if i in outreach],
        events=[(i, events[i]) for i in ids["event_ids"] if i in events],
        zone=viewer_timezone().key,
    )


def _refuse(form: FollowUpForm, entry: outreach_views.Entry, error: ValidationError) -> None:
    """A refusal of the service beside the form's field (its keys name single ids)."""
    error.field = FORM_FIELD.get(error.field or "", error.field)
    outreach_views.refuse(form, entry, error)


def _read(form: FollowUpForm) -> outreach_views.Entry:
    entry = outreach_views.Entry(ids={}, day=_today())
    for name in ID_LISTS:
        entry.ids[name] = outreach_views.read_ids(form, name, entry)
    for name in TYPED:
        outreach_views.resolve_typed(form, name, entry)
    for name, what in ONE_OF.items():
        if len(entry.ids[name]) > 1:
            _refuse(
                form,
                entry,
                ValidationError(
                    f"a follow-up is about one {what} at most: untick all but one", field=name
                ),
            )
    return entry


def _data(form: FollowUpForm, entry: outreach_views.Entry) -> dict[str, Any]:
    return {
        "title": form.title.data,
        "notes": form.notes.data or "",
        "due_date": form.due_date.data,
        "due_time": form.due_time.data,
        "assignee_id": form.assignee_id.data,
        **{key: next(iter(entry.ids[name]), None) for name, key in ABOUT.items()},
        "subitem_ids": list(entry.ids["subitem_ids"]),
    }


def _render_form(
    form: FollowUpForm,
    picked: Picked,
    follow_up: FollowUp | None = None,
    status: int = 200,
    conflict: ConflictError | None = None,
) -> tuple[str, int]:
    keep = follow_up.assignee_id if follow_up is not None else None
    form.assignee_id.choices = _assignee_choices(keep)
    return render_template(
        "followups/form.html", form=form, picked=picked, follow_up=follow_up, conflict=conflict
    ), status


def _refused(
    form: FollowUpForm, entry: outreach_views.Entry, follow_up: FollowUp | None = None
) -> tuple[str, int]:
    picked = _picked(entry.ids, entry.day)
    picked.candidates = entry.candidates
    return _render_form(form, picked, follow_up, status=400)


# New ----------------------------------------------------------------------------------------


def _prefill(name: str, model: type[Any], what: str) -> Any:
    """A ``?person=``-style prefill: a live record, or a 400 naming the parameter."""
    try:
        value = clean_int(request.args.get(name), name, 1, MAX_ID)
    except ValidationError as error:
        abort(400, description=f"{name}: {error.message}")
    if value is None:
        return None
    record = db.session.get(model, value)
    if (
        record is None
        or record.deleted_at is not None
        or getattr(record, "erased_at", None) is not None
        or getattr(record, "merged_into_id", None) is not None
    ):
        abort(400, description=f"{name}: there is no {what} #{value} to follow up")
    return record


def _blank_form() -> tuple[FollowUpForm, Picked]:
    """A new follow-up's form: for the user, in a week, about the records of the query
    string (from an outreach record: its title, sub-items, first person and organisation)."""
    person = _prefill("person", Person, "person")
    organisation = _prefill("organisation", Organisation, "organisation")
    outreach = _prefill("outreach", Outreach, "outreach record")
    event = _prefill("event", Event, "event")
    form = FollowUpForm(formdata=None)
    today = _today()
    form.due_date.data = (today + timedelta(days=DEFAULT_DAYS)).isoformat()
    form.assignee_id.data = str(current_user.id)
    form.next.data = safe_next(request.args.get("next")) or ""
    ids: dict[str, list[int]] = {name: [] for name in ID_LISTS}
    if person is not None:
        ids["person_ids"] = [person.id]
    if organisation is not None:
        ids["organisation_ids"] = [organisation.id]
    if event is not None:
        ids["event_ids"] = [event.id]
    if outreach is not None:
        ids["outreach_ids"] = [outreach.id]
        title = f"Follow up: {outreach.subject}"
        form.title.data = title if len(title) <= TITLE_LIMIT else title[: TITLE_LIMIT - 1] + "…"
        ids["subitem_ids"] = [item.id for item in outreach.subitems]
        live_people = [
            p.id
            for p in outreach.people
            if p.deleted_at is None and p.erased_at is None and p.merged_into_id is None
        ]
        live_orgs = [
            o.id
            for o in outreach.organisations
            if o.deleted_at is None and o.merged_into_id is None
        ]
        ids["person_ids"] = ids["person_ids"] or live_people[:1]
        ids["organisation_ids"] = ids["organisation_ids"] or live_orgs[:1]
    return form, _picked(ids, today)


@bp.route("/new", methods=["GET", "POST"])
@requires("followups.create")
def new() -> Response | tuple[str, int]:
    if request.method == "GET":
        form, picked = _blank_form()
        return _render_form(form, picked)
    form = FollowUpForm()
    valid = form.validate()  # first: validating clears the errors attached before
    entry = _read(form)
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry)
    try:
        follow_up = followups.create_follow_up(_data(form, entry), current_user)
    except ValidationError as error:
        db.session.rollback()
        _refuse(form, entry, error)
        return _refused(form, entry)
    db.session.commit()
    _flash_done(follow_up, "planned")
    return _redirect(target, follow_up)


# A follow-up's page -------------------------------------------------------------------------


@dataclass
class Due:
    """When a follow-up is due: in its own zone, and for the viewer when theirs differs."""

    label: str  # in due_zone
    zone: str
    viewer_label: str | None  # in the viewer's zone, when it reads differently there
    viewer_zone: str
    overdue: bool
    on_a_day: bool


def _due(follow_up: FollowUp, zone: ZoneInfo, now: datetime) -> Due:
    own = listing.due_label(
        follow_up.due_at, follow_up.due_time, follow_up.due_date, ZoneInfo(follow_up.due_zone)
    )
    theirs = listing.due_label(follow_up.due_at, follow_up.due_time, follow_up.due_date, zone)
    is_open = follow_up.status == FollowUpStatus.OPEN
    if follow_up.due_time is None:
        overdue = is_open and now.astimezone(zone).date() > follow_up.due_date
    else:
        overdue = is_open and now > follow_up.due_at
    return Due(
        label=own,
        zone=follow_up.due_zone,
        # Only when it reads differently: "15:00 (Europe/Brussels)" and "For you: 15:00
        # (Europe/Berlin)" made readers look for a difference that is not there.
        viewer_label=theirs if theirs != own else None,
        viewer_zone=zone.key,
        overdue=overdue,
        on_a_day=follow_up.due_time is None,
    )


def _history(follow_up: FollowUp) -> list[TimelineEntry]:
    """The follow-up's audit entries, newest first: its workflow (created, reassigned,
    completed), which its assignee needs as much as a coordinator does."""
    return audit_history(followups.AUDIT_ENTITY, follow_up.id, HISTORY_SHOWN)


def render_follow_up(follow_up: FollowUp, status: int = 200, error: str = "") -> tuple[str, int]:
    zone = viewer_timezone()
    reminders = db.session.scalars(
        sa.select(Reminder)
        .where(Reminder.follow_up_id == follow_up.id)
        .options(selectinload(Reminder.recipient))
        .order_by(Reminder.remind_at, Reminder.id)
        .limit(REMINDERS_SHOWN)
    ).all()
    return render_template(
        "followups/detail.html",
        follow_up=follow_up,
        due=_due(follow_up, zone, utcnow()),
        reminders=reminders,
        history=_history(follow_up),
        may_change=followups.may_change(current_user, follow_up),
        may_see_deleted=can(current_user, "register.restore"),
        error=error,
    ), status


@bp.get("/<int:follow_up_id>")
@login_required
def show(follow_up_id: int) -> tuple[str, int]:
    return render_follow_up(_get(follow_up_id))


# Edit ---------------------------------------------------------------------------------------


def _record_form(follow_up: FollowUp) -> tuple[FollowUpForm, Picked]:
    """The edit form filled from the stored follow-up: its date and time as set, in the
    zone they were set in (kept unless they change)."""
    form = FollowUpForm(formdata=None)
    form.title.data = follow_up.title
    form.notes.data = follow_up.notes
    form.due_date.data = follow_up.due_date.isoformat()
    form.due_time.data = follow_up.due_time.strftime("%H:%M") if follow_up.due_time else ""
    form.assignee_id.data = str(follow_up.assignee_id)
    form.version.data = str(follow_up.version)
    ids = {
        name: [getattr(follow_up, key)] if getattr(follow_up, key) is not None else []
        for name, key in ABOUT.items()
    }
    ids["subitem_ids"] = [item.id for item in follow_up.subitems]
    return form, _picked(ids, _today())


def _shown(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


@bp.route("/<int:follow_up_id>/edit", methods=["GET", "POST"])
@requires("followups.create")
def edit(follow_up_id: int) -> Response | tuple[str, int]:
    follow_up = _changeable(follow_up_id)
    if request.method == "GET":
        form, picked = _record_form(follow_up)
        form.next.data = safe_next(request.args.get("next")) or ""
        return _render_form(form, picked, follow_up)
    form = FollowUpForm()
    valid = form.validate()
    entry = _read(form)
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused(form, entry, follow_up)
    try:
        followups.update_follow_up(
            follow_up, _data(form, entry), current_user, version=form.version.data
        )
    except ValidationError as error:
        db.session.rollback()
        _refuse(form, entry, error)
        return _refused(form, entry, follow_up)
    except ConflictError as conflict:
        db.session.rollback()
        fresh, picked = _record_form(follow_up)
        fresh.next.data = target or ""
        fresh.form_errors.append(conflict.message)
        in_words = conflict_in_words(conflict, LABELS, _shown)
        return _render_form(fresh, picked, follow_up, status=409, conflict=in_words)
    db.session.commit()
    _flash_done(follow_up, "saved")
    return _redirect(target, follow_up)


# Complete -----------------------------------------------------------------------------------


def _complete_form(follow_up: FollowUp) -> tuple[CompleteForm, outreach_views.Picked]:
    """Completing: the outreach form filled from what the follow-up knows (now, whom and
    what it was about, its sub-items) and the user's last channel."""
    prefill = followups.outreach_prefill(follow_up)
    local = prefill["occurred_at"].astimezone(viewer_timezone())
    recent = recent_choices(current_user)
    form = CompleteForm(formdata=None)
    form.occurred_on.data = local.date().isoformat()
    form.occurred_time.data = local.strftime("%H:%M")
    if recent.channel is not None:
        form.channel.data = recent.channel.value
    form.subject.data = prefill["subject"]
    form.event_id.data = str(prefill["event_id"] or "")
    form.version.data = str(follow_up.version)
    form.then.data = LOG
    ids = {name: list(prefill[name]) for name in outreach_views.ID_LISTS}
    return form, outreach_views.picked_for(ids, local.date(), prefill["event_id"], recent)


def _render_complete(
    form: CompleteForm, picked: outreach_views.Picked, follow_up: FollowUp, status: int = 200
) -> tuple[str, int]:
    outreach_views.event_choices(form, picked)
    return render_template(
        "followups/complete.html",
        form=form,
        picked=picked,
        follow_up=follow_up,
        due=_due(follow_up, viewer_timezone(), utcnow()),
    ), status


@bp.route("/<int:follow_up_id>/complete", methods=["GET", "POST"])
@requires("followups.create")
def complete(follow_up_id: int) -> Response | tuple[str, int]:
    follow_up = _changeable(follow_up_id)
    if request.method == "GET":
        if follow_up.status != FollowUpStatus.OPEN:
            flash(f"This follow-up {CLOSED[follow_up.status]}: reopen it to complete it.", "info")
            return redirect(url_for("followups.show", follow_up_id=follow_up.id))
        form, picked = _complete_form(follow_up)
        form.next.data = safe_next(request.args.get("next")) or ""
        return _render_complete(form, picked, follow_up)
    form = CompleteForm()
    valid = form.validate()
    if form.then.data == ONLY:
        return _complete_only(form, follow_up, valid)
    entry = outreach_views.read_entry(form, with_follow_up=True)
    if form.then.data != LOG:
        outreach_views.refuse(
            form,
            entry,
            ValidationError(
                f"{str(form.then.data)[:20]!r} is not a choice: log the outreach or mark it done",
                field="then",
            ),
        )
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        return _refused_complete(form, entry, follow_up)
    try:
        follow_up, logged = followups.complete_follow_up(
            follow_up, current_user, version=form.version.data, outreach=entry.data(form)
        )
        assert logged is not None
        outreach_views.add_follow_up(form, entry, logged)  # the next step, in the same unit
    except ValidationError as error:
        db.session.rollback()
        outreach_views.refuse(form, entry, error)
        return _refused_complete(form, entry, follow_up)
    except ConflictError:
        db.session.rollback()
        form.version.data = str(follow_up.version)  # what it is now, shown above the form
        form.form_errors.append(STALE)
        return _refused_complete(form, entry, follow_up, status=409)
    db.session.commit()
    extra = Markup(' The outreach <a href="{}">{}</a> was logged.').format(
        url_for("outreach.show", outreach_id=logged.id), logged.subject
    )
    if entry.follow_up is not None:
        extra += Markup(" The next follow-up was planned.")
    _flash_done(follow_up, "completed", extra)
    return _redirect(target, follow_up)


def _refused_complete(
    form: CompleteForm, entry: outreach_views.Entry, follow_up: FollowUp, status: int = 400
) -> tuple[str, int]:
    picked = outreach_views.picked_for(entry.ids, entry.day, entry.event_id)
    picked.candidates = entry.candidates
    return _render_complete(form, picked, follow_up, status)


def _complete_only(
    form: CompleteForm, follow_up: FollowUp, valid: bool
) -> Response | tuple[str, int]:
    """Done without logging outreach: the outreach fields are not read at all."""
    entry = outreach_views.Entry(ids={}, day=_today())
    target = outreach_views.check_next(form, entry)
    if not valid or entry.has_errors:
        problems = [error for f in form for error in f.errors]
        return _refused_only(form, follow_up, 400, problems)
    try:
        followups.complete_follow_up(follow_up, current_user, version=form.version.data)
    except ValidationError as error:
        db.session.rollback()
        return _refused_only(form, follow_up, 400, [error.message])
    except ConflictError:
        db.session.rollback()
        return _refused_only(form, follow_up, 409, [STALE], fresh=True)
    db.session.commit()
    _flash_done(follow_up, "completed")
    return _redirect(target, follow_up)


def _refused_only(
    form: CompleteForm,
    follow_up: FollowUp,
    status: int,
    problems: list[str],
    fresh: bool = False,
) -> tuple[str, int]:
    """The page again, filled as on opening it, "mark it done" still chosen, with what
    was wrong at the top (``fresh``: the version the follow-up has now)."""
    shown, picked = _complete_form(follow_up)
    shown.then.data = ONLY
    shown.next.data = safe_next(form.next.data) or ""
    if not fresh:
        shown.version.data = form.version.data
    shown.form_errors.extend(problems)
    return _render_complete(shown, picked, follow_up, status)


# Reopen, cancel -----------------------------------------------------------------------------


def _step(
    follow_up_id: int,
    step: Callable[..., FollowUp],
    done: str,
) -> Response | tuple[str, int]:
    follow_up = _changeable(follow_up_id)
    form = FollowUpActionForm()
    if not form.validate():
        abort(400, description="The form expired: reload the follow-up and try again.")
    raw = (form.next.data or "").strip()
    target = safe_next(raw) if raw else None
    if raw and target is None:
        abort(400, description=f"next: {outreach_views.NEXT_REFUSED}")
    try:
        step(follow_up, current_user, version=form.version.data)
    except ValidationError as error:
        db.session.rollback()
        return render_follow_up(follow_up, 400, error.message)
    except ConflictError:
        db.session.rollback()
        return render_follow_up(follow_up, 409, STALE)
    db.session.commit()
    _flash_done(follow_up, done)
    return _redirect(target, follow_up)


@bp.post("/<int:follow_up_id>/reopen")
@requires("followups.create")
def reopen(follow_up_id: int) -> Response | tuple[str, int]:
    return _step(follow_up_id, followups.reopen_follow_up, "reopened")


@bp.post("/<int:follow_up_id>/cancel")
@requires("followups.create")
def cancel(follow_up_id: int) -> Response | tuple[str, int]:
    return _step(follow_up_id, followups.cancel_follow_up, "cancelled")
