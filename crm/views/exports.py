"""Exports of the register's lists: the current filter of a list as CSV or XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, request, stream_with_context
from flask_login import current_user

from crm.models import utcnow
from crm.security import can, requires
from crm.services import exports
from crm.services.search import RegisterFilter, organisations_query, people_query

bp = Blueprint("exports", __name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(kind: str, fmt: str) -> Response:
    f = RegisterFilter.from_args(request.args)
    f.deleted = f.deleted and can(current_user, "register.restore")
    query = people_query(f) if kind == "people" else organisations_query(f)
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    name = f"{kind}-{stamp}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        chunks = exports.people_csv(query) if kind == "people" else exports.organisations_csv(query)
        return Response(
            stream_with_context(chunks), mimetype="text/csv; charset=utf-8", headers=headers
        )
    data = exports.people_xlsx(query) if kind == "people" else exports.organisations_xlsx(query)
    return Response(data, mimetype=XLSX, headers=headers)


@bp.get("/people/export.<any(csv, xlsx):fmt>")
@requires("register.export")
def export_people(fmt: str) -> Response:
    return _export("people", fmt)


@bp.get("/organisations/export.<any(csv, xlsx):fmt>")
@requires("register.export")
def export_organisations(fmt: str) -> Response:
    return _export("organisations", fmt)
