"""The pace of a target: pure arithmetic on the days of its period, checked at its edges."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from crm.services.coverage.targets import (
    PaceState,
    elapsed_days,
    pace,
    period_days,
    period_label,
)


def test_period_days_count_both_ends_and_leap_days() -> None:
    assert period_days(date(2027, 1, 1), date(2027, 12, 31)) == 365
    assert period_days(date(2028, 1, 1), date(2028, 12, 31)) == 366
    assert period_days(date(2028, 2, 1), date(2028, 2, 29)) == 29
    assert period_days(date(2027, 3, 5), date(2027, 3, 5)) == 1


@pytest.mark.parametrize(
    ("today", "elapsed"),
    [
        (date(2026, 12, 31), 0),  # the day before it starts
        (date(2027, 1, 1), 1),  # its first day counts as gone by
        (date(2027, 7, 2), 183),
        (date(2027, 12, 31), 365),  # its last day
        (date(2028, 1, 1), 365),  # after it: all of it, no more
    ],
)
def test_elapsed_days_at_the_edges_of_a_year(today: date, elapsed: int) -> None:
    assert elapsed_days(date(2027, 1, 1), date(2027, 12, 31), today) == elapsed


def test_a_period_not_yet_started_expects_nothing_and_projects_nothing() -> None:
    result = pace(0, 12, date(2027, 1, 1), date(2027, 12, 31), date(2026, 12, 31))
    assert result.state == PaceState.NOT_STARTED
    assert result.expected == 0 and result.expected_now == 0
    assert result.projection is None and result.projected is None


def test_on_the_first_day_one_day_of_the_target_is_expected() -> None:
    result = pace(0, 365, date(2027, 1, 1), date(2027, 12, 31), date(2027, 1, 1))
    assert result.expected == 1
    assert result.state == PaceState.BEHIND
    assert pace(1, 365, date(2027, 1, 1), date(2027, 12, 31), date(2027, 1, 1)).state == (
        PaceState.ON_PACE
    )


def test_exactly_the_expected_figure_is_on_pace_one_less_is_behind() -> None:
    # Half of a leap year gone by (183 of 366 days): 6 of 12 expected.
    start, end, today = date(2028, 1, 1), date(2028, 12, 31), date(2028, 7, 1)
    on = pace(6, 12, start, end, today)
    assert on.expected == Fraction(12 * 183, 366) == 6
    assert on.state == PaceState.ON_PACE
    assert on.projection == 12
    assert pace(5, 12, start, end, today).state == PaceState.BEHIND


def test_a_fractional_expectation_rounds_up_for_whole_counts() -> None:
    # 1 of 3 days of a target of 10: 10/3 expected; 3 is behind, 4 on pace.
    start, end = date(2027, 3, 1), date(2027, 3, 3)
    behind = pace(3, 10, start, end, date(2027, 3, 1))
    assert behind.expected == Fraction(10, 3) and behind.expected_now == 4
    assert behind.state == PaceState.BEHIND
    assert pace(4, 10, start, end, date(2027, 3, 1)).state == PaceState.ON_PACE


def test_met_before_the_end_and_one_over() -> None:
    start, end = date(2027, 1, 1), date(2027, 12, 31)
    met = pace(12, 12, start, end, date(2027, 2, 1))
    assert met.state == PaceState.MET and met.percent == 100
    over = pace(13, 12, start, end, date(2027, 2, 1))
    assert over.state == PaceState.MET and over.percent == 108 and over.bar_percent == 100


def test_on_the_last_day_a_target_short_is_behind_and_the_day_after_missed() -> None:
    start, end = date(2027, 1, 1), date(2027, 12, 31)
    assert pace(11, 12, start, end, date(2027, 12, 31)).state == PaceState.BEHIND
    missed = pace(11, 12, start, end, date(2028, 1, 1))
    assert missed.state == PaceState.MISSED
    assert missed.expected == 12 and missed.projection == 11
    assert pace(12, 12, start, end, date(2028, 1, 1)).state == PaceState.MET


def test_a_percent_just_short_is_not_rounded_up_to_done() -> None:
    assert pace(999, 1000, date(2027, 1, 1), date(2027, 1, 1), date(2027, 1, 1)).percent == 99


def test_a_one_day_period_and_29_february() -> None:
    day = date(2028, 2, 29)
    result = pace(0, 1, day, day, day)
    assert result.total == 1 and result.elapsed == 1 and result.state == PaceState.BEHIND
    assert pace(0, 1, day, day, date(2028, 3, 1)).state == PaceState.MISSED


def test_nonsense_is_refused_not_computed() -> None:
    with pytest.raises(ValueError):
        pace(1, 0, date(2027, 1, 1), date(2027, 12, 31), date(2027, 6, 1))
    with pytest.raises(ValueError):
        pace(1, 5, date(2027, 12, 31), date(2027, 1, 1), date(2027, 6, 1))


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (date(2027, 1, 1), date(2027, 12, 31), "2027"),
        (date(2027, 10, 1), date(2027, 12, 31), "Q4 2027"),
        (date(2028, 2, 1), date(2028, 2, 29), "February 2028"),
        (date(2027, 2, 1), date(2027, 3, 31), "1 Feb 2027 to 31 Mar 2027"),
        (date(2027, 1, 1), date(2028, 12, 31), "1 Jan 2027 to 31 Dec 2028"),
    ],
)
def test_period_labels(start: date, end: date, label: str) -> None:
    assert period_label(start, end) == label
