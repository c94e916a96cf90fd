"""One timeline per record: its outreach, events, follow-ups and changes, newest first, in pages.

A busy organisation has hundreds of entries, so the timeline comes a page at a time, and can
be narrowed to one kind of entry or to one commitment sub-item. Each source is asked first
for the times and ids of its newest entries only (``need`` of them: enough for every page up
to this one), those are merged, and only the page's entries are loaded in full: a deep page
reads a few thousand pairs of (time, id), never the whole history as objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

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
    event_subitems,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.services.checks import clean_text
from crm.services.errors import ValidationError
from crm.services.framework import at_or_below
from crm.services.reference import item_rows

PAGE_SIZE = 20  # the record page shows the first page; "show more" opens the second
MAX_PAGE = 500  # 10,000 entries back; deeper than anyone reads, and a bound on the work
KINDS = ("outreach", "event", "follow-up", "change")
WITH_SUBITEMS = ("outreach", "event")  # follow-ups and changes name no sub-item


@dataclass
class TimelineEntry:
    at: datetime
    kind: str  # outreach, event, follow-up, change
    title: str
    detail: str = ""
    codes: list[str] = field(default_factory=list)
    changes: dict[str, list[object]] = field(default_factory=dict)
    actor: str = ""
    outreach_id: int | None = None  # an outreach entry: the record its title links to
    follow_up_id: int | None = None  # a follow-up entry: the follow-up its title links to


@dataclass
class Timeline:
    """One page of a record's timeline, newest first; iterates as its entries, so callers
    that treated it as a list still do."""

    entries: list[TimelineEntry]
    record_kind: str  # person or organisation: which timeline page links lead to
    record_id: int
    page: int = 1
    has_more: bool = False
    kind: str = ""
    subitem: str = ""

    def __iter__(self) -> Iterator[TimelineEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, index: int) -> TimelineEntry:
        return self.entries[index]

    @property
    def is_filtered(self) -> bool:
        return bool(self.kind or self.subitem)

    def args(self, **override: object) -> dict[str, object]:
        """Query parameters of this page for links to others (filters kept, empty left out)."""
        values = {"kind": self.kind, "subitem": self.subitem, "page": self.page, **override}
        return {name: value for name, value in values.items() if value not in ("", None)}


def _all_day_start(start_date: date) -> datetime:
    return datetime.combine(start_date, time(0), UTC)


def _event_start(event: Event) -> datetime:
    if event.starts_at is not None:
        return event.starts_at
    return _all_day_start(event.start_date)  # type: ignore[arg-type]


def subitem_ids(code: str) -> set[int]:
    """The commitment items with this code and every item below them (a commitment or an
    item stands for its sub-items); an unknown code is an error naming it."""
    found, _leaves = at_or_below(item_rows(), code)
    if not found:
        raise ValidationError(f"there is no commitment sub-item {code!r}", field="subitem")
    return found


Key = tuple[datetime, str, int]  # (time, kind, id of the source row)


def _newest(
    record: Organisation | Person, kinds: tuple[str, ...], items: set[int] | None, need: int
) -> list[Key]:
    """The times and ids of the ``need`` newest entries of each source (ties by id)."""
    is_person = isinstance(record, Person)
    keys: list[Key] = []
    if "outreach" in kinds:
        reached: sa.Select[int] | sa.CompoundSelect[int]
        if is_person:
            reached = sa.select(outreach_people.c.outreach_id).where(
                outreach_people.c.person_id == record.id
            )
        else:
            # The organisation's own outreach, and that where one of its people counted for
            # it; a record on both lists is one entry.
            reached = sa.union(
                sa.select(outreach_organisations.c.outreach_id).where(
                    outreach_organisations.c.organisation_id == record.id
                ),
                sa.select(outreach_people.c.outreach_id).where(
                    outreach_people.c.organisation_id == record.id
                ),
            )
        query = sa.select(Outreach.occurred_at, Outreach.id).where(
            Outreach.id.in_(reached), Outreach.deleted_at.is_(None)
        )
        if items is not None:
            on_items = sa.select(outreach_subitems.c.outreach_id).where(
                outreach_subitems.c.commitment_item_id.in_(items)
            )
            query = query.where(Outreach.id.in_(on_items))
        ordered = query.order_by(Outreach.occurred_at.desc(), Outreach.id.desc()).limit(need)
        keys += [(at, "outreach", key) for at, key in db.session.execute(ordered)]
    if "event" in kinds:
        participant = EventParticipant.person_id if is_person else EventParticipant.organisation_id
        participations = (
            sa.select(EventParticipant.id)
            .join(Event, Event.id == EventParticipant.event_id)
            .where(participant == record.id, Event.deleted_at.is_(None))
        )
        if items is not None:
            on_items = sa.select(event_subitems.c.event_id).where(
                event_subitems.c.commitment_item_id.in_(items)
            )
            participations = participations.where(Event.id.in_(on_items))
        # Timed events start at a time, all-day ones on a date (at midnight UTC): two
        # orders, merged with the rest below.
        timed = (
            participations.add_columns(Event.starts_at)
            .where(Event.is_all_day.is_(False))
            .order_by(Event.starts_at.desc(), EventParticipant.id.desc())
            .limit(need)
        )
        keys += [(at, "event", key) for key, at in db.session.execute(timed)]
        all_day = (
            participations.add_columns(Event.start_date)
            .where(Event.is_all_day.is_(True))
            .order_by(Event.start_date.desc(), EventParticipant.id.desc())
            .limit(need)
        )
        keys += [(_all_day_start(day), "event", key) for key, day in db.session.execute(all_day)]
    if "follow-up" in kinds:
        about = FollowUp.person_id if is_person else FollowUp.organisation_id
        query = (
            sa.select(FollowUp.due_at, FollowUp.id)
            .where(about == record.id)
            .order_by(FollowUp.due_at.desc(), FollowUp.id.desc())
            .limit(need)
        )
        keys += [(at, "follow-up", key) for at, key in db.session.execute(query)]
    if "change" in kinds:
        query = (
            sa.select(AuditEntry.at, AuditEntry.id)
            .where(
                AuditEntry.entity_type == ("person" if is_person else "organisation"),
                AuditEntry.entity_id == record.id,
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(need)
        )
        keys += [(at, "change", key) for at, key in db.session.execute(query)]
    return keys


def _load(keys: list[Key]) -> dict[tuple[str, int], TimelineEntry]:
    """The page's entries in full, one query per kind on it."""
    wanted: dict[str, list[int]] = {}
    for _at, kind, key in keys:
        wanted.setdefault(kind, []).append(key)
    entries: dict[tuple[str, int], TimelineEntry] = {}
    if "outreach" in wanted:
        for item in db.session.scalars(
            sa.select(Outreach)
            .where(Outreach.id.in_(wanted["outreach"]))
            .options(selectinload(Outreach.subitems), selectinload(Outreach.logged_by))
        ):
            entries["outreach", item.id] = TimelineEntry(
                item.occurred_at,
                "outreach",
                item.subject,
                f"{item.channel.label}, {item.direction.value}"
                + (f", {item.outcome.label.lower()}" if item.outcome else ""),
                codes=[s.code for s in item.subitems],
                actor=item.logged_by.display_name if item.logged_by else "",
                outreach_id=item.id,
            )
    if "event" in wanted:
        for taking_part, event in db.session.execute(
            sa.select(EventParticipant, Event)
            .join(Event, Event.id == EventParticipant.event_id)
            .where(EventParticipant.id.in_(wanted["event"]))
            .options(selectinload(Event.subitems))
        ):
            entries["event", taking_part.id] = TimelineEntry(
                _event_start(event),
                "event",
                event.title,
                f"{event.kind.label}, {taking_part.role.value}, {taking_part.attendance.value}",
                codes=[s.code for s in event.subitems],
            )
    if "follow-up" in wanted:
        for follow_up in db.session.scalars(
            sa.select(FollowUp)
            .where(FollowUp.id.in_(wanted["follow-up"]))
            .options(selectinload(FollowUp.assignee))
        ):
            entries["follow-up", follow_up.id] = TimelineEntry(
                follow_up.due_at,
                "follow-up",
                follow_up.title,
                f"{follow_up.status.value}, assigned to {follow_up.assignee.display_name}",
                follow_up_id=follow_up.id,
            )
    if "change" in wanted:
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.id.in_(wanted["change"]))
            .options(selectinload(AuditEntry.actor))
        ):
            entries["change", entry.id] = TimelineEntry(
                entry.at,
                "change",
                str(entry.action).replace("-", " "),
                entry.summary,
                changes=entry.changes or {},
                actor=entry.actor.display_name if entry.actor else "system",
            )
    return entries


