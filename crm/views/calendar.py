"""The calendar feeds: every published event (``/calendar/events.ics``, filtered), one
event (``/agenda/<id>.ics``) and a user's open follow-ups behind a secret
(``/calendar/followups/<token>.ics``).

No sign-in: calendar clients cannot sign in. The public feeds show what the public agenda
shows; the private one is found by its token alone, and an unknown token, one of the wrong
shape and that of a deactivated user all get the same 404 page. Each feed answers 304 to a
client whose copy is current (``If-None-Match`` first, else ``If-Modified-Since``), usually
without rendering it (``crm.services.calendar.cache``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.orm import selectinload
from werkzeug.http import http_date

from crm.extensions import db
from crm.models import Event
from crm.services.calendar import events_feed, followups_feed
from crm.services.calendar.cache import Rendered, feeds
from crm.services.calendar.feed import render_calendar
from crm.services.errors import ValidationError
from crm.services.events import tokens
from crm.services.events.listing import EventFilter

bp = Blueprint("calendar", __name__)

ICS = "text/calendar; charset=utf-8"
FEED_PARAMETERS = ("subitem", "commitment", "country", "kind")
PUBLIC_CACHE = "public, max-age=300"
PRIVATE_CACHE = "private, max-age=300"
FEED_NAME = "MTS CRM events"
SHOWN_VALUE = 80  # characters of a refused value repeated in the answer


def _base_url() -> str:
    return str(current_app.config.get("CRM_BASE_URL", "")).rstrip("/")


def _refused(name: str, value: str, message: str) -> Response:
    shown = value if len(value) <= SHOWN_VALUE else value[:SHOWN_VALUE] + "..."
    text = f"Unknown filter value {name}={shown!r}: {message}\n"
    response = Response(text, status=400, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _feed_filter() -> tuple[EventFilter | None, tuple[tuple[str, str], ...], Response | None]:
    """The feed's filter from the query (only its four parameters, combined; others are
    ignored, as clients and link trackers add their own), or the 400 that names the value
    refused."""
    given: dict[str, str] = {}
    for name in FEED_PARAMETERS:
        values = request.args.getlist(name)
        if len(values) > 1:
            return None, (), _refused(name, values[1], f"given {len(values)} times; give one")
        if values and values[0] != "":
            given[name] = values[0]
    try:
        feed_filter = EventFilter.from_args(given)
    except ValidationError as error:
        name = error.field if error.field in given else next(iter(given), "filter")
        return None, (), _refused(name, given.get(name, ""), error.message)
    # As the filter read them (country upper-cased, codes lower-cased): the feed's name and
    # its cache key.
    read = tuple(
        (name, str(getattr(feed_filter, name)))
        for name in sorted(FEED_PARAMETERS)
        if getattr(feed_filter, name)
    )
    return feed_filter, read, None


def _feed_title(given: tuple[tuple[str, str], ...]) -> str:
    if not given:
        return FEED_NAME
    # No commas or semicolons: some clients show a calendar's name without unescaping it.
    return FEED_NAME + ": " + " / ".join(f"{name} {value}" for name, value in given)


def _conditional(
    key: Hashable,
    last_modified: datetime | None,
    make: Callable[[], bytes],
    cache_control: str,
) -> Response:
    """The feed, or 304 when the client's copy is current: ``If-None-Match`` decides when
    given (RFC 9110 13.2.2), else ``If-Modified-Since`` against ``last_modified``."""
    entry: Rendered | None = feeds.get(key)
    body: bytes | None = entry.body if entry is not None else None
    if entry is None:
        entry, body = feeds.render(key, last_modified, make)
    headers = {"ETag": entry.etag, "Cache-Control": cache_control}
    if entry.last_modified is not None:
        headers["Last-Modified"] = http_date(entry.last_modified)
    if _not_modified(entry):
        return Response(status=304, headers=headers)
    if body is None:
        entry, body = feeds.render(key, last_modified, make)
        headers["ETag"] = entry.etag
    response = Response(body, status=200, headers=headers)
    response.headers["Content-Type"] = ICS
    return response


def _not_modified(entry: Rendered) -> bool:
    if request.method not in ("GET", "HEAD"):
        return False
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(entry.etag.strip('"'))
    since = request.if_modified_since
    if since is None or entry.last_modified is None:
        return False
    return entry.last_modified.replace(microsecond=0) <= since


@bp.get("/calendar/events.ics")
def events() -> Response:
    """Every published event (past ones too), filtered by sub-item, commitment, country and
    kind (combined)."""
    feed_filter, given, refused = _feed_filter()
    if refused is not None:
        return refused
    base_url = _base_url()
    state = events_feed.state_of_events()

    def make() -> bytes:
        rows = db.session.scalars(events_feed.public_events_query(feed_filter)).all()
        return render_calendar(
            _feed_title(given),
            events_feed.feed_items(rows, base_url=base_url),
            description="Published events of the machine-tool sector's CSR programme",
        )

    return _conditional(
        ("events", given, base_url, state),
        events_feed.last_modified(state),
        make,
        PUBLIC_CACHE,
    )


@bp.get("/agenda/<int:event_id>.ics")
def event(event_id: int) -> Response:
    """One published event, to add to a calendar once (a series with its changes). Asked
    for by its id, it answers even when cancelled long ago: it says so (STATUS:CANCELLED)."""
    found = db.session.scalar(
        sa.select(Event)
        .where(Event.id == event_id, *events_feed.published())
        .options(selectinload(Event.subitems), selectinload(Event.occurrences))
    )
    if found is None:
        abort(404)
    base_url = _base_url()
    state = events_feed.state_of_events()

    def make() -> bytes:
        return render_calendar(found.title, events_feed.feed_items([found], base_url=base_url))

    return _conditional(
        ("event", event_id, base_url, state),
        events_feed.last_modified(state),
        make,
        PUBLIC_CACHE,
    )


@bp.get("/calendar/followups/<token>.ics")
def followups(token: str) -> Response:
    """The open follow-ups of the user the secret belongs to."""
    user = tokens.user_for_feed_token(token)
    if user is None:
        abort(404)
    base_url = _base_url()
    state = followups_feed.state_of_follow_ups(user)

    def make() -> bytes:
        items = followups_feed.feed_items(followups_feed.open_follow_ups(user), base_url=base_url)
        return render_calendar("MTS CRM: my follow-ups", items)

    response = _conditional(
        ("followups", base_url, state),
        followups_feed.last_modified(state),
        make,
        PRIVATE_CACHE,
    )
    response.headers["X-Robots-Tag"] = "noindex"
    return response
