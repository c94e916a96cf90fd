"""Targets per item of the framework and period: their rules and writes, and their progress.

A coordinator sets "engage 12 national associations under 1.3a in 2027". One target per
(item, period, metric, narrowing): a second is refused with a message naming the first,
before the database's unique indexes would refuse it. Every refusal names its field.

Progress: the figure so far comes from the coverage service (the kept figures for a year,
a quarter or a month, a live aggregate for any other period; events attended are counted
here, the coverage figures do not hold events). The pace: expected so far = target x the
share of the period's days gone by (today included); on pace when the figure reaches that;
the projection to the end = figure / that share. Pure arithmetic, exact (fractions): ``pace``.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa

from crm import clock
from crm.extensions import db
from crm.models import AuditAction, CommitmentItem, OrganisationKind, SizeClass, User
from crm.models.base import StrEnum
from crm.models.targets import SMES, Target, TargetMetric, size_class_mask
from crm.permissions import can
from crm.services import audit
from crm.services.checks import (
    MAX_ID,
    clean_date,
    clean_enum,
    clean_int,
    clean_period,
    clean_text,
    plausible_day,
)
from crm.services.coverage.matrix import column_figures, item_totals
from crm.services.coverage.model import Axis, CoverageFilter, Figures, Period
from crm.services.errors import ValidationError
from crm.services.versioning import check_version

AUDIT_ENTITY = "target"
PERMISSION = "targets.manage"
# The largest target: far above any programme's reach (a million SMEs), far below what a
# column holds; a bigger number is a typing slip.
MAX_TARGET = 1_000_000
MAX_DESCRIPTION = 300
# The fields of the form and of the service's data, in the order the page shows them.
FIELDS = (
    "commitment_item_id",
    "metric",
    "organisation_kind",
    "size_classes",
    "period_start",
    "period_end",
    "target_value",
    "description",
)

METRIC_LABELS = {
    TargetMetric.ORGANISATIONS_ENGAGED: "Organisations engaged",
    TargetMetric.SMES_REACHED: "SMEs reached",
    TargetMetric.PEOPLE_REACHED: "People reached",
    TargetMetric.OUTREACH_LOGGED: "Outreach logged",
    TargetMetric.EVENTS_ATTENDED: "Events attended",
    TargetMetric.COUNTRIES_COVERED: "Countries covered",
}
# What a target counts, after its number ("12 national associations engaged").
_NOUNS = {
    TargetMetric.ORGANISATIONS_ENGAGED: "organisations engaged",
    TargetMetric.SMES_REACHED: "SMEs reached",
    TargetMetric.PEOPLE_REACHED: "people reached",
    TargetMetric.OUTREACH_LOGGED: "outreach records logged",
    TargetMetric.EVENTS_ATTENDED: "events attended",
    TargetMetric.COUNTRIES_COVERED: "countries covered",
}
KIND_PLURALS = {
    OrganisationKind.NATIONAL_ASSOCIATION: "national associations",
    OrganisationKind.AFFILIATE: "affiliates",
    OrganisationKind.ENTERPRISE: "enterprises",
    OrganisationKind.VALUE_CHAIN_PARTNER: "value-chain partners",
    OrganisationKind.POLICY_BODY: "policy bodies",
    OrganisationKind.OTHER: "other organisations",
}
# The metrics a kind of organisation may narrow (their figures exist per kind); size classes
# narrow only SMEs reached.
NARROWED_BY_KIND = frozenset(
    {
        TargetMetric.ORGANISATIONS_ENGAGED,
        TargetMetric.PEOPLE_REACHED,
        TargetMetric.OUTREACH_LOGGED,
    }
)
SIZE_ORDER = (SizeClass.MICRO, SizeClass.SMALL, SizeClass.MEDIUM, SizeClass.LARGE)


# --- Words -----------------------------------------------------------------------------------


def sizes_in_words(sizes: Iterable[SizeClass]) -> str:
    chosen = set(sizes)
    return ", ".join(size.value for size in SIZE_ORDER if size in chosen)


def period_label(starts_on: date, ends_on: date) -> str:
    """``2027``, ``Q3 2027``, ``July 2027``, or ``5 Mar 2027 to 30 Apr 2027``."""
    last = calendar.monthrange(ends_on.year, ends_on.month)[1]
    if starts_on.day == 1 and ends_on.day == last and starts_on.year == ends_on.year:
        if starts_on.month == 1 and ends_on.month == 12:
            return str(starts_on.year)
        if starts_on.month == ends_on.month:
            return f"{calendar.month_name[starts_on.month]} {starts_on.year}"
        if starts_on.month % 3 == 1 and ends_on.month == starts_on.month + 2:
            return f"Q{starts_on.month // 3 + 1} {starts_on.year}"
    return f"{starts_on.day} {starts_on:%b %Y} to {ends_on.day} {ends_on:%b %Y}"


def what_it_counts(
    metric: TargetMetric, kind: OrganisationKind | None, sizes: Iterable[SizeClass]
) -> str:
    """The target's metric and narrowing in words, after its number."""
    if metric == TargetMetric.ORGANISATIONS_ENGAGED and kind is not None:
        return f"{KIND_PLURALS[kind]} engaged"
    if metric == TargetMetric.SMES_REACHED:
        return f"SMEs reached ({sizes_in_words(sizes or SMES)})"
    noun = _NOUNS[metric]
    if kind is not None:
        return f"{noun} with {KIND_PLURALS[kind]}"
    return noun