def record_timeline(
    record: Organisation | Person,
    with_changes: bool,
    *,
    page: int = 1,
    size: int = PAGE_SIZE,
    kind: str = "",
    subitem: str = "",
) -> Timeline:
    """A page of everything that happened with ``record``, newest first. ``with_changes``
    adds the audit entries (coordinators and admins only; without it there are none, even
    when ``kind`` asks for them). ``kind`` keeps one kind of entry, ``subitem`` the outreach
    and events on a commitment sub-item (or on any sub-item below an item). Unknown values
    are errors naming the parameter."""
    if kind and kind not in KINDS:
        raise ValidationError(
            f"{kind[:20]!r} is not a kind of entry (outreach, event, follow-up, change)",
            field="kind",
        )
    if not 1 <= page <= MAX_PAGE:
        raise ValidationError(f"must be between 1 and {MAX_PAGE}", field="page")
    code = clean_text(subitem, "subitem", 20) or ""
    items = subitem_ids(code) if code else None
    kinds: tuple[str, ...] = (kind,) if kind else KINDS
    if items is not None:
        kinds = tuple(k for k in kinds if k in WITH_SUBITEMS)
    if not with_changes:
        kinds = tuple(k for k in kinds if k != "change")

    offset = (page - 1) * size
    keys = sorted(_newest(record, kinds, items, offset + size + 1), reverse=True)
    shown = keys[offset : offset + size]
    loaded = _load(shown)
    return Timeline(
        entries=[loaded[kind_, key] for _at, kind_, key in shown if (kind_, key) in loaded],
        record_kind="person" if isinstance(record, Person) else "organisation",
        record_id=record.id,
        page=page,
        has_more=len(keys) > offset + size,
        kind=kind,
        subitem=code,
    )


def audit_history(entity_type: str, entity_id: int, limit: int) -> list[TimelineEntry]:
    """A record's audit entries as timeline entries, newest first (a record page's history)."""
    return [
        TimelineEntry(
            entry.at,
            "change",
            entry.action.label,
            entry.summary,
            changes=entry.changes or {},
            actor=entry.actor.display_name if entry.actor else "system",
        )
        for entry in db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == entity_id)
            .options(selectinload(AuditEntry.actor))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    ]
