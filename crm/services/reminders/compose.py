"""The words of the outbox's messages: a follow-up falling due, the daily digest, a follow-up
newly assigned (the weekly coverage digest's: ``weekly``). Times are shown in the recipient's
zone; every message links to the app.

Drafted when sent, from the follow-up as it is then: a message no longer wanted (the
follow-up was completed, moved or given to someone else after the row was claimed, the
recipient was deactivated, the digest has nothing left to list) is not drafted at all. A
draft holds what the message says; ``mail.compose`` writes it out, without the database.

A dispatcher drafts thousands of messages in a row, so a claimed batch is read in one
statement into plain facts (``load_outgoing``): loading the rows as ORM objects, with the
people, organisations, outreach and events they are about, took longer than writing the
messages out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.clock import local_date
from crm.extensions import db
from crm.models import Event, FollowUp, Organisation, Outreach, Person, Reminder, Role, User
from crm.models.base import table_of
from crm.models.followups import FollowUpStatus, ReminderKind, due_key
from crm.models.register import person_name
from crm.services.mail import Draft
from crm.services.reminders import weekly
from crm.services.reminders.digests import digest_items, zone_of


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    email: str
    display_name: str
    is_active: bool
    timezone: str | None
    digest_hour: int | None
    role: Role | None = None


@dataclass(frozen=True, slots=True)
class FollowUpFacts:
    """What a message says of a follow-up; ``about`` in the words of the pages."""

    id: int
    title: str
    status: FollowUpStatus
    assignee_id: int | None
    due_date: date
    due_time: time | None
    due_at: datetime
    about: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A claimed outbox row, as drafting needs it."""

    id: int
    kind: ReminderKind
    key: str
    message_id: str | None
    digest_day: date | None
    attempts: int
    recipient: Recipient
    follow_up: FollowUpFacts | None


