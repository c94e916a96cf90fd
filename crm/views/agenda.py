"""The public agenda: published upcoming events, without signing in, filtered as the feed is
(sub-item, commitment, country, kind), with the feed's subscription links for the current
filter and how to subscribe from the usual calendar programs; and each published event's
public page, with its own ``.ics``.

Public by design, so it shows what an event announces and nothing of the register: no
participants, no people, no outreach, no internal status notes. A draft (unpublished) or
deleted event is a 404 here, the same answer as an id that never existed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.models import Event
from crm.services.errors import ValidationError
from crm.services.events import listing
from crm.services.events.description import render_description
from crm.templating import viewer_timezone
from crm.views.events_support import (
    FEED_PARAMS,
    SeriesState,
    current_args,
    event_when,
    filter_options,
    filter_refusal,
    ics_name,
    one_address,
    page_arg,
    place,
    public_organiser,
    series_state,
    without,
)

bp = Blueprint("agenda", __name__, url_prefix="/agenda")
bp.before_request(one_address)

FEED_PATH = "/calendar/events.ics"
OCCURRENCES_SHOWN = 100  # the next ones of a series on its public page; the .ics has all


@dataclass(frozen=True)
class Subscription:
    """The feed of the current filter: for calendar programs (webcal) and as a web address."""

    webcal: str
    https: str


def _feed_args() -> MultiDict[str, str]:
    """The query string as the feed reads it: its four filters only (anything else, such as
    our role or the status, is not the public's to filter on and is left out)."""
    return MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in FEED_PARAMS])


def subscription(args: dict[str, str]) -> Subscription:
    """The feed's addresses on this site (``CRM_BASE_URL``) for ``args``."""
    base = urlsplit(current_app.config["CRM_BASE_URL"])
    query = ("?" + urlencode(args)) if args else ""
    path = base.path.rstrip("/") + FEED_PATH + query
    return Subscription(
        webcal=f"webcal://{base.netloc}{path}", https=f"{base.scheme}://{base.netloc}{path}"
    )


@dataclass
class Row:
    event: Event
    when: Any
    place: str
    series: SeriesState | None = None  # a series: its next occurrence, how many are left


def _render(
    status: int, errors: list[str], refused: str | None = None, **context: Any
) -> tuple[str, int]:
    args = without(current_args(request.args, FEED_PARAMS), refused)
    return render_template(
        "agenda/list.html",
        errors=errors,
        args=request.args,
        options=filter_options(request.args),
        query=args,
        # A refused filter's feed would answer 400: the whole agenda's is offered, saying so.
        feed=subscription({} if errors else args),
        zone=viewer_timezone(),
        **context,
    ), status


@bp.get("")
def index() -> tuple[str, int]:
    try:
        f = listing.EventFilter.from_args(_feed_args())
        page = listing.list_events(f, page=page_arg(request.args), public=True)
    except ValidationError as error:
        return _render(400, [filter_refusal(error)], error.field, page=None, rows=[])
    zone = viewer_timezone()
    rows = [
        Row(event, event_when(event, zone), place(event), series_state(event, zone))
        for event in page.items
    ]
    return _render(
        200,
        [],
        page=page,
        rows=rows,
        previous_args=current_args(request.args, (*FEED_PARAMS, "page"), page=page.page - 1),
        next_args=current_args(request.args, (*FEED_PARAMS, "page"), page=page.page + 1),
    )


@bp.get("/<int:event_id>")
def show(event_id: int) -> tuple[str, int]:
    event = db.session.get(Event, event_id)
    if event is None or event.deleted_at is not None or not event.is_published:
        abort(404)
    zone = viewer_timezone()
    return render_template(
        "agenda/detail.html",
        event=event,
        when=event_when(event, zone),
        series=series_state(event, zone, limit=OCCURRENCES_SHOWN),
        place=place(event),
        organiser=public_organiser(event),
        description=render_description(event.description, event.description_format),
        ics_path=f"/agenda/{event.id}.ics",
        ics_name=ics_name(event),
    ), 200
