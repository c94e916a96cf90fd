"""Two canaries: whichever runs second fails if the first one's committed row leaked out."""

from __future__ import annotations

import sqlalchemy as sa

from crm.models import User
from tests import factories

CANARY = "canary@isolation.example"


def _canary_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(User.email == CANARY))


def test_canary_one(app, db) -> None:
    assert _canary_count(db) == 0
    factories.make_user(email=CANARY)
    db.session.commit()
    assert _canary_count(db) == 1


def test_canary_two(app, db) -> None:
    assert _canary_count(db) == 0
    factories.make_user(email=CANARY)
    db.session.commit()
    assert _canary_count(db) == 1
