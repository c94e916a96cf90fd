"""Coverage counts roll sub-items up to their parents, counting a record once per item."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from crm.models import Channel, CommitmentItem, Outreach
from crm.services.framework import framework_tree
from crm.services.seed import load_framework


def _counts(roots) -> dict[str, int]:
    found: dict[str, int] = {}
    stack = list(roots)
    while stack:
        node = stack.pop()
        found[node.code] = node.outreach_count
        stack.extend(node.children)
    return found


def test_a_large_framework_with_more_than_62_sub_items(app, db, tmp_path: Path) -> None:
    """Two bit-mask columns: sub-items on both sides of the 62-bit boundary still add up."""
    leaves = [{"code": f"A.{n}", "text": f"Sub-item {n}"} for n in range(1, 71)]
    data = {
        "key": "large",
        "name": "A large programme",
        "items": [
            {"code": "A", "text": "Commitment A", "items": leaves},
            {"code": "B", "text": "Commitment B", "items": [{"code": "B.1", "text": "Only one"}]},
        ],
    }
    path = tmp_path / "large.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    load_framework(path)
    items = {i.code: i for i in db.session.scalars(sa.select(CommitmentItem))}

    def log(*codes: str) -> None:
        db.session.add(
            Outreach(
                occurred_at=datetime.now(UTC),
                channel=Channel.EMAIL,
                subject="Sent the guidelines",
                subitems=[items[c] for c in codes],
            )
        )

    log("A.1", "A.70")  # two sub-items of A, in different mask columns: counts once for A
    log("A.63")
    log("A.70", "B.1")
    log("1.3a")  # another framework's sub-item: not counted here
    db.session.flush()

    framework, roots = framework_tree("large")
    counts = _counts(roots)
    assert framework.key == "large"
    assert counts["A"] == 3 and counts["B"] == 1
    assert (counts["A.1"], counts["A.63"], counts["A.70"], counts["B.1"]) == (1, 1, 2, 1)
    assert counts["A.2"] == 0
