"""One timeline per record: its outreach, events, follow-ups and changes, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    AuditEntry,
    Event,
    EventParticipant,
    FollowUp,
    Organisation,
    Outreach,
    Person,
    outreach_organisations,
    outreach_people,
)

LIMIT = 100  # per source; the page says when older entries exist


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # outreach, event, follow-up, change
    title: str
    detail: str = ""
    codes: list[str] = field(default_factory=list)
    changes: dict[str, list[object]] = field(default_factory=dict)
    actor: str = ""


def _event_start(event: Event) -> datetime:
    if event.starts_at is not None:
        return event.starts_at
    return datetime.combine(event.start_date, time(0), UTC)  # type: ignore[arg-type]


def record_timeline(record: Organisation | Person, with_changes: bool) -> list[TimelineEntry]:
    """Everything that happened with ``record``; ``with_changes`` adds the audit entries
    (coordinators and admins only)."""
    is_person = isinstance(record, Person)
    link = outreach_people if is_person else outreach_organisations
    link_column = link.c.person_id if is_person else link.c.organisation_id
    entries: list[TimelineEntry] = []

    outreach = db.session.scalars(
        sa.select(Outreach)
        .join(link, link.c.outreach_id == Outreach.id)
        .where(link_column == record.id, Outreach.deleted_at.is_(None))
        .options(selectinload(Outreach.subitems), selectinload(Outreach.logged_by))
        .order_by(Outreach.occurred_at.desc())
        .limit(LIMIT)
    )
    for item in outreach:
        entries.append(
            TimelineEntry(
                item.occurred_at,
                "outreach",
                item.subject,
                f"{item.channel.label}, {item.direction.value}"
                + (f", {item.outcome.label.lower()}" if item.outcome else ""),
                codes=[s.code for s in item.subitems],
                actor=item.logged_by.display_name if item.logged_by else "",
            )
        )

    participant = EventParticipant.person_id if is_person else EventParticipant.organisation_id
    events = db.session.execute(
        sa.select(Event, EventParticipant)
        .join(EventParticipant)
        .where(participant == record.id, Event.deleted_at.is_(None))
        .options(selectinload(Event.subitems))
        .limit(LIMIT)
    )
    for event, taking_part in events:
        entries.append(
            TimelineEntry(
                _event_start(event),
                "event",
                event.title,
                f"{event.kind.label}, {taking_part.role.value}, {taking_part.attendance.value}",
                codes=[s.code for s in event.subitems],
            )
        )

    about = FollowUp.person_id if is_person else FollowUp.organisation_id
    for follow_up in db.session.scalars(
        sa.select(FollowUp)
        .where(about == record.id)
        .options(selectinload(FollowUp.assignee))
        .order_by(FollowUp.due_at.desc())
        .limit(LIMIT)
    ):
        entries.append(
            TimelineEntry(
                follow_up.due_at,
                "follow-up",
                follow_up.title,
                f"{follow_up.status.value}, assigned to {follow_up.assignee.display_name}",
            )
        )

    if with_changes:
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.entity_type == ("person" if is_person else "organisation"),
                AuditEntry.entity_id == record.id,
            )
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.at.desc())
            .limit(LIMIT)
        ):
            entries.append(
                TimelineEntry(
                    entry.at,
                    "change",
                    entry.action.replace("-", " "),
                    entry.summary,
                    changes=entry.changes or {},
                    actor=entry.actor.display_name if entry.actor else "system",
                )
            )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries
