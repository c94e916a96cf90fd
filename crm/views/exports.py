"""Exports of the register's lists: the current filter of a list as CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, stream_with_context

from crm.models import utcnow
from crm.security import requires
from crm.services import exports
from crm.services.errors import ValidationError
from crm.services.search import (
    ORGANISATION_SORTS,
    PEOPLE_SORTS,
    organisations_query,
    people_query,
)
from crm.views.lists import list_filter, refused_filter

bp = Blueprint("exports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(kind: str, fmt: str) -> Response | tuple[str, int]:
    sorts = PEOPLE_SORTS if kind == "people" else ORGANISATION_SORTS
    try:
        f = list_filter(sorts)  # the list's own filter: an export holds what the list shows
    except ValidationError:
        return refused_filter(f"{kind}/list.html", sorts)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    name = f"{kind}-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    # One branch per kind: each query goes to the export of its own entity.
    if fmt == "csv":
        if kind == "people":
            chunks = exports.people_csv(people_query(f))
        else:
            chunks = exports.organisations_csv(organisations_query(f))
        # Flask adds "; charset=utf-8" to a text mimetype itself.
        return Response(stream_with_context(chunks), mimetype="text/csv", headers=headers)
    if kind == "people":
        data = exports.people_xlsx(people_query(f))
    else:
        data = exports.organisations_xlsx(organisations_query(f))
    return Response(data, mimetype=XLSX, headers=headers)


@bp.get("/people/export.<any(csv, xlsx):fmt>")
@requires("register.export")
def export_people(fmt: str) -> Response | tuple[str, int]:
    return _export("people", fmt)


@bp.get("/organisations/export.<any(csv, xlsx):fmt>")
@requires("register.export")
def export_organisations(fmt: str) -> Response | tuple[str, int]:
    return _export("organisations", fmt)
