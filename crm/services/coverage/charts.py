"""Monthly charts of the coverage figures, drawn as SVG on the server (no JavaScript).

Pure functions: monthly series in, the markup of one ``<svg>`` out. The chart is an image to
assistive technology (``role="img"``, named by its ``<title>`` and described by its
``<desc>``, which says the range and the highest month of each line in words); the pages put
the same figures in a table below it for anyone who prefers numbers. Lines differ by colour
and by the shape of their markers, so that they can be told apart without colour; each colour
has at least 4.5:1 contrast on white, so it serves as text colour in the legend too.

The drawing is in a view box of ``WIDTH`` x ``HEIGHT`` units, scaled to the width of its
container: the text is sized for a container between 20 and 45 rem wide (a phone at 390 px
and the report page), where a unit is 0.9 to 1.8 px.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

WIDTH = 400
HEIGHT = 250
FONT = 11  # units of the view box: 10 px at a 366 px wide container
TOP = 42  # room for the legend
BOTTOM = 48  # month labels, their years, and the axis label
RIGHT = 10
CHAR = 6.2  # the width of a digit at FONT, for the room of the value labels

# Our colours (crm's stylesheet: accent, danger, ok, and a dark amber), each >= 4.5:1 on white.
COLOURS = ("#0b5cad", "#b42318", "#166b2e", "#8a4b00")
MARKERS = ("circle", "square", "diamond", "triangle")
AXIS = "#5b6675"  # --muted: 5.9:1 on white
GRID = "#d9dee5"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Line:
    """One line of a chart: its name in the legend and a value per month."""

    name: str
    values: Sequence[int]
    # Counts of records add up over months; distinct organisations or people do not (one
    # reached in March and in May counts in both months), so their line has no total.
    adds_up: bool = True


def month_label(key: str, long: bool = False) -> str:
    """ "2026-07" -> "Jul 2026" ("July 2026" when ``long``); anything else as given."""
    try:
        year, month = (int(part) for part in key.split("-"))
        day = date(year, month, 1)
    except ValueError:
        return key
    return f"{day:%B %Y}" if long else f"{MONTHS[day.month - 1]} {day.year}"


def nice_ceiling(value: int) -> tuple[int, int]:
    """The top of the value axis and its step: the smallest 1, 2, 2.5 or 5 x 10^n step with which
    four steps reach ``value`` (at least 1: an axis of zeros still reads 0 to 4)."""
    if value <= 0:
        return 4, 1
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 2.5, 5, 10):
        step = max(1, int(factor * power))
        if step * 4 >= value and step == factor * power:
            return step * 4, step
    return value, max(1, value // 4)  # not reached: factor 10 always suffices


def short_number(value: int) -> str:
    """An axis label: 950, 12,000, 1.2M (the table below holds the exact figures)."""
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:,.1f}".removesuffix(".0")
        return f"{text}M"
    return f"{value:,}"


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{colour}"/>'
    if shape == "diamond":
        points = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} {x - 4:.1f},{y:.1f}"
    else:
        points = f"{x:.1f},{y - 4:.1f} {x + 4:.1f},{y + 3:.1f} {x - 4:.1f},{y + 3:.1f}"
    return f'<polygon points="{points}" fill="{colour}"/>'


def _label_every(count: int) -> int:
    """Every how many months a month is labelled, so that labels never overlap."""
    if count <= 6:
        return 1
    if count <= 12:
        return 2
    if count <= 24:
        return 3
    return max(1, math.ceil(count / 8))


def describe(months: Sequence[str], lines: Sequence[Line]) -> str:
    """The chart in words, for its ``<desc>``: the range, then each line's total and its
    highest month."""
    if not months:
        return "No months to show."
    first, last = month_label(months[0], long=True), month_label(months[-1], long=True)
    span = first if len(months) == 1 else f"{first} to {last}"
    parts = [f"{len(months)} month{'s' if len(months) != 1 else ''}, {span}."]
    for line in lines:
        values = list(line.values)
        total = sum(values)
        if total == 0:
            parts.append(f"{line.name}: none.")
            continue
        peak = max(range(len(values)), key=lambda i: values[i])
        most = f"most in {month_label(months[peak], long=True)} ({values[peak]:,})"
        if line.adds_up:
            parts.append(f"{line.name}: {total:,} in all, {most}.")
        else:
            parts.append(f"{line.name}: {most}.")
    return " ".join(parts)


def line_chart(
    months: Sequence[str],
    lines: Sequence[Line],
    *,
    title: str,
    chart_id: str,
    value_label: str = "Count",
) -> Markup:
    """An accessible SVG line chart of monthly values: one line per ``Line``, the months
    ("2026-07") along the bottom. ``chart_id`` makes the ids of its title and description
    unique on the page (several charts on a report). Text is escaped; the markup is
    well-formed XML."""
    for line in lines:
        if len(line.values) != len(months):
            raise ValueError(
                f"{line.name!r} has {len(line.values)} values for {len(months)} months"
            )
    if len(lines) > len(COLOURS):
        raise ValueError(f"at most {len(COLOURS)} lines, got {len(lines)}")
    ident = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in chart_id)
    ident = ident or "chart"
    highest = max((v for line in lines for v in line.values), default=0)
    top, step = nice_ceiling(highest)
    ticks = [step * i for i in range(top // step + 1)]
    left = 14 + CHAR * max(len(short_number(t)) for t in ticks) + 6
    plot_w = WIDTH - left - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    bottom_y = TOP + plot_h

    def x_of(index: int) -> float:
        if len(months) <= 1:
            return left + plot_w / 2
        return left + plot_w * index / (len(months) - 1)

    def y_of(value: int) -> float:
        return bottom_y - plot_h * value / top

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" aria-labelledby="{ident}-title {ident}-desc" '
        f'font-family="system-ui, sans-serif" font-size="{FONT}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(describe(months, lines))}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    # The legend: a marker and the name of each line, in its colour, across the top.
    legend_x = 4.0
    legend_y = 14.0
    for index, line in enumerate(lines):
        colour, shape = COLOURS[index], MARKERS[index]
        width = 16 + CHAR * len(line.name) + 10
        if legend_x + width > WIDTH and legend_x > 4:
            legend_x, legend_y = 4.0, legend_y + 15
        out.append(_marker(shape, legend_x + 5, legend_y - 4, colour))
        out.append(
            f'<text x="{legend_x + 13:.1f}" y="{legend_y:.1f}" fill="{colour}">'
            f"{escape(line.name)}</text>"
        )
        legend_x += width
    # The value axis: its grid lines and labels, and what it counts.
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        out.append(
            f'<text x="{left - 4:.1f}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">'
            f"{short_number(tick)}</text>"
        )
    middle = TOP + plot_h / 2
    out.append(
        f'<text x="10" y="{middle:.1f}" text-anchor="middle" fill="{AXIS}" '
        f'transform="rotate(-90 10 {middle:.1f})">{escape(value_label)}</text>'
    )
    out.append(
        f'<line x1="{left:.1f}" y1="{bottom_y:.1f}" x2="{WIDTH - RIGHT}" y2="{bottom_y:.1f}" '
        f'stroke="{AXIS}" stroke-width="1"/>'
    )
    # The month axis: a label every few months, the year under the first label of each year.
    every = _label_every(len(months))
    last_year = ""
    for index, key in enumerate(months):
        if index % every:
            continue
        x = x_of(index)
        month, _, year = month_label(key).partition(" ")
        anchor = "start" if len(months) > 1 and index == 0 else "middle"
        out.append(
            f'<text x="{x:.1f}" y="{bottom_y + 14:.1f}" text-anchor="{anchor}" fill="{AXIS}">'
            f"{escape(month)}</text>"
        )
        if year and year != last_year:
            out.append(
                f'<text x="{x:.1f}" y="{bottom_y + 27:.1f}" text-anchor="{anchor}" '
                f'fill="{AXIS}">{escape(year)}</text>'
            )
            last_year = year
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle" '
        f'fill="{AXIS}">Month</text>'
    )
    if not months:
        out.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{middle:.1f}" text-anchor="middle" '
            f'fill="{AXIS}">No months to show</text>'
        )
    # The lines, then their markers on top.
    for index, line in enumerate(lines):
        colour, shape = COLOURS[index], MARKERS[index]
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(line.values))
        if len(line.values) > 1:
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>'
            )
        if len(line.values) <= 36:
            out.extend(_marker(shape, x_of(i), y_of(v), colour) for i, v in enumerate(line.values))
    out.append("</svg>")
    return Markup("\n".join(out))
