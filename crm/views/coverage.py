"""The coverage pages: the matrix of the framework against stakeholder kinds, countries or
size classes (/coverage), the records behind one cell (/coverage/cell), the matrix and a
cell's records as CSV and XLSX, the monthly trends as server-drawn SVG, and a printable
report of a period.

Thin: ``crm.services.coverage`` reads the filter of the query string and counts. Every
parameter these pages do not know, and every value they cannot read, is a 400 that names
the parameter above the filter form (nothing is counted then); nothing here is ever a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from crm.clock import local_today
from crm.extensions import db
from crm.models import Country, Organisation, utcnow
from crm.security import can, requires
from crm.services import coverage, exports, reference
from crm.services.coverage import charts, gaps, targets
from crm.services.coverage.matrix import KIND_LABELS, SIZE_LABELS
from crm.services.errors import ValidationError
from crm.services.pagination import MAX_PAGE, paginate
from crm.templating import viewer_timezone
from crm.views.events_support import page_arg
from crm.views.register_support import country_options, officer_choices

bp = Blueprint("coverage", __name__, url_prefix="/coverage")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The parameters of ``CoverageFilter.from_args``, and those of the pages on top of them.
FILTER_PARAMS = ("axis", "period", "year", "quarter", "from", "to", "country", "officer")
CELL_PARAMS = ("item", "column", "page")
SHOWN = 100  # organisations and people listed on a cell's page (the exports hold them all)
TREND_MONTHS = 24
FIGURES = (
    ("outreach", "Outreach records", "outreach records"),
    ("orgs_direct", "Organisations reached directly", "organisations reached directly"),
    ("orgs_indirect", "Organisations reached indirectly", "organisations reached indirectly"),
    ("people", "People reached", "people reached"),
)
ANCHORS = {"outreach": "outreach", "orgs_direct": "direct", "orgs_indirect": "indirect"}
AXES = (("kind", "Stakeholder kind"), ("country", "Country"), ("size", "Size class"))
PERIODS = (
    ("year", "A year"),
    ("quarter", "A quarter"),
    ("all", "All time"),
    ("custom", "From … to"),
)
EXPORT_WHAT = ("outreach", "direct", "indirect", "people")


# Reading the query string --------------------------------------------------------------------


def _read(allowed: tuple[str, ...]) -> coverage.CoverageFilter:
    """The filter of the query string; ``ValidationError`` naming the parameter for a name
    the page does not know or a value it cannot read."""
    unknown = [name for name in request.args if name not in allowed]
    if unknown:
        raise ValidationError("this page has no such parameter; remove it", field=unknown[0][:40])
    for name in allowed:
        values = request.args.getlist(name)
        if len(values) > 1:
            raise ValidationError(f"given {len(values)} times; give one value", field=name)
    own = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k in FILTER_PARAMS])
    return coverage.CoverageFilter.from_args(own, today=local_today())


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    text: str
    is_leaf: bool


def _items() -> dict[str, Item]:
    rows = reference.framework_items()
    parents = {parent_id for _id, parent_id, _code, _text in rows if parent_id is not None}
    return {
        code: Item(item_id, code, text, item_id not in parents)
        for item_id, _parent, code, text in rows
    }


def _item(required: bool = True) -> Item | None:
    code = request.args.get("item", "")
    if not code:
        if required:
            raise ValidationError("give the code of a commitment, item or sub-item", field="item")
        return None
    found = _items().get(code)
    if found is None:
        raise ValidationError(f"there is no item {code[:20]!r} in the framework", field="item")
    return found


def _column_values(axis: coverage.Axis) -> dict[str, str]:
    """Every value a column of the axis may have, with the matrix's label of it."""
    if axis == coverage.Axis.KIND:
        return {kind.value: label for kind, label in KIND_LABELS.items()}
    if axis == coverage.Axis.SIZE:
        return {size.value: label for size, label in SIZE_LABELS.items()}
    return dict(reference.vocabulary(Country))


def _column(f: coverage.CoverageFilter) -> tuple[str | None, str]:
    """The cell's column (None: the row's total) and its label."""
    value = request.args.get("column", "")
    if not value:
        return None, "All"
    if f.axis == coverage.Axis.COUNTRY:
        value = value.upper()
    labels = _column_values(f.axis)
    if value not in labels:
        raise ValidationError(
            f"{value[:20]!r} is not a column of the {f.axis.value} axis", field="column"
        )
    return value, labels[value]


def _page() -> int:
    raw = page_arg(request.args)
    page = int(raw) if raw else 1
    if not 1 <= page <= MAX_PAGE:
        raise ValidationError("not a page of this list", field="page")
    return page


