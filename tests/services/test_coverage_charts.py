"""The SVG chart of the trends: well-formed, accessible, escaped, legible, for any series."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from crm.services.coverage import charts
from crm.services.coverage.charts import Line, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _months(count: int, start_year: int = 2025, start_month: int = 1) -> list[str]:
    keys = []
    n = start_year * 12 + start_month - 1
    for i in range(count):
        y, m = divmod(n + i, 12)
        keys.append(f"{y:04d}-{m + 1:02d}")
    return keys


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(str(markup))  # raises on anything that is not well-formed XML


def _texts(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG}text")]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_on_white(colour: str) -> float:
    return (1.05) / (_luminance(colour) + 0.05)


def test_a_chart_is_an_image_named_by_its_title_and_described() -> None:
    months = _months(12)
    root = _parse(
        line_chart(
            months,
            [
                Line("Outreach", list(range(12))),
                Line("People", [0] * 12, adds_up=False),
                Line("Organisations", [3, 5] + [1] * 10, adds_up=False),
            ],
            title="1.3b: outreach per month",
            chart_id="trend-1.3b",
        )
    )
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "1.3b: outreach per month"
    assert desc is not None
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert desc.text is not None
    assert "January 2025 to December 2025" in desc.text
    assert "Outreach: 66 in all, most in December 2025 (11)." in desc.text
    assert "People: none." in desc.text
    # Distinct organisations per month do not add up over the months: no total for them.
    assert "Organisations: most in February 2025 (5)." in desc.text
    assert "18 in all" not in desc.text
    shown = [t.text for t in _texts(root)]
    assert "Month" in shown and "Count" in shown  # the axes say what they hold
    assert "Jan" in shown and "2025" in shown  # the months, the year under the first


def test_text_is_escaped_and_ids_are_safe() -> None:
    markup = line_chart(
        _months(2),
        [Line('<b>"Outreach" & co</b>', [1, 2])],
        title="</title><script>alert(1)</script>",
        chart_id='x" onload="alert(1)',
    )
    assert "<script>" not in markup and "<b>" not in markup
    root = _parse(markup)
    assert root.find(f"{SVG}title").text == "</title><script>alert(1)</script>"  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Za-z0-9_-]+-title", root.find(f"{SVG}title").get("id"))  # type: ignore[arg-type, union-attr]
    assert '<b>"Outreach" & co</b>' in [t.text for t in _texts(root)]


def test_no_months_draws_an_empty_chart_that_says_so() -> None:
    markup = line_chart([], [Line("Outreach", [])], title="Nothing yet", chart_id="empty")
    root = _parse(markup)
    assert root.find(f"{SVG}desc").text == "No months to show."  # type: ignore[union-attr]
    assert "No months to show" in [t.text for t in _texts(root)]
    assert root.find(f"{SVG}polyline") is None


def test_one_month_is_a_marker_in_the_middle_without_a_line() -> None:
    root = _parse(line_chart(["2026-07"], [Line("Outreach", [5])], title="July", chart_id="one"))
    assert root.find(f"{SVG}polyline") is None
    (marker,) = [c for c in root.findall(f"{SVG}circle") if float(c.get("cy")) > charts.TOP]  # type: ignore[arg-type]
    assert float(marker.get("cx")) == pytest.approx(  # type: ignore[arg-type]
        (float(root.get("viewBox").split()[2]) + 0) / 2,
        abs=40,  # type: ignore[union-attr]
    )
    assert "1 month, July 2026." in root.find(f"{SVG}desc").text  # type: ignore[operator, union-attr]


def test_large_numbers_fit_the_value_axis() -> None:
    big = [0, 1_234_567, 987_654_321]
    root = _parse(line_chart(_months(3), [Line("Outreach", big)], title="Big", chart_id="big"))
    labels = [t for t in _texts(root) if t.get("text-anchor") == "end"]
    assert labels[-1].text == "1,000M"  # the top of the axis, above the largest value
    # Every value label ends left of the plot and starts inside the picture.
    plot_left = min(float(line.get("x1")) for line in root.iter(f"{SVG}line"))  # type: ignore[arg-type]
    for label in labels:
        right = float(label.get("x"))  # type: ignore[arg-type]
        assert right < plot_left
        assert right - charts.CHAR * len(label.text or "") > 0
    # Every point lies inside the plot.
    top, _step = charts.nice_ceiling(max(big))
    assert top >= max(big)
    for polyline in root.iter(f"{SVG}polyline"):
        for point in (polyline.get("points") or "").split():
            x, y = (float(v) for v in point.split(","))
            assert 0 <= x <= charts.WIDTH and charts.TOP <= y <= charts.HEIGHT - charts.BOTTOM
    assert "987,654,321" in root.find(f"{SVG}desc").text  # type: ignore[operator, union-attr]


@pytest.mark.parametrize("count", [1, 2, 5, 6, 7, 12, 13, 24, 25, 36, 60])
def test_month_labels_never_overlap(count: int) -> None:
    root = _parse(
        line_chart(_months(count), [Line("Outreach", [3] * count)], title="t", chart_id="m")
    )
    first_line = [
        t for t in _texts(root) if t.text in charts.MONTHS and t.get("text-anchor") != "end"
    ]
    assert first_line, "no month is labelled"
    xs = [float(t.get("x")) for t in first_line]  # type: ignore[arg-type]
    gaps = [b - a for a, b in zip(xs, xs[1:], strict=False)]
    assert all(gap > charts.CHAR * 3 + 4 for gap in gaps), gaps
    assert all(0 <= x <= charts.WIDTH for x in xs)


def test_the_values_axis_of_zeros_still_reads_upwards() -> None:
    assert charts.nice_ceiling(0) == (4, 1)
    assert charts.nice_ceiling(1) == (4, 1)
    assert charts.nice_ceiling(5) == (8, 2)
    assert charts.nice_ceiling(41) == (80, 20)
    assert charts.nice_ceiling(40) == (40, 10)
    assert charts.nice_ceiling(90) == (100, 25)
    assert charts.short_number(1_500_000) == "1.5M" and charts.short_number(12_000) == "12,000"


def test_every_colour_reads_as_text_on_white_and_lines_differ_by_shape() -> None:
    for colour in (*charts.COLOURS, charts.AXIS):
        assert _contrast_on_white(colour) >= 4.5, colour
    assert len(set(charts.MARKERS)) == len(charts.COLOURS)
    root = _parse(
        line_chart(
            _months(3),
            [Line(name, [1, 2, 3]) for name in ("A", "B", "C", "D")],
            title="four",
            chart_id="four",
        )
    )
    assert root.findall(f"{SVG}circle") and root.findall(f"{SVG}rect")
    assert len(root.findall(f"{SVG}polygon")) >= 2 * 4  # diamonds and triangles, legend too


def test_series_that_do_not_match_the_months_are_refused() -> None:
    with pytest.raises(ValueError, match="3 values for 2 months"):
        line_chart(_months(2), [Line("Outreach", [1, 2, 3])], title="t", chart_id="c")
    with pytest.raises(ValueError, match="at most 4 lines"):
        line_chart(_months(1), [Line(str(i), [1]) for i in range(5)], title="t", chart_id="c")