def describe(target: Target) -> str:
    """``12 national associations engaged, 1.3a, 2027``: what names a target in messages."""
    counts = what_it_counts(target.metric, target.organisation_kind, target.size_classes)
    item = target.commitment_item
    code = item.code if item is not None else f"item #{target.commitment_item_id}"
    period = period_label(target.period_start, target.period_end)
    return f"{target.target_value:,} {counts}, {code}, {period}"


# --- Rules -----------------------------------------------------------------------------------


def clean_item(value: object, field: str = "commitment_item_id") -> CommitmentItem:
    item_id = clean_int(value, field, 1, MAX_ID)
    if item_id is None:
        raise ValidationError("choose the commitment, item or sub-item", field=field)
    item = db.session.get(CommitmentItem, item_id)
    if item is None:
        raise ValidationError(f"there is no item #{item_id} in the framework", field=field)
    return item


def clean_target_value(value: object, field: str = "target_value") -> int:
    """A whole number from 1 to ``MAX_TARGET``; zero, negative, NaN, fractions refused."""
    if isinstance(value, str) and value.strip() in ("0", "+0", "-0", "00"):
        raise ValidationError(
            "a target of zero is met before anything is done: give the number to reach "
            "(at least 1)",
            field=field,
        )
    if isinstance(value, str) and value.strip().lower() in ("nan", "+nan", "-nan", "inf", "-inf"):
        raise ValidationError(f"{value.strip()[:20]!r} is not a number", field=field)
    try:
        number = clean_int(value, field, -(10**12), 10**12)
    except ValidationError as error:
        if error.message.startswith("must be between"):  # more digits than any target has
            raise ValidationError(
                f"at most {MAX_TARGET:,}: check the number", field=field
            ) from None
        raise
    if number is None:
        raise ValidationError("give the number to reach", field=field)
    if number == 0:
        raise ValidationError(
            "a target of zero is met before anything is done: give the number to reach "
            "(at least 1)",
            field=field,
        )
    if number < 0:
        raise ValidationError("a target is a number to reach: at least 1", field=field)
    if number > MAX_TARGET:
        raise ValidationError(
            f"at most {MAX_TARGET:,}: check the number (this is {number:,})", field=field
        )
    return number


def clean_sizes(values: object, field: str = "size_classes") -> frozenset[SizeClass]:
    """Size classes ticked (a list) or typed (comma-separated); unknown ones refused."""
    if values is None or values == "":
        raw: list[object] = []
    elif isinstance(values, str):
        raw = [part for part in values.split(",") if part.strip()]
    elif isinstance(values, (list, tuple, set, frozenset)):
        raw = list(values)
    else:
        raise ValidationError("expected a list of size classes", field=field)
    if len(raw) > len(SizeClass) * 2:
        raise ValidationError("at most the four size classes", field=field)
    return frozenset(
        clean_enum(SizeClass, value, field, required=True) for value in raw if value != ""
    )


