"""The register's rules: the EU SME size class by headcount."""

from __future__ import annotations

import pytest

from crm.models import SizeClass
from crm.services.errors import ValidationError
from crm.services.register import TURNOVER_CEILING, size_class_for


@pytest.mark.parametrize(
    ("headcount", "expected"),
    [
        (0, SizeClass.MICRO),
        (9, SizeClass.MICRO),
        (10, SizeClass.SMALL),
        (49, SizeClass.SMALL),
        (50, SizeClass.MEDIUM),
        (249, SizeClass.MEDIUM),
        (250, SizeClass.LARGE),
        (100_000, SizeClass.LARGE),
    ],
)
def test_size_class_follows_the_eu_headcount_thresholds(
    headcount: int, expected: SizeClass
) -> None:
    assert size_class_for(headcount) is expected


def test_a_negative_headcount_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        size_class_for(-1)
    assert caught.value.field == "headcount"


def test_turnover_ceilings_are_the_eu_sme_ceilings() -> None:
    assert TURNOVER_CEILING == {
        SizeClass.MICRO: 2_000_000,
        SizeClass.SMALL: 10_000_000,
        SizeClass.MEDIUM: 50_000_000,
    }
    assert SizeClass.LARGE not in TURNOVER_CEILING
