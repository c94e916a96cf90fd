"""Kept coverage figures (crm.services.coverage.kept keeps them current from one session
hook) and the reference counts that let a write move them without a recount.

- ``coverage_figures``: the four figures of every cell of every kept period (``all``, a year
  ``2026``, a quarter ``2026-Q3``, a month ``2026-07``), item and column (axis ``all`` with
  value ``''`` is the row's total);
- ``coverage_records``: what each live record contributed when it was last counted (its
  month, sub-items, organisations reached directly and people with the organisation they
  counted for, with the values of those organisations then), so that a rewrite subtracts the
  old contribution and adds the new;
- ``coverage_reach``: per organisation or person reached, month, sub-item and (for people)
  the organisation counted for, how many live records reached them so: a member enters or
  leaves a cell when its rows there go from none to some or back;
- ``coverage_indirect``: the organisations reached indirectly per kept period and item, with
  the values they were counted under.
"""

from __future__ import annotations

import sqlalchemy as sa

from crm.models.base import Base

coverage_figures = sa.Table(
    "coverage_figures",
    Base.metadata,
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column(
        "item_id",
        sa.ForeignKey("commitment_items.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("axis", sa.String(10), primary_key=True),
    sa.Column("value", sa.String(40), primary_key=True),
    sa.Column("outreach", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("orgs_direct", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("orgs_indirect", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("people", sa.Integer, nullable=False, server_default=sa.text("0")),
)

# No foreign key to the records: a record removed for good must still be found here, so
# that its contribution is subtracted.
coverage_records = sa.Table(
    "coverage_records",
    Base.metadata,
    sa.Column("outreach_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("month_key", sa.String(7), nullable=False),
    sa.Column("snapshot", sa.JSON, nullable=False),
)

coverage_reach = sa.Table(
    "coverage_reach",
    Base.metadata,
    sa.Column("member_type", sa.String(1), primary_key=True),  # "o" organisation, "p" person
    sa.Column("member_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("month_key", sa.String(7), primary_key=True),
    sa.Column("leaf_id", sa.Integer, primary_key=True, autoincrement=False),
    # People: the organisation counted for (0: none); organisations: themselves.
    sa.Column("organisation_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(24), primary_key=True),
    sa.Column("country", sa.String(2), primary_key=True),
    sa.Column("size", sa.String(10), primary_key=True),
    sa.Column("records", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)

coverage_indirect = sa.Table(
    "coverage_indirect",
    Base.metadata,
    sa.Column("organisation_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("period_key", sa.String(24), primary_key=True),
    sa.Column("item_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("size", sa.String(10), nullable=False),
    sqlite_with_rowid=False,
)
