"""The words of the outbox's messages: a follow-up falling due, the daily digest, a follow-up
newly assigned. Times are shown in the recipient's zone; every message links to the app.

Drafted when sent, from the follow-up as it is then: a message no longer wanted (the
follow-up was completed, moved or given to someone else after the row was claimed, the
recipient was deactivated, the digest has nothing left to list) is not drafted at all. A
draft holds what the message says; ``mail.compose`` writes it out, without the database.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from crm.clock import local_date
from crm.models import FollowUp, Reminder, User
from crm.models.followups import FollowUpStatus, ReminderKind, due_key
from crm.services.mail import Draft
from crm.services.reminders.digests import digest_items, zone_of


def day_label(day: date) -> str:
    """``Tue 8 Dec 2026``: unambiguous in every language's order of day and month."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def due_label(follow_up: FollowUp, zone: ZoneInfo) -> str:
    """When it is due, for the recipient: a day, or a day and time in their zone."""
    if follow_up.due_time is None:
        return day_label(follow_up.due_date)
    local = follow_up.due_at.astimezone(zone)
    return f"{day_label(local.date())}, {local:%H:%M} ({zone.key})"


def _when(follow_up: FollowUp, zone: ZoneInfo, now: datetime) -> str:
    """Due when, relative to the day the message is read: ``today at 14:30``, ``today``."""
    today = now.astimezone(zone).date()
    if follow_up.due_time is None:
        day = follow_up.due_date
        return "today" if day == today else f"on {day_label(day)}"
    local = follow_up.due_at.astimezone(zone)
    if local.date() == today:
        return f"today at {local:%H:%M}"
    return f"on {day_label(local.date())} at {local:%H:%M}"


def about_labels(follow_up: FollowUp) -> list[str]:
    """What it is about, in the words of the pages: person, organisation, outreach, event."""
    labels = []
    if follow_up.person is not None:
        labels.append(follow_up.person.full_name)
    if follow_up.organisation is not None:
        labels.append(follow_up.organisation.name)
    if follow_up.outreach is not None:
        outreach = follow_up.outreach
        labels.append(
            f"outreach of {day_label(local_date(outreach.occurred_at))}: {outreach.subject}"
        )
    if follow_up.event is not None:
        labels.append(f"event {follow_up.event.title}")
    return labels


def _item(follow_up: FollowUp, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "title": follow_up.title,
        "due_label": due_label(follow_up, zone),
        "about": about_labels(follow_up),
        "path": f"/followups/{follow_up.id}",
    }


def _still_theirs(follow_up: FollowUp | None, recipient: User) -> FollowUp | None:
    if follow_up is None or follow_up.status != FollowUpStatus.OPEN:
        return None
    return follow_up if follow_up.assignee_id == recipient.id else None


def draft_reminder(reminder: Reminder, now: datetime) -> Draft | None:
    """The draft of an outbox row's message, or None when it is no longer wanted."""
    if reminder.message_id is None:  # the claim gives every row one: a bug, tried again
        raise RuntimeError(f"reminder {reminder.id} was claimed without a Message-ID")
    recipient: User | None = reminder.recipient
    if recipient is None or not recipient.is_active:
        return None
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
            (heading, [_item(f, zone) for f in group])
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
