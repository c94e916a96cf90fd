"""What the event pages and the public agenda share: an event's times in words (in its own
zone, and in the viewer's when that reads differently), its place, the choices of the
filters, and the query string of the current filter for links."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from flask import abort, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from crm.models import Country, Event, EventKind, EventStatus, OurRole
from crm.services import reference
from crm.services.errors import ValidationError
from crm.services.events import series
from crm.templating import option_tags

# The parameters of the lists' filters, in the order of their forms (the feed's are the
# agenda's: sub-item, commitment, country, kind).
LIST_PARAMS = ("period", "month", "from", "to", "kind", "country", "subitem", "commitment")
LIST_PARAMS_INTERNAL = (*LIST_PARAMS, "our_role", "status")
FEED_PARAMS = ("subitem", "commitment", "country", "kind")
PERIODS = (("upcoming", "Upcoming"), ("past", "Past"), ("all", "All dates"))


@dataclass(frozen=True)
class When:
    """When something happens, in words: in the event's zone, and for the viewer when the
    viewer's zone reads differently (None otherwise, or for all-day dates)."""

    label: str
    zone: str | None  # None for all-day dates: a day is the same day everywhere it is held
    viewer_label: str | None
    viewer_zone: str
    start_iso: str  # for <time datetime=...>


def _day(d: date) -> str:
    return f"{d:%a} {d.day:02d} {d:%b %Y}"


def _days(first: date, last: date) -> str:
    if first == last:
        return f"{_day(first)} (all day)"
    return f"{_day(first)} – {_day(last)} (all day)"


