"""What the outreach form offers first: the channel and sub-items the user chose last.

Read from the user's latest records each time the form is shown, never stored: a GET writes
nothing, and a record edited or deleted since changes what is offered at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Channel, Outreach, User, outreach_subitems

RECENT_RECORDS = 10  # the latest records of the user that are read
RECENT_SUBITEMS = 6


@dataclass(frozen=True)
class Recent:
    channel: Channel | None = None
    subitem_ids: list[int] = field(default_factory=list)  # most recently chosen first


def recent_choices(user: User) -> Recent:
    """The channel of the user's latest record (by when it was logged: ids grow with each
    record logged, and the index of ``logged_by_id`` keeps them in that order, so this reads
    ten index entries where ordering by ``created_at`` sorted all of an officer's records)
    and the sub-items of their latest records, newest first, without repeats."""
    latest = db.session.execute(
        sa.select(Outreach.id, Outreach.channel)
        .where(Outreach.logged_by_id == user.id, Outreach.deleted_at.is_(None))
        .order_by(Outreach.id.desc())
        .limit(RECENT_RECORDS)
    ).all()
    if not latest:
        return Recent()
    order = {record_id: n for n, (record_id, _channel) in enumerate(latest)}
    rows = db.session.execute(
        sa.select(outreach_subitems.c.outreach_id, outreach_subitems.c.commitment_item_id).where(
            outreach_subitems.c.outreach_id.in_(order)
        )
    ).all()
    links = sorted(((row[0], row[1]) for row in rows), key=lambda link: (order[link[0]], link[1]))
    subitems = list(dict.fromkeys(item_id for _record, item_id in links))[:RECENT_SUBITEMS]
    return Recent(channel=latest[0][1], subitem_ids=subitems)