def day_label(day: date) -> str:
    """``Tue 8 Dec 2026``: unambiguous in every language's order of day and month."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def about_labels(
    person: str | None,
    organisation: str | None,
    outreach: tuple[datetime, str] | None,
    event: str | None,
) -> tuple[str, ...]:
    """What a follow-up is about: person, organisation, outreach (when and its subject),
    event; each one it has."""
    labels = [label for label in (person, organisation) if label is not None]
    if outreach is not None:
        labels.append(f"outreach of {day_label(local_date(outreach[0]))}: {outreach[1]}")
    if event is not None:
        labels.append(f"event {event}")
    return tuple(labels)


def facts_of(follow_up: FollowUp) -> FollowUpFacts:
    """The facts of a follow-up loaded as an ORM object (the digest's)."""
    outreach = follow_up.outreach
    return FollowUpFacts(
        id=follow_up.id,
        title=follow_up.title,
        status=follow_up.status,
        assignee_id=follow_up.assignee_id,
        due_date=follow_up.due_date,
        due_time=follow_up.due_time,
        due_at=follow_up.due_at,
        about=about_labels(
            follow_up.person.full_name if follow_up.person is not None else None,
            follow_up.organisation.name if follow_up.organisation is not None else None,
            (outreach.occurred_at, outreach.subject) if outreach is not None else None,
            follow_up.event.title if follow_up.event is not None else None,
        ),
    )


_r = table_of(Reminder)
_u = table_of(User)
_f = table_of(FollowUp)
_p = table_of(Person)
_o = table_of(Organisation)
_x = table_of(Outreach)
_e = table_of(Event)
_OUTGOING = (
    sa.select(
        _r.c.id,
        _r.c.kind,
        _r.c.key,
        _r.c.message_id,
        _r.c.digest_day,
        _r.c.attempts,
        _u.c.id.label("user_id"),
        _u.c.email,
        _u.c.full_name.label("user_name"),
        _u.c.is_active,
        _u.c.timezone,
        _u.c.digest_hour,
        _u.c.role,
        _f.c.id.label("follow_up_id"),
        _f.c.title,
        _f.c.status.label("follow_up_status"),
        _f.c.assignee_id,
        _f.c.due_date,
        _f.c.due_time,
        _f.c.due_at,
        _p.c.first_name,
        _p.c.last_name,
        _o.c.name.label("organisation_name"),
        _x.c.occurred_at.label("outreach_at"),
        _x.c.subject.label("outreach_subject"),
        _e.c.title.label("event_title"),
    )
    .select_from(
        _r.join(_u, _u.c.id == _r.c.recipient_id)
        .outerjoin(_f, _f.c.id == _r.c.follow_up_id)
        .outerjoin(_p, _p.c.id == _f.c.person_id)
        .outerjoin(_o, _o.c.id == _f.c.organisation_id)
        .outerjoin(_x, _x.c.id == _f.c.outreach_id)
        .outerjoin(_e, _e.c.id == _f.c.event_id)
    )
    .order_by(_r.c.remind_at, _r.c.id)
)


def load_outgoing(condition: sa.ColumnElement[bool]) -> list[Outgoing]:
    """The outbox rows that meet ``condition``, in the order they are due."""
    return [_outgoing(row) for row in db.session.execute(_OUTGOING.where(condition))]


def _outgoing(row: Any) -> Outgoing:
    follow_up = None
    if row.follow_up_id is not None:
        person = person_name(row.first_name, row.last_name) if row.first_name is not None else None
        outreach = (row.outreach_at, row.outreach_subject) if row.outreach_at is not None else None
        follow_up = FollowUpFacts(
            id=row.follow_up_id,
            title=row.title,
            status=row.follow_up_status,
            assignee_id=row.assignee_id,
            due_date=row.due_date,
            due_time=row.due_time,
            due_at=row.due_at,
            about=about_labels(person, row.organisation_name, outreach, row.event_title),
        )
    recipient = Recipient(
        id=row.user_id,
        email=row.email,
        display_name=row.user_name or row.email,
        is_active=row.is_active,
        timezone=row.timezone,
        digest_hour=row.digest_hour,
        role=row.role,
    )
    return Outgoing(
        id=row.id,
        kind=row.kind,
        key=row.key,
        message_id=row.message_id,
        digest_day=row.digest_day,
        attempts=row.attempts,
        recipient=recipient,
        follow_up=follow_up,
    )


def due_label(follow_up: FollowUpFacts, zone: ZoneInfo) -> str:
    """When it is due, for the recipient: a day, or a day and time in their zone."""
    if follow_up.due_time is None:
        return day_label(follow_up.due_date)
    local = follow_up.due_at.astimezone(zone)
    return f"{day_label(local.date())}, {local:%H:%M} ({zone.key})"


def _when(follow_up: FollowUpFacts, zone: ZoneInfo, now: datetime) -> str:
    """Due when, relative to the day the message is read: ``today at 14:30``, ``today``."""
    today = now.astimezone(zone).date()
    if follow_up.due_time is None:
        day = follow_up.due_date
        return "today" if day == today else f"on {day_label(day)}"
    local = follow_up.due_at.astimezone(zone)
    if local.date() == today:
        return f"today at {local:%H:%M}"
    return f"on {day_label(local.date())} at {local:%H:%M}"


def _item(follow_up: FollowUpFacts, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "title": follow_up.title,
        "due_label": due_label(follow_up, zone),
        "about": list(follow_up.about),
        "path": f"/followups/{follow_up.id}",
    }


def _still_theirs(follow_up: FollowUpFacts | None, recipient: Recipient) -> FollowUpFacts | None:
    if follow_up is None or follow_up.status != FollowUpStatus.OPEN:
        return None
    return follow_up if follow_up.assignee_id == recipient.id else None


def draft_reminder(reminder: Outgoing, now: datetime) -> Draft | None:
    """The draft of an outbox row's message, or None when it is no longer wanted."""
    if reminder.message_id is None:  # the claim gives every row one: a bug, tried again
        raise RuntimeError(f"reminder {reminder.id} was claimed without a Message-ID")
    recipient = reminder.recipient
    if not recipient.is_active:
        return None
    if reminder.kind == ReminderKind.COVERAGE_DIGEST:
        return weekly.draft_coverage_digest(reminder, now)
    zone = zone_of(recipient.timezone)
    context: dict[str, Any] = {"recipient": recipient.display_name}
    if reminder.kind == ReminderKind.DUE:
        follow_up = _still_theirs(reminder.follow_up, recipient)
        if (
            follow_up is None
            or due_key(follow_up.id, recipient.id, follow_up.due_at) != reminder.key
        ):
            return None  # done, reassigned or moved since it was planned
        when = _when(follow_up, zone, now)
        subject = f"Follow-up due {when}: {follow_up.title}"
        context["intro"] = f"This follow-up of yours is due {when}."
        template = "due"
        context["item"] = _item(follow_up, zone)
    elif reminder.kind == ReminderKind.ASSIGNED:
        follow_up = _still_theirs(reminder.follow_up, recipient)
        if follow_up is None:
            return None
        when = _when(follow_up, zone, now)
        subject = f"Follow-up assigned to you, due {when}: {follow_up.title}"
        context["intro"] = "A follow-up was assigned to you."
        template = "assigned"
        context["item"] = _item(follow_up, zone)
    else:
        if recipient.digest_hour is None or reminder.digest_day is None:
            return None  # turned off since
        day = reminder.digest_day
        items = digest_items(recipient.id, day, zone, now)
        if not items.overdue and not items.today:
            return None  # completed since the digest was decided
        on_the_day = day == now.astimezone(zone).date()
        today_heading = "Due today" if on_the_day else f"Due on {day_label(day)}"
        counts = []
        if items.overdue:
            counts.append(f"{len(items.overdue)} overdue")
        if items.today:
            counts.append(f"{len(items.today)} {'due today' if on_the_day else 'due that day'}")
        subject = f"Your follow-ups for {day_label(day)}: {', '.join(counts)}"
        context["intro"] = f"Your open follow-ups for {day_label(day)}: {' and '.join(counts)}."
        context["groups"] = [
            (heading, [_item(facts_of(f), zone) for f in group])
            for heading, group in (("Overdue", items.overdue), (today_heading, items.today))
            if group
        ]
        context["more"] = items.more
        context["hour_label"] = f"{recipient.digest_hour:02d}:00"
        context["zone"] = zone.key
        template = "digest"
    context["subject"] = subject
    return Draft(
        to=recipient.email,
        subject=subject,
        template=template,
        context=context,
        message_id=reminder.message_id,
        at=now,
    )
