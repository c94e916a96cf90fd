"""The coverage matrix, the totals per item and the monthly trend: from the kept figures
when the filter allows (a kept period, no country, no officer), else from the tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from crm.clock import local_today
from crm.extensions import db
from crm.models import Country, OrganisationKind, SizeClass, coverage_figures
from crm.services.coverage import kept, live
from crm.services.coverage.live import ALL, Key
from crm.services.coverage.model import (
    ZERO,
    Axis,
    Column,
    CoverageFilter,
    Figures,
    Matrix,
    MatrixRow,
    Period,
)
from crm.services.coverage.tree import tree

KIND_LABELS = {
    OrganisationKind.NATIONAL_ASSOCIATION: "National associations",
    OrganisationKind.AFFILIATE: "Affiliates",
    OrganisationKind.ENTERPRISE: "Enterprises",
    OrganisationKind.VALUE_CHAIN_PARTNER: "Value-chain partners",
    OrganisationKind.POLICY_BODY: "Policy bodies",
    OrganisationKind.OTHER: "Other organisations",
}
SIZE_LABELS = {
    SizeClass.MICRO: "Micro enterprises",
    SizeClass.SMALL: "Small enterprises",
    SizeClass.MEDIUM: "Medium enterprises",
    SizeClass.LARGE: "Large enterprises",
}
_f = coverage_figures.c


def _kept(
    period_keys: list[str], axes: tuple[str, ...], item_ids: list[int] | None = None
) -> dict[tuple[str, int, str, str], Figures]:
    kept.sync()  # a transaction that wrote reads its own figures
    query = sa.select(
        _f.period_key,
        _f.item_id,
        _f.axis,
        _f.value,
        _f.outreach,
        _f.orgs_direct,
        _f.orgs_indirect,
        _f.people,
    ).where(_f.period_key.in_(period_keys), _f.axis.in_(axes))
    if item_ids is not None:
        query = query.where(_f.item_id.in_(item_ids))
    return {
        (row[0], row[1], row[2], row[3]): Figures(*row[4:]) for row in db.session.execute(query)
    }


def _figures(
    f: CoverageFilter, axes: tuple[Axis, ...], item_ids: list[int] | None = None
) -> tuple[dict[Key, Figures], str]:
    if f.is_kept:
        found = _kept([f.period.key], (ALL, *(a.value for a in axes)), item_ids)
        return {(item, axis, value): fig for (_p, item, axis, value), fig in found.items()}, "kept"
    return live.figures(f, axes, item_ids), "live"


def columns_of(f: CoverageFilter, found: dict[Key, Figures]) -> list[Column]:
    if f.axis == Axis.KIND:
        return [Column(kind.value, KIND_LABELS[kind]) for kind in OrganisationKind]
    if f.axis == Axis.SIZE:
        return [Column(size.value, SIZE_LABELS[size]) for size in SizeClass]
    codes = {value for (_item, axis, value) in found if axis == Axis.COUNTRY.value}
    if f.country:
        codes.add(f.country)
    names: dict[str, str] = {}
    if codes:
        query = sa.select(Country.code, Country.name).where(Country.code.in_(codes))
        names = {code: name for code, name in db.session.execute(query)}
    return sorted(
        (Column(code, names.get(code, code)) for code in codes), key=lambda c: (c.label, c.value)
    )


def coverage_matrix(f: CoverageFilter) -> Matrix:
    """Every item of the framework (commitments, items, sub-items, in order) against the
    columns of the filter's axis, with a total per row."""
    found, source = _figures(f, (f.axis,))
    t = tree()
    rows = []
    for item_id, depth in t.preorder():
        parent_id, code, text = t.items[item_id]
        cells = {
            value: figures
            for (item, axis, value), figures in found.items()
            if item == item_id and axis == f.axis.value
        }
        rows.append(
            MatrixRow(
                item_id=item_id,
                code=code,
                text=text,
                depth=depth,
                is_leaf=not t.children.get(item_id),
                parent_id=parent_id,
                total=found.get((item_id, ALL, ""), ZERO),
                cells=cells,
            )
        )
    return Matrix(filter=f, columns=columns_of(f, found), rows=rows, source=source)


def item_totals(period: Period) -> dict[int, Figures]:
    """The total cell of every item in a period (every item of the framework is a key)."""
    found, _source = _figures(CoverageFilter(period=period), ())
    return {item_id: found.get((item_id, ALL, ""), ZERO) for item_id in tree().items}


def column_figures(f: CoverageFilter, item_id: int) -> dict[str, Figures]:
    """One row's cells on the filter's axis (column value -> figures; zero ones left out)."""
    found, _source = _figures(f, (f.axis,), [item_id])
    return {
        value: figures
        for (item, axis, value), figures in found.items()
        if item == item_id and axis == f.axis.value
    }


def _months_back(last: date, months: int) -> list[Period]:
    year, month = last.year, last.month
    found = []
    for _ in range(months):
        found.append(Period.month(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def monthly_trend(
    f: CoverageFilter, item_id: int, months: int = 24, *, today: date | None = None
) -> list[tuple[str, Figures]]:
    """The item's total per month, for the ``months`` months up to the end of the filter's
    period (or today, whichever comes first; all time: up to today)."""
    today = today or local_today()
    last = min(f.period.ends_on, today) if f.period.ends_on else today
    periods = _months_back(last, max(1, months))
    if not f.country and f.officer_id is None:
        found = _kept([p.key for p in periods], (ALL,), [item_id])
        return [(p.key, found.get((p.key, item_id, ALL, ""), ZERO)) for p in periods]
    result = []
    for period in periods:
        scoped = CoverageFilter(
            period=period, axis=f.axis, country=f.country, officer_id=f.officer_id
        )
        figures = live.figures(scoped, (), [item_id])
        result.append((period.key, figures.get((item_id, ALL, ""), ZERO)))
    return result


def kept_figures(period: Period) -> dict[Key, Figures]:
    """Every kept figure of a period, keyed as ``recount`` keys its figures."""
    found = _kept([period.key], (ALL, *(a.value for a in Axis)))
    return {(item, axis, value): fig for (_p, item, axis, value), fig in found.items()}


def recount(period: Period) -> dict[tuple[int, str, str], Figures]:
    """Every figure of a period on every axis, from the tables without the kept figures."""
    return live.recount(period)


__all__: list[Any] = []
