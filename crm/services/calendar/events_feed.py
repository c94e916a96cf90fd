"""The public events feed: which events it shows, and each as the ``FeedItem`` it becomes.

Public by design, so it carries nothing about people: no participants, no organiser's name
(which may be a person's), only what the public agenda page shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import CommitmentItem, Country, Event, EventStatus, RecurrenceFreq, utcnow
from crm.models.events import EventOccurrence, event_subitems
from crm.services.calendar.feed import FeedItem, Frequency, ItemStatus, Override, Recurrence
from crm.services.events import series
from crm.services.events.description import (
    LINK_REL,
    MARKDOWN,
    description_text,
    render_description,
)
from crm.services.events.listing import EventFilter

# A cancelled event stays in the feed (as STATUS:CANCELLED) this long after it was cancelled,
# so subscribed calendars see the cancellation instead of an event that silently vanished.
CANCELLED_KEPT = timedelta(days=30)

STATUS = {
    EventStatus.PLANNED: ItemStatus.TENTATIVE,
    EventStatus.CONFIRMED: ItemStatus.CONFIRMED,
    EventStatus.POSTPONED: ItemStatus.TENTATIVE,
    EventStatus.CANCELLED: ItemStatus.CANCELLED,
}
FREQUENCY = {RecurrenceFreq.WEEKLY: Frequency.WEEKLY, RecurrenceFreq.MONTHLY: Frequency.MONTHLY}


def published() -> list[sa.ColumnElement[bool]]:
    """What every public feed and page of an event asks: published and not deleted."""
    return [Event.is_published.is_(True), Event.deleted_at.is_(None)]


def still_shown(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """Not cancelled, or cancelled no more than ``CANCELLED_KEPT`` ago."""
    cutoff = (now or utcnow()) - CANCELLED_KEPT
    return sa.or_(Event.cancelled_at.is_(None), Event.cancelled_at >= cutoff)


def public_events_query(
    filter: EventFilter | None = None, *, now: datetime | None = None
) -> sa.Select[Event]:
    """Published, not deleted, not cancelled more than 30 days ago, of any date; narrowed by
    the filter's kind, country and sub-items, with what the feed shows
    of each loaded in a few statements."""
    query = (
        sa.select(Event)
        .where(*published(), still_shown(now))
        .options(selectinload(Event.subitems), selectinload(Event.occurrences))
        .order_by(Event.id)
    )
    return query.where(*filter_clauses(filter)) if filter is not None else query


def filter_clauses(filter: EventFilter) -> list[sa.ColumnElement[bool]]:
    """The feed's part of a filter: kind, country, sub-item or commitment. Not its period:
    a feed shows the past as well as the future."""
    clauses: list[sa.ColumnElement[bool]] = []
    if filter.kind:
        clauses.append(Event.kind == filter.kind)
    if filter.country:
        clauses.append(Event.country_code == filter.country)
    if filter.subitem or filter.commitment:
        clauses.append(
            sa.exists().where(
                event_subitems.c.event_id == Event.id,
                event_subitems.c.commitment_item_id.in_(filter.item_ids or (-1,)),
            )
        )
    return clauses


def feed_items(events: Iterable[Event], *, base_url: str = "") -> list[FeedItem]:
    """Each event as its VEVENT (and its overrides). ``base_url`` (``CRM_BASE_URL``) makes
    the URL of its public page."""
    names = _country_names()
    return [_item(event, base_url, names) for event in events]


def _country_names() -> dict[str, str]:
    return {code: name for code, name in db.session.execute(sa.select(Country.code, Country.name))}


def location(event: Event, country_names: dict[str, str] | None = None) -> str:
    """Venue, city and country, or the online link when there is no place."""
    names = country_names if country_names is not None else _country_names()
    country = names.get(event.country_code or "", "") if event.country_code else ""
    parts = [part for part in (event.venue, event.city, country) if part]
    if parts:
        return ", ".join(parts)
    return event.online_url or ""


def _description(event: Event) -> str:
    """The description as text (Markdown as the page reads it: some clients show HTML in a
    description as HTML, so no source and no tag), and the online link of an event that
    also has a place."""
    text = description_text(event.description, event.description_format)
    if event.online_url and (event.venue or event.city or event.country_code):
        text = f"{text}\n\nOnline: {event.online_url}" if text else f"Online: {event.online_url}"
    return text


def _html_description(event: Event) -> str:
    """A Markdown description as the page shows it (sanitised HTML), with the online link
    as in the text; nothing for a plain-text one (its text is all there is)."""
    if str(event.description_format) != MARKDOWN or not description_text(
        event.description, MARKDOWN
    ):
        return ""
    parts = [render_description(event.description, MARKDOWN).strip()]
    if event.online_url and (event.venue or event.city or event.country_code):
        online = Markup('<p>Online: <a href="{0}" rel="{1}">{0}</a></p>')
        parts.append(online.format(event.online_url, LINK_REL))  # escaped by format
    return str(Markup("\n").join(parts))


def _item(event: Event, base_url: str, country_names: dict[str, str]) -> FeedItem:
    recurrence = None
    exdates: list[datetime | date] = []
    overrides: list[Override] = []
    if event.recurrence is not None:
        # An override the rule no longer gives (the series was changed since) would be an
        # extra event in some clients: only the rule's own occurrences are written.
        given = set(series.originals(event)) if event.occurrences else set()
        recurrence = Recurrence(
            FREQUENCY[event.recurrence],
            interval=event.recurrence_interval or 1,
            until=event.recurrence_until,
            count=event.recurrence_count,
        )
        for occurrence in event.occurrences:
            original = (
                occurrence.original_start
                if occurrence.original_start is not None
                else occurrence.original_date
            )
            if original is None or original not in given:
                continue
            if occurrence.is_cancelled:
                exdates.append(original)
            elif occurrence.is_moved:
                overrides.append(
                    Override(
                        original,
                        starts_at=occurrence.starts_at,
                        ends_at=occurrence.ends_at,
                        start_date=occurrence.start_date,
                        end_date=occurrence.end_date,
                    )
                )
    timed = not event.is_all_day
    return FeedItem(
        uid=event.uid,
        title=event.title,
        updated_at=_latest(event),
        sequence=event.sequence or 0,
        starts_at=event.starts_at if timed else None,
        ends_at=event.ends_at if timed else None,
        timezone=event.timezone if timed else None,
        start_date=None if timed else event.start_date,
        end_date=None if timed else event.end_date,
        description=_description(event),
        html_description=_html_description(event),
        location=location(event, country_names),
        url=f"{base_url.rstrip('/')}/agenda/{event.id}" if base_url else "",
        categories=tuple(sorted(item.code for item in event.subitems)),
        status=STATUS[event.status],
        recurrence=recurrence,
        exdates=tuple(exdates),
        overrides=tuple(overrides),
    )


def _latest(event: Event) -> datetime:
    """The event's last change, its occurrences' included (DTSTAMP, LAST-MODIFIED)."""
    moments = [event.updated_at, *(o.updated_at for o in event.occurrences)]
    return max(moment for moment in moments if moment is not None)


def state_of_events(now: datetime | None = None) -> tuple[object, ...]:
    """A summary of everything the events feeds are made of, read in one statement: it
    changes whenever any event, occurrence or sub-item link changes (counts, versions, last
    updates), when a sub-item's code does, and when a cancelled event passes its 30 days.
    Country names (reference data without a time of change) are not in it. Feeds cache their
    ETag under it, so a conditional request is answered without rendering."""
    cutoff = (now or utcnow()) - CANCELLED_KEPT
    links = event_subitems.c
    parts = [
        sa.select(sa.func.count()).select_from(Event),
        sa.select(sa.func.max(Event.updated_at)),
        sa.select(sa.func.coalesce(sa.func.sum(Event.version), 0)),
        sa.select(sa.func.coalesce(sa.func.sum(Event.sequence), 0)),
        sa.select(sa.func.count()).select_from(EventOccurrence),
        sa.select(sa.func.max(EventOccurrence.updated_at)),
        sa.select(sa.func.count()).select_from(event_subitems),
        # which event has which sub-item (in 64 bits: ids go up to 2**31 - 1)
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.cast(links.event_id, sa.BigInteger) * 7919 + links.commitment_item_id
                ),
                0,
            )
        ),
        # sub-item codes are the feed's CATEGORIES
        sa.select(sa.func.max(CommitmentItem.updated_at)),
        # last: the latest cancellation already past its 30 days
        sa.select(sa.func.max(Event.cancelled_at)).where(Event.cancelled_at < cutoff),
    ]
    row = db.session.execute(sa.select(*(part.scalar_subquery() for part in parts))).one()
    return tuple(row)


def last_modified(state: tuple[object, ...]) -> datetime | None:
    """The Last-Modified of every events feed (from ``state_of_events``): the latest change
    of any event or occurrence, or the moment the last cancelled event left the feeds,
    whichever is later. An event unpublished, deleted or moved out of a filter left a feed
    too, so the moment is taken over all events: later than needed at worst, never earlier.
    """
    dropped = state[-1]
    moments = [
        state[1],
        state[5],
        dropped + CANCELLED_KEPT if isinstance(dropped, datetime) else None,
    ]
    present = [moment for moment in moments if isinstance(moment, datetime)]
    return max(present) if present else None
