"""Reading the commitment framework: the tree with live outreach and event counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
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
from crm.services.checks import clean_text
from crm.services.errors import ValidationError
from crm.services.reference import ItemRow, item_rows


def at_or_below(rows: Iterable[ItemRow], code: str) -> tuple[set[int], set[int]]:
    """The items with this code and every item below them, and the leaves among them (the
    sub-items outreach and events are logged against). Both are empty for an unknown code."""
    rows = list(rows)
    children: dict[int | None, list[int]] = {}
    for item_id, parent_id, _code in rows:
        children.setdefault(parent_id, []).append(item_id)
    found: set[int] = set()
    leaves: set[int] = set()
    frontier = [item_id for item_id, _parent, item_code in rows if item_code == code]
    while frontier:
        item_id = frontier.pop()
        if item_id in found:
            continue
        found.add(item_id)
        below = children.get(item_id, [])
        frontier.extend(below)
        if not below:
            leaves.add(item_id)
    return found, leaves


def item_ids(code: str) -> list[int]:
    """The commitment items with this code (one per framework that has it)."""
    return [item_id for item_id, _parent, item_code in item_rows() if item_code == code]


def clean_sub_item(value: object, field: str) -> str:
    """A leaf code of the framework (what outreach is logged against), case ignored: a code
    that names nothing would silently show an empty list."""
    code = (clean_text(value, field, 20) or "").lower()
    parents = {parent_id for _id, parent_id, _code in item_rows()}
    if code and not any(item_id not in parents for item_id in item_ids(code)):
        raise ValidationError(
            f"{code!r} is not a sub-item of the framework (e.g. 1.3b)", field=field
        )
    return code


def clean_item_code(value: object, field: str) -> str:
    """A code of the framework: a commitment or an item stands for its sub-items."""
    code = (clean_text(value, field, 20) or "").lower()
    if code and not item_ids(code):
        raise ValidationError(
            f"{code!r} is not a commitment or an item of the framework (e.g. 1 or 1.3)",
            field=field,
        )
    return code


# Sub-items per bit mask column; 62 keeps every mask and every sum of distinct bits in a
# signed 64-bit integer on both databases.
BITS_PER_MASK = 62


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


def _sub_item_sets(
    link: sa.Table,
    record_fk: sa.Column[int],
    record: sa.FromClause,
    live: sa.ColumnElement[bool],
    leaf_ids: list[int],
) -> Counter[tuple[int, ...]]:
    """How many live records serve each combination of sub-items.

    Each record's sub-items become one bit mask (a tuple of masks for frameworks of more than
    62 sub-items), so one pass over the link table in primary-key order replaces the join of
    every link with every ancestor that counting distinct records per parent would need.
    """
    masks = []
    for start in range(0, max(len(leaf_ids), 1), BITS_PER_MASK):
        chunk = leaf_ids[start : start + BITS_PER_MASK]
        bit = sa.case(
            {item_id: sa.literal(1 << n, sa.BigInteger) for n, item_id in enumerate(chunk)},
            value=link.c.commitment_item_id,
            else_=sa.literal(0, sa.BigInteger),
        )
        masks.append(sa.func.coalesce(sa.func.sum(bit), 0).label(f"mask_{start}"))
    per_record = (
        sa.select(*masks)
        .select_from(link.join(record, record.c.id == record_fk))
        # No filter on the sub-items: it would make SQLite read through the sub-item index
        # and sort, instead of streaming in primary-key order; other items just add 0.
        .where(live)
        .group_by(record_fk)
        .subquery()
    )
    columns = list(per_record.c)
    query = sa.select(*columns, sa.func.count()).group_by(*columns)
    return Counter({tuple(int(m) for m in row[:-1]): row[-1] for row in db.session.execute(query)})


def _counts_per_item(
    sets: Counter[tuple[int, ...]], item_masks: dict[int, tuple[int, ...]]
) -> dict[int, int]:
    """A record counts once for an item when it serves any sub-item below (or of) it."""
    return {
        item_id: sum(
            n for masks, n in sets.items() if any(a & b for a, b in zip(masks, wanted, strict=True))
        )
        for item_id, wanted in item_masks.items()
    }


def framework_tree(
    framework_key: str | None = None, *, count_outreach: bool = True
) -> tuple[Framework | None, list[TreeNode]]:
    """The framework as a tree of nodes with live counts of outreach and events
    (``count_outreach=False``: events only; the home page reads the kept figures)."""
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
    nodes = {item.id: TreeNode(item.id, item.code, item.text) for item in items}
    roots = []
    for item in items:
        if item.parent_id is None:
            roots.append(nodes[item.id])
        else:
            nodes[item.parent_id].children.append(nodes[item.id])

    leaf_ids = [item.id for item in items if nodes[item.id].is_leaf]
    bit_of = {item_id: n for n, item_id in enumerate(leaf_ids)}
    mask_count = max(1, -(-len(leaf_ids) // BITS_PER_MASK))
    parent_of = {item.id: item.parent_id for item in items}
    item_masks = {item.id: [0] * mask_count for item in items}
    for leaf_id in leaf_ids:
        n = bit_of[leaf_id]
        node: int | None = leaf_id
        while node is not None:  # the leaf and each of its ancestors
            item_masks[node][n // BITS_PER_MASK] |= 1 << (n % BITS_PER_MASK)
            node = parent_of[node]
    wanted = {item_id: tuple(masks) for item_id, masks in item_masks.items()}

    outreach = (
        _counts_per_item(
            _sub_item_sets(
                outreach_subitems,
                outreach_subitems.c.outreach_id,
                Outreach.__table__,
                Outreach.deleted_at.is_(None),
                leaf_ids,
            ),
            wanted,
        )
        if count_outreach
        else dict.fromkeys(nodes, 0)
    )
    events = _counts_per_item(
        _sub_item_sets(
            event_subitems,
            event_subitems.c.event_id,
            Event.__table__,
            Event.deleted_at.is_(None),
            leaf_ids,
        ),
        wanted,
    )
    for item_id, tree_node in nodes.items():
        tree_node.outreach_count, tree_node.event_count = outreach[item_id], events[item_id]
    return framework, roots
