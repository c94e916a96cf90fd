"""The stakeholder register's rules: organisations, people and their positions."""

from __future__ import annotations

from crm.models import SizeClass
from crm.services.errors import ValidationError

# Turnover ceilings of the EU SME definition; an SME above its ceiling would change class.
TURNOVER_CEILING: dict[SizeClass, int] = {
    SizeClass.MICRO: 2_000_000,
    SizeClass.SMALL: 10_000_000,
    SizeClass.MEDIUM: 50_000_000,
}


def size_class_for(headcount: int) -> SizeClass:
    """The EU size class by headcount (micro < 10, small < 50, medium < 250, else large).

    The class is stored next to the headcount so that lists can filter and index on it;
    this is the one place that derives it, so the register and the demo data always agree.
    """
    if headcount < 0:
        raise ValidationError("the headcount cannot be negative", field="headcount")
    if headcount < 10:
        return SizeClass.MICRO
    if headcount < 50:
        return SizeClass.SMALL
    if headcount < 250:
        return SizeClass.MEDIUM
    return SizeClass.LARGE
