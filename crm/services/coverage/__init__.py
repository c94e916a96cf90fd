"""Coverage per commitment: whom the programme reached, per item, period and column.

``model`` holds the values (no database), ``live`` computes figures from the tables,
``kept`` keeps the figures of the kept periods current, ``matrix`` answers from either.
"""

from crm.services.coverage.kept import rebuild
from crm.services.coverage.live import organisations_behind, outreach_behind, people_behind
from crm.services.coverage.matrix import (
    column_figures,
    coverage_matrix,
    item_totals,
    kept_figures,
    monthly_trend,
    recount,
)
from crm.services.coverage.model import (
    Axis,
    Column,
    CoverageFilter,
    Figures,
    Matrix,
    MatrixRow,
    Period,
)

__all__ = [
    "Axis",
    "Column",
    "CoverageFilter",
    "Figures",
    "Matrix",
    "MatrixRow",
    "Period",
    "column_figures",
    "coverage_matrix",
    "item_totals",
    "kept_figures",
    "monthly_trend",
    "organisations_behind",
    "outreach_behind",
    "people_behind",
    "rebuild",
    "recount",
]