def refusals(data: Mapping[str, Any], today: date) -> list[ValidationError]:
    """Every problem of a target's fields at once, in the form's order (a form shows each
    beside its field); a check that needs two fields runs when both passed their own."""
    problems: list[ValidationError] = []
    values: dict[str, Any] = {}

    def step(name: str, check: Any) -> None:
        try:
            values[name] = check()
        except ValidationError as error:
            problems.append(error)

    step("commitment_item_id", lambda: clean_item(data.get("commitment_item_id")).id)
    step("metric", lambda: clean_enum(TargetMetric, data.get("metric"), "metric", required=True))
    step(
        "organisation_kind",
        lambda: clean_enum(OrganisationKind, data.get("organisation_kind"), "organisation_kind"),
    )
    step("size_classes", lambda: clean_sizes(data.get("size_classes")))
    for name in ("period_start", "period_end"):
        step(name, lambda name=name: plausible_day(clean_day(data.get(name), name), name, today))
    step("target_value", lambda: clean_target_value(data.get("target_value")))
    step(
        "description",
        lambda: clean_text(data.get("description"), "description", MAX_DESCRIPTION) or "",
    )
    metric = values.get("metric")
    if metric is not None:
        if values.get("organisation_kind") is not None and metric not in NARROWED_BY_KIND:
            problems.append(
                ValidationError(
                    f"{METRIC_LABELS[metric]} are not counted per kind of organisation: "
                    "leave the kind empty",
                    field="organisation_kind",
                )
            )
        if values.get("size_classes") and metric != TargetMetric.SMES_REACHED:
            problems.append(
                ValidationError(
                    "only a target of SMEs reached is narrowed by size classes: clear them",
                    field="size_classes",
                )
            )
    if "period_start" in values and "period_end" in values:
        try:
            clean_period(values["period_start"], values["period_end"], "period_end")
        except ValidationError as error:
            problems.append(error)
    order = {name: n for n, name in enumerate(FIELDS)}
    problems.sort(key=lambda e: order.get(e.field or "", len(order)))
    return problems


def clean_day(value: object, field: str) -> date:
    day = clean_date(value, field, required=True)
    assert day is not None
    return day


