"""Follow-ups as plain rows and a look at their outbox, for the tests of reminders.

Follow-ups are built here as ``FollowUp(**due_fields(...))`` rows, not through the
follow-up services, so that the outbox is tested on its own: whatever writes a follow-up
passes the planning hook all the same.
"""

from __future__ import annotations

import itertools
from datetime import datetime

import sqlalchemy as sa

from crm.extensions import db
from crm.models import FollowUp, Reminder, User
from crm.models.followups import ReminderKind, due_fields, due_moment

_titles = itertools.count(1)


def make_follow_up(
    assignee: User,
    due: datetime,
    *,
    zone: str = "Europe/Berlin",
    creator: User | None = None,
    on_the_day: bool = False,
    title: str | None = None,
    **values: object,
) -> FollowUp:
    """An open follow-up due at ``due`` (read in ``zone``), or on its day there."""
    fields = due_fields(due, zone)
    if on_the_day:
        fields["due_time"] = None
        fields["due_at"] = due_moment(fields["due_date"], None, zone)  # type: ignore[arg-type]
    follow_up = FollowUp(
        title=title or f"Call VDW about the training dates ({next(_titles)})",
        assignee_id=assignee.id,
        created_by_id=(creator or assignee).id,
        **fields,
        **values,
    )
    db.session.add(follow_up)
    db.session.flush()
    return follow_up


def move_due(follow_up: FollowUp, due: datetime, on_the_day: bool = False) -> None:
    fields = due_fields(due, follow_up.due_zone)
    if on_the_day:
        fields["due_time"] = None
        fields["due_at"] = due_moment(fields["due_date"], None, follow_up.due_zone)  # type: ignore[arg-type]
    for name, value in fields.items():
        setattr(follow_up, name, value)
    db.session.flush()


def outbox(follow_up: FollowUp | None = None, kind: ReminderKind | None = None) -> list[Reminder]:
    """The rows of the outbox (of a follow-up, of a kind) as stored now, oldest first."""
    query = sa.select(Reminder).order_by(Reminder.id).execution_options(populate_existing=True)
    if follow_up is not None:
        query = query.where(Reminder.follow_up_id == follow_up.id)
    if kind is not None:
        query = query.where(Reminder.kind == kind)
    return list(db.session.scalars(query))


def states(rows: list[Reminder]) -> list[tuple[str, int, str]]:
    """(kind, recipient id, status) of each row: what a test usually compares."""
    return [(r.kind.value, r.recipient_id, r.status.value) for r in rows]
