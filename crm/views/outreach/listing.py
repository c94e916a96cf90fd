"""The list of outreach records and its exports."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from flask import Response, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from markupsafe import Markup

from crm.extensions import db
from crm.models import (
    Channel,
    Direction,
    Event,
    MaterialKind,
    OrganisationKind,
    Outcome,
    utcnow,
)
from crm.security import can, requires
from crm.services import exports, materials, reference
from crm.services.errors import ValidationError
from crm.services.outreach.listing import SORTS, OutreachFilter, outreach_page, outreach_query
from crm.templating import option_tags, viewer_timezone
from crm.views.outreach import bp
from crm.views.register_support import country_options, officer_choices

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE = "outreach/list.html"


def _read_filter() -> tuple[OutreachFilter, list[ValidationError]]:
    """The list's filter from the query string, with the errors of refused values."""
    return OutreachFilter.read(request.args, SORTS, zone=viewer_timezone(), viewer=current_user)


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


def _materials_by_kind() -> list[tuple[MaterialKind, list[materials.MaterialChoice]]]:
    """The whole catalogue (tens of materials) by kind, retired ones too."""
    catalogue = materials.material_choices()
    return [(kind, list(group)) for kind, group in groupby(catalogue, key=lambda m: m.kind)]


def _choices() -> dict[str, Any]:
    """What the filter form offers (events as typed ids: there are thousands of them, and
    the record pages link here with one set)."""
    leaves, groups = _framework_codes()
    return {
        "materials_by_kind": _materials_by_kind(),
        "channels": Channel,
        "directions": Direction,
        "outcomes": Outcome,
        "kinds": OrganisationKind,
        "subitem_options": lambda selected: code_options(leaves, selected, "All sub-items"),
        "commitment_options": lambda selected: code_options(groups, selected, "All commitments"),
        "officers": officer_choices(),
        "country_options": country_options,
    }


def _named(f: OutreachFilter) -> dict[str, str]:
    """The name of the event the filter holds, to show beside its id."""
    names: dict[str, str] = {}
    if f.event is not None:
        event = db.session.get(Event, f.event)
        names["event"] = event.title if event else ""
    return names


def _refused(errors: list[ValidationError], f: OutreachFilter) -> tuple[str, int]:
    """400: the list page with what was wrong, parameter by parameter, above its filter
    form (filled with what was typed), and no records: nothing was looked up."""
    messages = [_message(error) for error in errors] or ["this list cannot be shown"]
    return render_template(
        TEMPLATE, page=None, errors=messages, filter=f, names={}, may_export=False, **_choices()
    ), 400


def _message(error: ValidationError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    f, errors = _read_filter()
    if errors:
        return _refused(errors, f)
    may_export = can(current_user, "outreach.export") and not f.deleted
    return render_template(
        TEMPLATE,
        page=outreach_page(f),
        errors=[],
        filter=f,
        names=_named(f),
        # One url_for for the page instead of one per row, and the viewer's zone looked up
        # once instead of once per row (the localtime filter asks the session each time).
        record_url=_record_url(),
        zone=viewer_timezone(),
        may_export=may_export,
        **_choices(),
    ), 200


def _record_url() -> str:
    """The address of a record's page without its id (built once per page, not per row)."""
    return url_for("outreach.show", outreach_id=0)[:-1]


@bp.get("/export.<any(csv, xlsx):fmt>")
@requires("outreach.export")
def export(fmt: str) -> Response | tuple[str, int]:
    f, errors = _read_filter()  # the list's own filter: an export holds what the list shows
    if errors:
        return _refused(errors, f)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="outreach-{stamp}.{fmt}"'}
    query = outreach_query(f)
    if fmt == "csv":
        chunks = exports.outreach_csv(query)
        return Response(stream_with_context(chunks), mimetype="text/csv", headers=headers)
    return Response(exports.outreach_xlsx(query), mimetype=XLSX, headers=headers)


def code_options(codes: tuple[tuple[str, str], ...], selected: str, blank: str) -> Markup:
    """The <option>s of the sub-item and commitment selects."""
    return option_tags(codes, selected, blank)
