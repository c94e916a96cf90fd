"""A user's private feed of their open follow-ups: each due day an all-day event, each due
time a 30-minute event in the zone it was set in.

The feed is made of the follow-up rows alone (title, notes, due), so the summary that its
cache keys on (``state_of_follow_ups``) changes whenever the feed could.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.models import FollowUp, FollowUpStatus, User
from crm.services.calendar.feed import FeedItem, ItemStatus

TIMED_LENGTH = timedelta(minutes=30)


def follow_up_uid(follow_up_id: int) -> str:
    return f"followup-{follow_up_id}@mts-crm"


def open_follow_ups(user: User) -> list[FollowUp]:
    """The user's open follow-ups, due first."""
    return list(
        db.session.scalars(
            sa.select(FollowUp)
            .where(FollowUp.assignee_id == user.id, FollowUp.status == FollowUpStatus.OPEN)
            .order_by(FollowUp.due_at, FollowUp.id)
        )
    )


def feed_items(follow_ups: Iterable[FollowUp], *, base_url: str = "") -> list[FeedItem]:
    """Each follow-up as a VEVENT whose UID never changes (``followup-<id>@mts-crm``)."""
    base = base_url.rstrip("/")
    items = []
    for follow_up in follow_ups:
        timed = follow_up.due_time is not None
        items.append(
            FeedItem(
                uid=follow_up_uid(follow_up.id),
                title=follow_up.title,
                updated_at=follow_up.updated_at,
                sequence=max(follow_up.version - 1, 0),
                starts_at=follow_up.due_at if timed else None,
                ends_at=follow_up.due_at + TIMED_LENGTH if timed else None,
                timezone=follow_up.due_zone if timed else None,
                start_date=None if timed else follow_up.due_date,
                end_date=None if timed else follow_up.due_date,
                description=follow_up.notes or "",
                url=f"{base}/followups/{follow_up.id}" if base else "",
                status=ItemStatus.CONFIRMED,
            )
        )
    return items


def state_of_follow_ups(user: User) -> tuple[object, ...]:
    """What the user's feed is made of, summed up in one statement over every follow-up (a
    follow-up given to someone else leaves this user's feed, so all of them count)."""
    parts = [
        sa.select(sa.func.count()).select_from(FollowUp),
        sa.select(sa.func.max(FollowUp.updated_at)),
        sa.select(sa.func.coalesce(sa.func.sum(FollowUp.version), 0)),
        sa.select(sa.func.count())
        .select_from(FollowUp)
        .where(FollowUp.assignee_id == user.id, FollowUp.status == FollowUpStatus.OPEN),
    ]
    row = db.session.execute(sa.select(*(part.scalar_subquery() for part in parts))).one()
    return (user.id, *row)


def last_modified(state: tuple[object, ...]) -> datetime | None:
    """The latest change of any follow-up: later than this user's feed needs at worst."""
    moment = state[2]
    return moment if isinstance(moment, datetime) else None
