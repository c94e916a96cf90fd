"""Reading the commitment framework: the tree with live outreach and event counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    CommitmentItem,
    Event,
    Framework,
    Outreach,
    event_subitems,
    outreach_subitems,
)


@dataclass
class TreeNode:
    id: int
    code: str
    text: str
    outreach_count: int = 0
    event_count: int = 0
    children: list[TreeNode] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children


def _closure(framework_id: int) -> sa.CTE:
    """(item, member) rows: every item of the framework paired with itself and each of its
    descendants, built by a recursive query so frameworks of any depth and size work."""
    items = CommitmentItem.__table__
    closure = (
        sa.select(items.c.id.label("item_id"), items.c.id.label("member_id"))
        .where(items.c.framework_id == framework_id)
        .cte("closure", recursive=True)
    )
    child = items.alias("child")
    return closure.union_all(
        sa.select(closure.c.item_id, child.c.id).where(child.c.parent_id == closure.c.member_id)
    )


def _distinct_counts(
    link: sa.Table,
    link_fk: sa.Column[int],
    record_id: sa.Column[int],
    live: sa.ColumnElement[bool],
    closure: sa.CTE,
) -> dict[int, int]:
    """Count distinct records per item, each parent counting a record once however many of its
    sub-items it serves."""
    query = (
        sa.select(closure.c.item_id, sa.func.count(sa.distinct(link_fk)))
        .select_from(closure)
        .join(link, link.c.commitment_item_id == closure.c.member_id)
        .join(record_id.table, record_id == link_fk)
        .where(live)
        .group_by(closure.c.item_id)
    )
    return {item_id: count for item_id, count in db.session.execute(query)}


def framework_tree(framework_key: str | None = None) -> tuple[Framework | None, list[TreeNode]]:
    """The framework as a tree of nodes with live counts of outreach and events."""
    query = sa.select(Framework).order_by(Framework.id)
    if framework_key:
        query = query.where(Framework.key == framework_key)
    framework = db.session.scalars(query.limit(1)).first()
    if framework is None:
        return None, []
    items = list(
        db.session.scalars(
            sa.select(CommitmentItem)
            .where(CommitmentItem.framework_id == framework.id)
            .order_by(CommitmentItem.sort_order)
        )
    )
    closure = _closure(framework.id)
    outreach = _distinct_counts(
        outreach_subitems,
        outreach_subitems.c.outreach_id,
        Outreach.__table__.c.id,
        Outreach.deleted_at.is_(None),
        closure,
    )
    events = _distinct_counts(
        event_subitems,
        event_subitems.c.event_id,
        Event.__table__.c.id,
        Event.deleted_at.is_(None),
        closure,
    )
    nodes = {
        item.id: TreeNode(
            item.id, item.code, item.text, outreach.get(item.id, 0), events.get(item.id, 0)
        )
        for item in items
    }
    roots = []
    for item in items:
        if item.parent_id is None:
            roots.append(nodes[item.id])
        else:
            nodes[item.parent_id].children.append(nodes[item.id])
    return framework, roots