def _message(error: ValidationError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


# What every page shows around the figures ------------------------------------------------------


def _form_context(f: coverage.CoverageFilter | None) -> dict[str, Any]:
    """The filter form's choices and what it shows (the query string as typed when refused)."""
    args = request.args
    return {
        "args": args,
        "filter": f,
        "axes": AXES,
        "periods": PERIODS,
        "officers": [c for c in officer_choices() if c.value],
        "country_options": country_options,
        "today": local_today(),
    }


def _refused(template: str, error: ValidationError, **context: Any) -> tuple[str, int]:
    return render_template(
        template, errors=[_message(error)], **_form_context(None), **context
    ), 400


def filter_words(f: coverage.CoverageFilter) -> str:
    """The filter in words, for captions and files: "2026, Germany, logged by Ana Ruiz"."""
    parts = [f.period.label]
    if f.country:
        parts.append(dict(reference.vocabulary(Country)).get(f.country, f.country))
    if f.officer_id is not None:
        names = {int(c.value): c.label for c in officer_choices() if c.value}
        parts.append(f"logged by {names.get(f.officer_id, f'user #{f.officer_id}')}")
    return ", ".join(parts)


# The matrix ---------------------------------------------------------------------------------


def _progress(period: coverage.Period) -> tuple[dict[int, list[Any]], list[Any]]:
    """The progress of the targets of the period, per item and all of them (TARGETS'
    service: a commitment's targets count its sub-items, and show on its own row)."""
    every = targets.progress_for(period, local_today())
    found: dict[int, list[Any]] = {}
    for progress in every:
        found.setdefault(progress.item_id, []).append(progress)
    return found, every


def _matrix_context(f: coverage.CoverageFilter) -> dict[str, Any]:
    matrix = coverage.coverage_matrix(f)
    per_item, every = _progress(f.period)
    return {
        "matrix": matrix,
        "figures": FIGURES,
        "anchors": ANCHORS,
        "zero": coverage.Figures(),
        "progress": per_item,
        "all_progress": every,
        "words": filter_words(f),
        "axis_label": dict(AXES)[f.axis.value],
    }


@bp.get("")
@login_required
def index() -> tuple[str, int]:
    try:
        f = _read(FILTER_PARAMS)
    except ValidationError as error:
        return _refused("coverage/index.html", error, matrix=None)
    return render_template(
        "coverage/index.html",
        errors=[],
        **_form_context(f),
        **_matrix_context(f),
        targets_url=url_for("targets.index"),
    ), 200


def _matrix_lines(matrix: coverage.Matrix) -> Iterator[list[object]]:
    zero = coverage.Figures()
    level = {0: "commitment"}
    for row in matrix.rows:
        kind = "sub-item" if row.is_leaf else level.get(row.depth, "item")
        cells = [("", "Total", row.total)] + [
            (c.value, c.label, row.cells.get(c.value, zero)) for c in matrix.columns
        ]
        for value, label, figures in cells:
            yield [
                row.code,
                row.text,
                kind,
                value,
                label,
                figures.outreach,
                figures.orgs_direct,
                figures.orgs_indirect,
                figures.people,
            ]


MATRIX_HEADER = (
    "Code",
    "Item",
    "Level",
    "Column",
    "Column label",
    "Outreach records",
    "Organisations reached directly",
    "Organisations reached indirectly",
    "People reached",
)


def _send(fmt: str, name: str, title: str, rows: Iterable[list[object]]) -> Response:
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"'}
    batches = [list(rows)]
    if fmt == "csv":
        chunks = exports.csv_chunks([title], batches)
        return Response(stream_with_context(chunks), mimetype="text/csv", headers=headers)
    return Response(exports.xlsx_bytes(name[:31], [title], batches), mimetype=XLSX, headers=headers)


@bp.get("/export.<any(csv, xlsx):fmt>")
@login_required
def export(fmt: str) -> Response | tuple[str, int]:
    """The matrix with the current filter: one line per item and column (the row's total
    first, as column "", labelled Total), the four figures in four columns."""
    try:
        f = _read(FILTER_PARAMS)
    except ValidationError as error:
        return _refused("coverage/index.html", error, matrix=None)
    matrix = coverage.coverage_matrix(f)
    lines: list[list[object]] = [
        [
            f"One line per item and column ({dict(AXES)[f.axis.value].lower()}); the Total "
            "line of an item counts each record, organisation and person once, however many "
            "columns it is in: it is not the sum of the columns."
        ],
        [],
        list(MATRIX_HEADER),
        *_matrix_lines(matrix),
    ]
    return _send(fmt, "coverage", f"Coverage of the framework: {filter_words(f)}", lines)


# A cell's records ----------------------------------------------------------------------------


def _cell_read(
    allowed: tuple[str, ...] = FILTER_PARAMS + CELL_PARAMS,
) -> tuple[coverage.CoverageFilter, Item, str | None, str]:
    f = _read(allowed)
    item = _item()
    assert item is not None
    column, label = _column(f)
    return f, item, column, label


@bp.get("/cell")
@login_required
def cell() -> tuple[str, int]:
    try:
        f, item, column, label = _cell_read()
        page_number = _page()
    except ValidationError as error:
        hidden = {k: request.args.get(k, "")[:40] for k in ("item", "column") if k in request.args}
        return _refused("coverage/cell.html", error, page=None, item=None, hidden=hidden)
    page = paginate(coverage.outreach_behind(f, item.id, column), page_number)
    direct, direct_count = _first(coverage.organisations_behind(f, item.id, column, indirect=False))
    indirect, indirect_count = _first(
        coverage.organisations_behind(f, item.id, column, indirect=True)
    )
    people, people_count = _first(coverage.people_behind(f, item.id, column))
    return render_template(
        "coverage/cell.html",
        errors=[],
        **_form_context(f),
        item=item,
        column=column,
        column_label=label,
        words=filter_words(f),
        axis_label=dict(AXES)[f.axis.value],
        page=page,
        direct=direct,
        direct_count=direct_count,
        indirect=indirect,
        indirect_count=indirect_count,
        people=people,
        people_count=people_count,
        shown=SHOWN,
        via=_names(row[1] for row in indirect),
        zone=viewer_timezone(),
        cell_args=_cell_args(f, item, column),
        hidden={"item": item.code, **({"column": column} if column else {})},
        may_export=can(current_user, "outreach.export"),
    ), 200


def _first(query: sa.Select[Any]) -> tuple[list[Any], int]:
    """The first ``SHOWN`` rows of a list behind a cell, and how many it has: a commitment's
    total may hold tens of thousands of organisations, which no page lists whole."""
    rows = list(db.session.execute(query.limit(SHOWN)))
    if len(rows) < SHOWN:
        return rows, len(rows)
    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    return rows, db.session.scalar(counted) or 0


def _cell_args(f: coverage.CoverageFilter, item: Item, column: str | None) -> dict[str, Any]:
    args = dict(f.args())
    args["item"] = item.code
    if column:
        args["column"] = column
    return args


def _names(ids: Iterable[Any]) -> dict[int, str]:
    """The names of the organisations indirect reach went through."""
    wanted = {i for i in ids if isinstance(i, int)}
    if not wanted:
        return {}
    query = sa.select(Organisation.id, Organisation.name).where(Organisation.id.in_(wanted))
    return {organisation_id: name for organisation_id, name in db.session.execute(query)}


def _exportable(person: Any) -> bool:
    return not (person.is_restricted or person.erased_at or person.deleted_at)


@bp.get("/cell/export.<any(csv, xlsx):fmt>")
@requires("outreach.export")
def cell_export(fmt: str) -> Response | tuple[str, int]:
    """One list behind a cell (``what``: outreach, direct, indirect or people), all of it."""
    try:
        what = request.args.get("what", "outreach")
        if len(request.args.getlist("what")) > 1:
            raise ValidationError("given twice; give one value", field="what")
        if what not in EXPORT_WHAT:
            raise ValidationError(
                f"{what[:20]!r} is not one of {', '.join(EXPORT_WHAT)}", field="what"
            )
        f, item, column, label = _cell_read((*FILTER_PARAMS, "item", "column", "what"))
    except ValidationError as error:
        return _refused("coverage/cell.html", error, page=None, item=None, hidden={})
    title = f"{item.code} {item.text}; {label}; {filter_words(f)}"
    name = f"coverage-{what}"
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    headers = {"Content-Disposition": f'attachment; filename="{name}-{stamp}.{fmt}"'}
    if what == "outreach":
        query = coverage.outreach_behind(f, item.id, column)
        if fmt == "csv":
            chunks = exports.outreach_csv(query)
            return Response(stream_with_context(chunks), mimetype="text/csv", headers=headers)
        return Response(exports.outreach_xlsx(query), mimetype=XLSX, headers=headers)
    lines: list[list[object]] = []
    if what in ("direct", "indirect"):
        indirect = what == "indirect"
        found = list(
            db.session.execute(coverage.organisations_behind(f, item.id, column, indirect=indirect))
        )
        via = _names(row[1] for row in found) if indirect else {}
        header: list[object] = ["ID", "Name", "Kind", "Country", "Size class"]
        header += ["Reached through (ID)", "Reached through"] if indirect else ["Records"]
        lines.append(header)
        for organisation, extra in found:
            base: list[object] = [
                organisation.id,
                organisation.name,
                organisation.kind,
                organisation.country_code,
                organisation.size_class,
            ]
            lines.append(base + ([extra, via.get(extra, "")] if indirect else [extra]))
    else:
        found = list(db.session.execute(coverage.people_behind(f, item.id, column)))
        left_out = sum(1 for person, _n in found if not _exportable(person))
        lines.append(
            [
                f"Restricted, erased and deleted people are counted but not exported: "
                f"{left_out} left out."
            ]
        )
        lines.append(["ID", "Name", "Country", "Records"])
        for person, records in found:
            if _exportable(person):
                lines.append([person.id, person.full_name, person.country_code, records])
    return _send(fmt, name, title, lines)


# Trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    item: Item
    months: list[str]
    figures: list[Any]
    chart: Any


def trend(f: coverage.CoverageFilter, item: Item) -> Trend:
    found = coverage.monthly_trend(f, item.id, TREND_MONTHS)
    months = [key for key, _figures in found]
    lines = [
        charts.Line(
            label,
            [getattr(figures, name) for _key, figures in found],
            adds_up=name == "outreach",  # distinct organisations and people do not add up
        )
        for name, label, _words in FIGURES
    ]
    chart = charts.line_chart(
        months,
        lines,
        title=f"{item.code} {item.text}: figures per month",
        chart_id=f"trend-{item.code}",
    )
    return Trend(item, months, [figures for _key, figures in found], chart)


def _commitments() -> list[Item]:
    rows = reference.framework_items()
    items = _items()
    return [items[code] for _id, parent_id, code, _text in rows if parent_id is None]


def _children(item: Item) -> list[Item]:
    items = _items()
    return [
        items[code]
        for _id, parent_id, code, _text in reference.framework_items()
        if parent_id == item.id
    ]


@bp.get("/trends")
@login_required
def trends() -> tuple[str, int]:
    try:
        f = _read((*FILTER_PARAMS, "item"))
        item = _item(required=False)
    except ValidationError as error:
        return _refused("coverage/trends.html", error, trends=None)
    shown = [item] if item is not None else _commitments()
    return render_template(
        "coverage/trends.html",
        errors=[],
        **_form_context(f),
        item=item,
        trends=[trend(f, one) for one in shown],
        children=_children(item) if item is not None else [],
        figures=FIGURES,
        words=filter_words(f),
        month_label=charts.month_label,
    ), 200


# The report ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportGaps:
    """What the report's period left open, read off its matrix and its targets."""

    silent: list[Any]  # sub-items with no outreach in the period
    behind: list[Any]  # targets behind pace or missed
    kinds_missing: list[tuple[Any, list[str]]]  # sub-items reached, and the kinds they missed


def report_gaps(matrix: coverage.Matrix, progress: list[Any]) -> ReportGaps:
    leaves = [row for row in matrix.rows if row.is_leaf]
    silent = [row for row in leaves if not row.total.outreach]
    behind = [p for p in progress if p.state.value in ("behind-pace", "missed")]
    kinds_missing: list[tuple[Any, list[str]]] = []
    if matrix.filter.axis == coverage.Axis.KIND:
        for row in leaves:
            if not row.total.outreach:
                continue
            missed = [
                c.label
                for c in matrix.columns
                if not row.cells.get(c.value, coverage.Figures()).orgs_direct
            ]
            if missed:
                kinds_missing.append((row, missed))
    return ReportGaps(silent, behind, kinds_missing)


@bp.get("/report")
@login_required
def report() -> tuple[str, int]:
    try:
        f = _read(FILTER_PARAMS)
    except ValidationError as error:
        return _refused("coverage/report.html", error, matrix=None)
    context = _matrix_context(f)
    return render_template(
        "coverage/report.html",
        errors=[],
        **_form_context(f),
        **context,
        period_gaps=report_gaps(context["matrix"], context["all_progress"]),
        gaps=gaps.home_gaps(local_today()),  # as of today: the home page's (TARGETS')
        trends=[trend(f, one) for one in _commitments()],
        month_label=charts.month_label,
        generated=utcnow(),
        zone=viewer_timezone(),
    ), 200


@bp.app_template_global("coverage_cell_url")
def cell_url(f: coverage.CoverageFilter, code: str, column: str | None, anchor: str) -> str:
    """The page of the records behind one figure of the matrix (column "": the total)."""
    args: Mapping[str, Any] = {**f.args(), "item": code, **({"column": column} if column else {})}
    return url_for("coverage.cell", **args) + f"#{anchor}"