def _span(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    a, b = start.astimezone(zone), end.astimezone(zone)
    if a.date() == b.date():
        return f"{_day(a.date())}, {a:%H:%M}–{b:%H:%M}"
    return f"{_day(a.date())} {a:%H:%M} – {_day(b.date())} {b:%H:%M}"


def when(
    *,
    starts_at: datetime | None,
    ends_at: datetime | None,
    start_date: date | None,
    end_date: date | None,
    zone_name: str,
    viewer: ZoneInfo,
) -> When:
    """The times of an event or an occurrence (the UTC instants of a timed one, the
    inclusive dates of an all-day one)."""
    if starts_at is None or ends_at is None:
        first = start_date or date.min
        last = end_date or first
        return When(_days(first, last), None, None, viewer.key, first.isoformat())
    try:
        zone = ZoneInfo(zone_name)
    except (ValueError, KeyError):  # a zone the system no longer knows: shown in UTC
        zone = ZoneInfo("UTC")
    own = _span(starts_at, ends_at, zone)
    theirs = _span(starts_at, ends_at, viewer)
    return When(
        own,
        zone.key,
        theirs if theirs != own else None,
        viewer.key,
        starts_at.isoformat(),
    )


def event_when(event: Event, viewer: ZoneInfo) -> When:
    return when(
        starts_at=None if event.is_all_day else event.starts_at,
        ends_at=None if event.is_all_day else event.ends_at,
        start_date=event.start_date,
        end_date=event.end_date,
        zone_name=event.timezone,
        viewer=viewer,
    )


def occurrence_when(occurrence: Any, event: Event, viewer: ZoneInfo) -> When:
    """An occurrence of a series (``series.Occurrence``) in words."""
    timed = not event.is_all_day
    return when(
        starts_at=occurrence.starts_at if timed else None,
        ends_at=occurrence.ends_at if timed else None,
        start_date=occurrence.start_date,
        end_date=occurrence.end_date,
        zone_name=event.timezone,
        viewer=viewer,
    )


def original_label(event: Event, key: str) -> str:
    """The day an occurrence was planned for by the rule (its key), in the event's zone:
    what "moved from ..." names."""
    try:
        if event.is_all_day:
            return _day(datetime.strptime(key, "%Y%m%d").date())
        instant = datetime.strptime(key, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return key
    try:
        zone = ZoneInfo(event.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    local = instant.astimezone(zone)
    return f"{_day(local.date())} {local:%H:%M}"


@dataclass(frozen=True)
class Dated:
    """An occurrence of a series as the pages list it: in words, and for a moved one the
    date the rule gave it."""

    occurrence: series.Occurrence
    when: When
    moved_from: str  # "" unless moved
    is_past: bool


@dataclass(frozen=True)
class SeriesState:
    """Where a running series stands: its next occurrence (None once all have passed or
    are cancelled) and how many are still to come, cancelled ones not counted."""

    next: Dated | None
    left: int
    upcoming: list[Dated]  # every occurrence still to come, cancelled ones included


def series_state(
    event: Event, viewer: ZoneInfo, now: datetime | None = None, limit: int = 200
) -> SeriesState | None:
    """A series' next occurrence and the ones after it (None for a single event): the
    first date of a series running for months says nothing about when to come."""
    if event.recurrence is None:
        return None
    moment = now or datetime.now(UTC)
    try:
        zone = ZoneInfo(event.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    coming = []
    for occurrence in series.all_occurrences(event):
        starts, ends = occurrence.span(zone)
        if ends > moment:
            coming.append((starts, occurrence))
    coming.sort(key=lambda pair: pair[0])
    upcoming = [dated(event, occurrence, viewer, False) for _s, occurrence in coming[:limit]]
    live = [d for d in upcoming if not d.occurrence.is_cancelled]
    left = sum(1 for _s, o in coming if not o.is_cancelled)
    return SeriesState(live[0] if live else None, left, upcoming)


def dated(event: Event, occurrence: series.Occurrence, viewer: ZoneInfo, is_past: bool) -> Dated:
    return Dated(
        occurrence,
        occurrence_when(occurrence, event, viewer),
        original_label(event, occurrence.key) if occurrence.is_moved else "",
        is_past,
    )


def live_organiser(event: Event) -> Any:
    """The organiser organisation while it is a live record of the register (not deleted,
    not merged away), or None."""
    organisation = event.organiser_organisation
    if organisation is None or organisation.deleted_at is not None:
        return None
    if organisation.merged_into_id is not None:
        return None
    return organisation


def public_organiser(event: Event) -> str:
    """The organiser as the public may read it: a live organisation of the register, or
    nothing. A free-text organiser name may be a person's, and a deleted organisation was
    taken out of the register: neither is published (the feed leaves both out too)."""
    organisation = live_organiser(event)
    return organisation.name if organisation is not None else ""


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return dict(reference.vocabulary(Country)).get(code, code)


def place(event: Event) -> str:
    """Venue, city and country, as one line ("" for an online-only event)."""
    parts = [event.venue, event.city, country_name(event.country_code)]
    return ", ".join(p for p in parts if p)


def _framework_codes() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """The sub-items, and the commitments and items above them, as (code, label)."""
    items = reference.framework_items()
    parents = {parent_id for _id, parent_id, _code, _text in items}
    leaves = tuple(
        (code, f"{code} {text}") for item_id, _p, code, text in items if item_id not in parents
    )
    groups = tuple(
        (code, f"{code} {text}") for item_id, _p, code, text in items if item_id in parents
    )
    return leaves, groups


def _text(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name, "")
    return value if isinstance(value, str) else ""


def filter_options(args: Mapping[str, Any]) -> dict[str, Markup]:
    """The <option>s of every select of the filters, the value of the query string selected
    (an unknown one selects nothing: the page names it above the form)."""
    leaves, groups = _framework_codes()
    return {
        "period": option_tags(PERIODS, _text(args, "period") or "upcoming", None),
        "kind": option_tags(tuple(EventKind.choices()), _text(args, "kind"), "All kinds"),
        "country": option_tags(
            reference.vocabulary(Country), _text(args, "country").upper(), "All countries"
        ),
        "subitem": option_tags(leaves, _text(args, "subitem"), "All sub-items"),
        "commitment": option_tags(groups, _text(args, "commitment"), "All commitments"),
        "our_role": option_tags(tuple(OurRole.choices()), _text(args, "our_role"), "Any role"),
        "status": option_tags(tuple(EventStatus.choices()), _text(args, "status"), "Any status"),
    }


def current_args(
    args: Mapping[str, Any], names: tuple[str, ...], **override: Any
) -> dict[str, str]:
    """The query string of the current filter (known parameters, non-empty), for links."""
    values = {name: _text(args, name) for name in names}
    values.update({k: "" if v is None else str(v) for k, v in override.items()})
    return {k: v for k, v in values.items() if v}


_PAGE = re.compile(r"[0-9]{1,20}")


def page_arg(args: Any) -> str | None:
    """The ``page`` parameter, given once and as digits: repeated, it is refused as every
    other repeated parameter is (``page=1&page=2`` was page 1); "+2" or " 2" is refused, one
    page under several spellings."""
    values = args.getlist("page")
    if len(values) > 1:
        raise ValidationError(f"given {len(values)} times; give one value", field="page")
    if not values or values[0] == "":
        return None
    if not _PAGE.fullmatch(values[0]):
        raise ValidationError(f"{values[0][:20]!r} is not a page number", field="page")
    return str(values[0])


def one_address() -> Response | None:
    """Each record at one address: ``/events/01`` (the int converter reads it as 1) is sent
    to ``/events/1`` when read, a 404 for anything else, so a link, a cache or a log never
    holds one page under several names. Installed before the requests of a blueprint."""
    if not request.view_args or request.endpoint is None:
        return None
    canonical = url_for(request.endpoint, **request.view_args)
    if unquote(canonical) == request.script_root + request.path:
        return None
    if request.method not in ("GET", "HEAD"):
        abort(404)
    query = request.query_string.decode("latin-1")
    return redirect(canonical + ("?" + query if query else ""), 308)


def filter_refusal(error: ValidationError) -> str:
    """A refused filter in words for a search: the checks word a control character for a
    form being saved ("remove it and save again"); a list is searched again."""
    message = error.message.replace("and save again", "and search again")
    return f"{error.field}: {message}" if error.field else message


def without(query: dict[str, str], refused: str | None) -> dict[str, str]:
    """The current filter without the refused parameter: the "n set" count and the links of
    a refused list count and carry only what was understood (its select shows no choice)."""
    return {k: v for k, v in query.items() if k != refused}


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ics_name(event: Event) -> str:
    """The file name an event's .ics downloads as: its title in ASCII letters and digits
    ("Messe München — Tag 1" -> "messe-munchen-tag-1.ics"), at most 60 of them; the id
    when the title has none. Nothing in it can leave a directory or confuse a header."""
    ascii_title = unicodedata.normalize("NFKD", event.title).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_title.lower()).strip("-")[:60].rstrip("-")
    return f"{slug or f'event-{event.id}'}.ics"