def clean_target(data: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Every field of a target checked; raises the first problem (``refusals``: all)."""
    problems = refusals(data, today)
    if problems:
        raise problems[0]
    metric = TargetMetric(clean_enum(TargetMetric, data.get("metric"), "metric", required=True))
    sizes = clean_sizes(data.get("size_classes"))
    if metric == TargetMetric.SMES_REACHED and not sizes:
        sizes = SMES
    return {
        "commitment_item_id": clean_item(data.get("commitment_item_id")).id,
        "metric": metric,
        "organisation_kind": clean_enum(
            OrganisationKind, data.get("organisation_kind"), "organisation_kind"
        ),
        "size_classes": sizes,
        "period_start": clean_day(data.get("period_start"), "period_start"),
        "period_end": clean_day(data.get("period_end"), "period_end"),
        "target_value": clean_target_value(data.get("target_value")),
        "description": clean_text(data.get("description"), "description", MAX_DESCRIPTION) or "",
    }


def same_target(values: Mapping[str, Any], other_than: int | None = None) -> Target | None:
    """The stored target with the same item, period, metric and narrowing, if any."""
    kind = values["organisation_kind"]
    query = sa.select(Target).where(
        Target.commitment_item_id == values["commitment_item_id"],
        Target.period_start == values["period_start"],
        Target.period_end == values["period_end"],
        Target.metric == values["metric"],
        Target.organisation_kind.is_(None) if kind is None else Target.organisation_kind == kind,
        # The bit set compared as stored (a plain integer column).
        sa.literal_column("targets.size_classes") == size_class_mask(values["size_classes"]),
    )
    if other_than is not None:
        query = query.where(Target.id != other_than)
    return db.session.scalars(query.limit(1)).first()


def _refuse_duplicate(values: Mapping[str, Any], other_than: int | None = None) -> None:
    existing = same_target(values, other_than)
    if existing is not None:
        raise ValidationError(
            f"there is a target for this already: {describe(existing)} (target "
            f"#{existing.id}); change that one instead",
            field="metric",
        )


def _require(actor: User | None) -> None:
    if not can(actor, PERMISSION):
        raise PermissionError("only coordinators and admins set targets")


def _audited(values: Mapping[str, Any]) -> dict[str, Any]:
    plain = dict(values)
    plain["size_classes"] = sorted(size.value for size in values["size_classes"])
    return plain


def create_target(actor: User, data: Mapping[str, Any], today: date | None = None) -> Target:
    """A new target, audited; flushes, the caller commits."""
    _require(actor)
    values = clean_target(data, today or clock.local_today())
    _refuse_duplicate(values)
    target = Target(**values)
    db.session.add(target)
    db.session.flush()
    audit.record(
        AuditAction.CREATE,
        AUDIT_ENTITY,
        target.id,
        actor,
        {k: [None, audit.plain_value(v)] for k, v in _audited(values).items() if v not in ("", [])},
        summary=f"set target {describe(target)}",
    )
    return target


def stored_values(target: Target) -> dict[str, Any]:
    return {name: getattr(target, name) for name in FIELDS}


def update_target(
    actor: User,
    target: Target,
    data: Mapping[str, Any],
    expected_version: object,
    today: date | None = None,
) -> dict[str, Any]:
    """Save an edit made on ``expected_version`` (a stale one raises ``ConflictError``);
    returns the changes as the audit log keeps them."""
    _require(actor)
    values = clean_target(data, today or clock.local_today())
    check_version(target, expected_version, values, f"The target {describe(target)}")
    _refuse_duplicate(values, other_than=target.id)
    changes = audit.changes(_audited(stored_values(target)), _audited(values))
    if not changes:
        return {}
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
    db.session.flush()
    audit.record(
        AuditAction.UPDATE,
        AUDIT_ENTITY,
        target.id,
        actor,
        changes,
        summary=f"changed target {describe(target)}",
    )
    return changes


def delete_target(actor: User, target: Target, expected_version: object) -> None:
    """Remove a target (its history stays in the audit log)."""
    _require(actor)
    check_version(target, expected_version, {}, f"The target {describe(target)}")
    words = describe(target)
    audit.record(
        AuditAction.DELETE,
        AUDIT_ENTITY,
        target.id,
        actor,
        {k: [audit.plain_value(v), None] for k, v in _audited(stored_values(target)).items()},
        summary=f"deleted target {words}",
    )
    db.session.delete(target)
    db.session.flush()


# --- Pace --------------------------------------------------------------------------------------
class PaceState(StrEnum):
    NOT_STARTED = "not-started"
    ON_PACE = "on-pace"
    BEHIND = "behind-pace"
    MET = "met"
    MISSED = "missed"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    PaceState.NOT_STARTED: "not started yet",
    PaceState.ON_PACE: "on pace",
    PaceState.BEHIND: "behind pace",
    PaceState.MET: "met",
    PaceState.MISSED: "missed",
}


@dataclass(frozen=True)
class Pace:
    """Where a target stands on a day.

    ``elapsed`` and ``total`` are days of the period; ``expected`` is the figure the target
    asks for by today (target x elapsed share); ``projection`` the figure at the period's end
    if it goes on as so far (None before the start: nothing to project from)."""

    state: PaceState
    figure: int
    target: int
    elapsed: int
    total: int
    expected: Fraction
    projection: Fraction | None

    @property
    def share(self) -> Fraction:
        """The figure as a share of the target (1 = met; may exceed 1)."""
        return Fraction(self.figure, self.target)

    @property
    def percent(self) -> int:
        """The share in whole percent, rounded down (99.9 % is not yet 100 %)."""
        return int(self.share * 100)

    @property
    def bar_percent(self) -> int:
        """The width of a progress bar: the share, at most 100."""
        return min(self.percent, 100)

    @property
    def expected_now(self) -> int:
        """The figure expected by today, rounded up: a whole count reaching it is on pace."""
        return -(-self.expected.numerator // self.expected.denominator)

    @property
    def projected(self) -> int | None:
        """The projection rounded down, as a whole count."""
        if self.projection is None:
            return None
        return self.projection.numerator // self.projection.denominator


def period_days(starts_on: date, ends_on: date) -> int:
    """Days of a period, both ends included."""
    return (ends_on - starts_on).days + 1


def elapsed_days(starts_on: date, ends_on: date, today: date) -> int:
    """Days of the period gone by on ``today``, today included: 0 before the first day, all
    of them from the last day on."""
    if today < starts_on:
        return 0
    return period_days(starts_on, min(today, ends_on))


def pace(figure: int, target: int, starts_on: date, ends_on: date, today: date) -> Pace:
    """The state of a target of ``target`` with ``figure`` reached so far, on ``today``."""
    if target <= 0:
        raise ValueError("a target is a positive number")
    if ends_on < starts_on:
        raise ValueError("a period ends on or after its first day")
    total = period_days(starts_on, ends_on)
    elapsed = elapsed_days(starts_on, ends_on, today)
    expected = Fraction(target * elapsed, total)
    projection = Fraction(figure * total, elapsed) if elapsed else None
    if figure >= target:
        state = PaceState.MET
    elif today > ends_on:
        state = PaceState.MISSED
    elif elapsed == 0:
        state = PaceState.NOT_STARTED
    elif figure >= expected:
        state = PaceState.ON_PACE
    else:
        state = PaceState.BEHIND
    return Pace(state, figure, target, elapsed, total, expected, projection)


# --- Progress ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetProgress:
    """A target with its figure so far and its pace on a day, as pages and the digest show
    it: ``words`` names it ("12 national associations engaged"), ``period`` its period."""

    target_id: int
    item_id: int
    item_code: str
    item_text: str
    metric: TargetMetric
    organisation_kind: OrganisationKind | None
    size_classes: frozenset[SizeClass]
    period_start: date
    period_end: date
    period: str
    target_value: int
    description: str
    words: str
    version: int
    pace: Pace

    @property
    def figure(self) -> int:
        return self.pace.figure

    @property
    def state(self) -> PaceState:
        return self.pace.state

    @property
    def summary(self) -> str:
        """``5 of 12 (41 %), behind pace: 6 expected by today``: the bar in words."""
        pace = self.pace
        text = f"{pace.figure:,} of {pace.target:,} ({pace.percent} %), {pace.state.words}"
        if pace.state in (PaceState.ON_PACE, PaceState.BEHIND):
            text += f": {pace.expected_now:,} expected by today"
            if pace.projected is not None:
                text += f", {pace.projected:,} at this pace by {self.period_end:%d %b %Y}"
        return text


def _period_of(starts_on: date, ends_on: date) -> Period:
    """The coverage service's period for a target's days: a year, a quarter or a month when
    it is one (answered from the kept figures), else a custom one (a live aggregate)."""
    last = calendar.monthrange(ends_on.year, ends_on.month)[1]
    if starts_on.day == 1 and ends_on.day == last and starts_on.year == ends_on.year:
        if starts_on.month == 1 and ends_on.month == 12:
            return Period.year(starts_on.year)
        if starts_on.month == ends_on.month:
            return Period.month(starts_on.year, starts_on.month)
        if starts_on.month % 3 == 1 and ends_on.month == starts_on.month + 2:
            return Period.quarter(starts_on.year, starts_on.month // 3 + 1)
    return Period.custom(starts_on, ends_on)


def _ids_at_or_below(item_id: int) -> set[int]:
    from crm.services.reference import item_rows

    children: dict[int | None, list[int]] = {}
    for row_id, parent_id, _code in item_rows():
        children.setdefault(parent_id, []).append(row_id)
    found: set[int] = set()
    frontier = [item_id]
    while frontier:
        current = frontier.pop()
        if current not in found:
            found.add(current)
            frontier.extend(children.get(current, []))
    return found


def events_attended(item_id: int, starts_on: date, ends_on: date) -> int:
    """Events and occurrences of a series held in the period (their first day in it, in
    the programme's zone), not deleted, not cancelled (event or occurrence), serving the item
    or one below it."""
    from datetime import datetime, time, timedelta

    from crm.models import Event, EventStatus, event_subitems
    from crm.services.events import series

    zone = clock.programme_zone()
    low = datetime.combine(starts_on, time(0), zone)
    high = datetime.combine(ends_on + timedelta(days=1), time(0), zone)
    serving = sa.select(event_subitems.c.event_id).where(
        event_subitems.c.commitment_item_id.in_(sorted(_ids_at_or_below(item_id)))
    )
    events = db.session.scalars(
        sa.select(Event).where(
            Event.id.in_(serving),
            Event.deleted_at.is_(None),
            Event.status != EventStatus.CANCELLED,
            # A day's margin on each side: an all-day event's days are its own zone's.
            Event.span_starts_at < high + timedelta(days=1),
            Event.span_ends_at > low - timedelta(days=1),
        )
    ).all()
    held = 0
    for event in events:
        for occurrence in series.all_occurrences(event):
            if occurrence.is_cancelled:
                continue
            if occurrence.start_date is not None and occurrence.starts_at is None:
                first = occurrence.start_date
            elif occurrence.starts_at is not None:
                first = occurrence.starts_at.astimezone(zone).date()
            else:
                continue
            if starts_on <= first <= ends_on:
                held += 1
    return held


class _Figures:
    """The coverage figures a batch of targets needs, each read once."""

    def __init__(self) -> None:
        self.totals: dict[str, dict[int, Figures]] = {}
        self.columns: dict[tuple[str, str, int], dict[str, Figures]] = {}

    def total(self, period: Period, item_id: int) -> Figures:
        if period.key not in self.totals:
            self.totals[period.key] = item_totals(period)
        return self.totals[period.key].get(item_id, Figures())

    def cells(self, period: Period, axis: str, item_id: int) -> dict[str, Figures]:
        key = (period.key, axis, item_id)
        if key not in self.columns:
            self.columns[key] = column_figures(
                CoverageFilter(period=period, axis=Axis(axis)), item_id
            )
        return self.columns[key]


def _figure(target: Target, figures: _Figures) -> int:
    period = _period_of(target.period_start, target.period_end)
    item_id, kind = target.commitment_item_id, target.organisation_kind
    metric = target.metric
    if metric == TargetMetric.EVENTS_ATTENDED:
        return events_attended(item_id, target.period_start, target.period_end)
    if metric == TargetMetric.SMES_REACHED:
        cells = figures.cells(period, "size", item_id)
        return sum(
            cells[size.value].orgs_direct
            for size in target.size_classes or SMES
            if size.value in cells
        )
    if metric == TargetMetric.COUNTRIES_COVERED:
        cells = figures.cells(period, "country", item_id)
        return sum(1 for figure in cells.values() if figure.orgs_direct > 0)
    if kind is not None:
        figure = figures.cells(period, "kind", item_id).get(kind.value)
        if figure is None:
            return 0
    else:
        figure = figures.total(period, item_id)
    if metric == TargetMetric.ORGANISATIONS_ENGAGED:
        return int(figure.orgs_direct)
    if metric == TargetMetric.PEOPLE_REACHED:
        return int(figure.people)
    return int(figure.outreach)


def _progress(target: Target, today: date, figures: _Figures) -> TargetProgress:
    item = target.commitment_item
    return TargetProgress(
        target_id=target.id,
        item_id=item.id,
        item_code=item.code,
        item_text=item.text,
        metric=target.metric,
        organisation_kind=target.organisation_kind,
        size_classes=target.size_classes,
        period_start=target.period_start,
        period_end=target.period_end,
        period=period_label(target.period_start, target.period_end),
        target_value=target.target_value,
        description=target.description,
        words=what_it_counts(target.metric, target.organisation_kind, target.size_classes),
        version=target.version,
        pace=pace(
            _figure(target, figures),
            target.target_value,
            target.period_start,
            target.period_end,
            today,
        ),
    )


def progress_of(targets: Iterable[Target], today: date | None = None) -> list[TargetProgress]:
    """The progress of each of ``targets`` on ``today`` (default: the programme's today)."""
    day = today or clock.local_today()
    figures = _Figures()
    return [_progress(target, day, figures) for target in targets]


def _overlapping(starts_on: date | None, ends_on: date | None) -> list[Target]:
    from sqlalchemy.orm import selectinload

    query = (
        sa.select(Target)
        .join(CommitmentItem, CommitmentItem.id == Target.commitment_item_id)
        .options(selectinload(Target.commitment_item))
        .order_by(
            CommitmentItem.framework_id,
            CommitmentItem.sort_order,
            Target.period_start,
            Target.period_end,
            Target.metric,
            Target.id,
        )
    )
    if starts_on is not None:
        query = query.where(Target.period_end >= starts_on)
    if ends_on is not None:
        query = query.where(Target.period_start <= ends_on)
    return list(db.session.scalars(query))


def progress_for(period: Period, today: date | None = None) -> list[TargetProgress]:
    """The progress of every target whose period overlaps ``period`` (all time: every
    target), in the framework's order, then by period and metric.

    The coverage matrix shows each row's with it (``item_id``: the row's item; a
    commitment's targets count its sub-items). ``today`` defaults to the programme's."""
    return progress_of(_overlapping(period.starts_on, period.ends_on), today)


def behind_pace(today: date | None = None) -> list[TargetProgress]:
    """Targets running on ``today`` whose figure is below what was expected by then."""
    day = today or clock.local_today()
    running = _overlapping(day, day)
    return [p for p in progress_of(running, day) if p.state == PaceState.BEHIND]


def all_targets(starts_on: date | None = None, ends_on: date | None = None) -> list[Target]:
    """The targets whose period overlaps ``starts_on``..``ends_on`` (None: open), in the
    framework's order, then by period and metric."""
    return _overlapping(starts_on, ends_on)
