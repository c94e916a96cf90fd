"""Planning the outbox from every write of a follow-up (the session hook) and from
``plan_missing`` for follow-ups no write planned."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from crm.extensions import db
from crm.models import FollowUp, Reminder
from crm.models.base import table_of
from crm.models.followups import (
    FollowUpStatus,
    ReminderKind,
    ReminderStatus,
    assigned_key,
    due_fields,
    due_key,
)
from crm.services.reminders.planning import (
    CATCH_UP,
    HORIZON,
    due_remind_at,
    plan_missing,
    wall_clock_moment,
)
from tests import factories
from tests.outbox import make_follow_up, move_due, outbox, states

DUE, ASSIGNED = ReminderKind.DUE, ReminderKind.ASSIGNED


def _now() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def test_wall_clock_moments_across_both_changes_of_2026_in_berlin() -> None:
    berlin = "Europe/Berlin"
    assert wall_clock_moment(date(2026, 3, 28), time(8), berlin) == datetime(
        2026, 3, 28, 7, tzinfo=UTC
    )
    assert wall_clock_moment(date(2026, 3, 29), time(8), berlin) == datetime(
        2026, 3, 29, 6, tzinfo=UTC
    )
    # 02:30 on 29 March does not exist: the first instant after the gap is 03:00 CEST.
    assert wall_clock_moment(date(2026, 3, 29), time(2, 30), berlin) == datetime(
        2026, 3, 29, 1, tzinfo=UTC
    )
    # 02:30 on 25 October happens twice: the first one (CEST) is meant.
    assert wall_clock_moment(date(2026, 10, 25), time(2, 30), berlin) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert wall_clock_moment(date(2026, 10, 26), time(8), berlin) == datetime(
        2026, 10, 26, 7, tzinfo=UTC
    )
    # Samoa skipped 30 December 2011 entirely: its 08:00 is the first instant of the 31st.
    samoa = wall_clock_moment(date(2011, 12, 30), time(8), "Pacific/Apia")
    assert samoa == datetime(2011, 12, 30, 10, tzinfo=UTC)


def test_a_follow_up_due_at_a_time_gets_its_reminder_at_that_time(app) -> None:
    officer = factories.make_user()
    due = _now() + timedelta(hours=3)
    follow_up = make_follow_up(officer, due)
    (row,) = outbox(follow_up)
    assert (row.kind, row.recipient_id, row.status) == (DUE, officer.id, ReminderStatus.PENDING)
    assert row.key == due_key(follow_up.id, officer.id, due)
    assert row.remind_at == due and row.attempts == 0 and row.message_id is None


def test_a_follow_up_due_on_a_day_is_reminded_at_eight_there(app) -> None:
    officer = factories.make_user()
    day = (_now() + timedelta(days=3)).date()
    noon = datetime.combine(day, time(12), UTC)
    follow_up = make_follow_up(officer, noon, zone="America/New_York", on_the_day=True)
    (row,) = outbox(follow_up)
    eight = wall_clock_moment(follow_up.due_date, time(8), "America/New_York")
    assert row.remind_at == eight and eight.astimezone(UTC).hour in (12, 13)
    assert due_remind_at(follow_up.due_at, follow_up.due_date, None, "America/New_York") == eight


def test_someone_elses_new_follow_up_tells_them_at_once(app) -> None:
    coordinator, officer = factories.make_user("coordinator"), factories.make_user()
    before = datetime.now(UTC)
    follow_up = make_follow_up(officer, _now() + timedelta(days=2), creator=coordinator)
    assert states(outbox(follow_up)) == [
        ("due", officer.id, "pending"),
        ("assigned", officer.id, "pending"),
    ]
    (notice,) = outbox(follow_up, ASSIGNED)
    assert notice.key == assigned_key(follow_up.id, officer.id, 1)
    assert before - timedelta(seconds=1) <= notice.remind_at <= datetime.now(UTC)


def test_moving_the_due_date_moves_the_pending_reminder(app) -> None:
    officer = factories.make_user()
    follow_up = make_follow_up(officer, _now() + timedelta(hours=5))
    (before,) = outbox(follow_up)
    later = _now() + timedelta(days=4, hours=2)
    move_due(follow_up, later)
    (after,) = outbox(follow_up)
    assert after.id == before.id and after.status == ReminderStatus.PENDING
    assert after.key == due_key(follow_up.id, officer.id, later) and after.remind_at == later
    # The ORM's loaded copies are read anew: no stale key in the follow-up's collection.
    assert [r.key for r in follow_up.reminders] == [after.key]


def test_moving_it_after_the_reminder_was_sent_plans_a_new_one(app) -> None:
    officer = factories.make_user()
    follow_up = make_follow_up(officer, _now() + timedelta(hours=1))
    (sent,) = outbox(follow_up)
    sent.status, sent.sent_at = ReminderStatus.SENT, _now()
    db.session.flush()
    later = _now() + timedelta(days=7)
    move_due(follow_up, later)
    rows = outbox(follow_up)
    assert [(r.key, r.status.value) for r in rows] == [
        (sent.key, "sent"),
        (due_key(follow_up.id, officer.id, later), "pending"),
    ]
    # Moved back to the first time: its reminder was sent already, the new one is cancelled.
    move_due(follow_up, sent.remind_at)
    assert [r.status.value for r in outbox(follow_up)] == ["sent", "cancelled"]


def test_a_day_due_and_midnight_on_that_day_share_a_key_but_not_a_time(app) -> None:
    officer = factories.make_user()
    day = (_now() + timedelta(days=5)).date()
    follow_up = make_follow_up(officer, datetime.combine(day, time(12), UTC), on_the_day=True)
    (row,) = outbox(follow_up)
    follow_up.due_time = time(0)
    db.session.flush()
    (moved,) = outbox(follow_up)
    assert moved.id == row.id and moved.key == row.key and moved.remind_at == follow_up.due_at


def test_completing_or_cancelling_cancels_and_reopening_plans_again(app) -> None:
    coordinator, officer = factories.make_user("coordinator"), factories.make_user()
    follow_up = make_follow_up(officer, _now() + timedelta(days=1), creator=coordinator)
    follow_up.status, follow_up.completed_at = FollowUpStatus.DONE, _now()
    db.session.flush()
    assert [r.status.value for r in outbox(follow_up)] == ["cancelled", "cancelled"]
    follow_up.status, follow_up.completed_at = FollowUpStatus.OPEN, None
    db.session.flush()
    # The due reminder is wanted again; the notice of the assignment is not sent late.
    assert states(outbox(follow_up)) == [
        ("due", officer.id, "pending"),
        ("assigned", officer.id, "cancelled"),
    ]
    follow_up.status, follow_up.cancelled_at = FollowUpStatus.CANCELLED, _now()
    db.session.flush()
    assert {r.status for r in outbox(follow_up)} == {ReminderStatus.CANCELLED}


def test_reopening_long_after_the_due_time_plans_nothing(app) -> None:
    officer = factories.make_user()
    follow_up = make_follow_up(officer, _now() + timedelta(hours=2))
    follow_up.status, follow_up.completed_at = FollowUpStatus.DONE, _now()
    db.session.flush()
    move_due(follow_up, _now() - CATCH_UP - timedelta(days=2))  # done, and dated back
    follow_up.status, follow_up.completed_at = FollowUpStatus.OPEN, None
    db.session.flush()
    assert [r.status.value for r in outbox(follow_up)] == ["cancelled"]


def test_a_follow_up_created_overdue_is_announced_only_within_the_catch_up(app) -> None:
    officer = factories.make_user()
    recent = make_follow_up(officer, _now() - timedelta(hours=3))
    old = make_follow_up(officer, _now() - CATCH_UP - timedelta(hours=1))
    assert [r.status.value for r in outbox(recent)] == ["pending"]
    assert outbox(old) == []


def test_reassigning_cancels_the_old_assignees_and_plans_the_new_ones(app) -> None:
    first, second = factories.make_user(), factories.make_user("organiser")
    follow_up = make_follow_up(first, _now() + timedelta(days=3))
    assert follow_up.version == 1
    follow_up.assignee_id = second.id
    db.session.flush()
    assert follow_up.version == 2
    assert states(outbox(follow_up)) == [
        ("due", first.id, "cancelled"),
        ("due", second.id, "pending"),
        ("assigned", second.id, "pending"),
    ]
    assert outbox(follow_up, ASSIGNED)[0].key == assigned_key(follow_up.id, second.id, 2)
    # Back to the first: their old reminder comes back, the second's goes, a new notice.
    follow_up.assignee = first
    db.session.flush()
    assert states(outbox(follow_up)) == [
        ("due", first.id, "pending"),
        ("due", second.id, "cancelled"),
        ("assigned", second.id, "cancelled"),
        ("assigned", first.id, "pending"),
    ]


def test_an_unrelated_edit_changes_nothing(app) -> None:
    officer = factories.make_user()
    follow_up = make_follow_up(officer, _now() + timedelta(days=3))
    before = [(r.id, r.key, r.status) for r in outbox(follow_up)]
    follow_up.title, follow_up.notes = "Call VDW again", "They asked for the slides"
    db.session.flush()
    assert [(r.id, r.key, r.status) for r in outbox(follow_up)] == before


def test_many_follow_ups_in_one_flush(app) -> None:
    officer = factories.make_user()
    start = _now() + timedelta(hours=1)
    rows = [
        FollowUp(title=f"Check-in {n}", assignee_id=officer.id, created_by_id=officer.id,
                 **due_fields(start + timedelta(minutes=n), "Europe/Berlin"))
        for n in range(120)
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.flush()
    planned = outbox(kind=DUE)
    assert len([r for r in planned if r.recipient_id == officer.id]) == 120


def _bare_follow_up(assignee_id: int, due: datetime, status: str = "open") -> int:
    """A follow-up written by Core, as ``crm demo`` or a migration does: no hook runs."""
    table = table_of(FollowUp)
    now = _now()
    result = db.session.execute(
        sa.insert(table).values(
            title="Quarterly check-in with VDW", notes="", status=status,
            completed_at=now if status == "done" else None, cancelled_at=None,
            assignee_id=assignee_id, created_by_id=assignee_id, created_at=now,
            updated_at=now, version=1, **due_fields(due, "Europe/Brussels"),
        ).returning(table.c.id)
    )  # fmt: skip
    return result.scalar_one()


def test_plan_missing_plans_only_open_follow_ups_due_in_its_window(app) -> None:
    officer = factories.make_user()
    now = _now()
    soon = _bare_follow_up(officer.id, now + timedelta(hours=6))
    recent = _bare_follow_up(officer.id, now - timedelta(hours=20))
    _bare_follow_up(officer.id, now - timedelta(days=30))  # overdue for weeks: the digest
    _bare_follow_up(officer.id, now + HORIZON + timedelta(hours=2))  # a later pass plans it
    _bare_follow_up(officer.id, now + timedelta(hours=2), status="done")
    planned_already = make_follow_up(officer, now + timedelta(hours=4))
    assert plan_missing(now) == 2
    assert plan_missing(now) == 0  # the next pass finds them planned
    rows = db.session.scalars(
        sa.select(Reminder).where(Reminder.recipient_id == officer.id).order_by(Reminder.remind_at)
    ).all()
    assert [r.follow_up_id for r in rows] == [recent, planned_already.id, soon]
    assert all(r.kind == DUE and r.status == ReminderStatus.PENDING for r in rows)
