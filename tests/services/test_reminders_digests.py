"""The daily digest under a controlled clock, through ``send_due`` to a real SMTP smtp:
its local hour across both daylight-saving changes of 2026, a missed day, an empty day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Reminder, User
from crm.models.followups import FollowUpStatus, ReminderKind, ReminderStatus, digest_key
from crm.services.reminders.dispatch import send_due
from tests import factories
from tests.outbox import make_follow_up
from tests.smtp import SMTPServer, smtp_server

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture()
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as running:
        yield running


def _berlin_user(hour: int | None = 8, zone: str | None = "Europe/Berlin") -> User:
    user = factories.make_user(full_name="Sofia Berger")
    user.timezone, user.digest_hour = zone, hour
    db.session.flush()
    return user


def _digests(smtp: SMTPServer) -> list:
    return [m for m in smtp.handler.messages() if "Your follow-ups for" in str(m["Subject"])]


def _pass(smtp: SMTPServer, now: datetime) -> int:
    """One pass at ``now``; returns the digests it sent. (Due reminders of the follow-ups
    may go too, depending on the real date the hook plans them by: they are not counted.)"""
    before = len(_digests(smtp))
    send_due(now, settings=smtp.settings())
    return len(_digests(smtp)) - before


def _digest_rows(user: User) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.recipient_id == user.id, Reminder.kind == ReminderKind.DIGEST)
            .execution_options(populate_existing=True)
        )
    )


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        ("2026-03-28", 7),  # Saturday before the spring change: CET, UTC+1
        ("2026-03-29", 6),  # the day of the change itself: CEST from 03:00 on
        ("2026-03-30", 6),
        ("2026-10-24", 6),  # Saturday before the autumn change: CEST, UTC+2
        ("2026-10-25", 7),  # the day of the change: CET from 03:00 (second time) on
        ("2026-10-26", 7),
    ],
)
def test_the_digest_of_a_berlin_user_comes_at_eight_local_around_both_changes(
    app, smtp: SMTPServer, day: str, utc_hour: int
) -> None:
    user = _berlin_user()
    make_follow_up(user, datetime(2026, 3, 2, 9, tzinfo=UTC), title="Send VDW the slides")
    eight = datetime.fromisoformat(f"{day}T{utc_hour:02d}:00:00+00:00")
    assert eight.astimezone(BERLIN).hour == 8
    assert _pass(smtp, eight - timedelta(minutes=1)) == 0  # 07:59 there: not yet
    assert _pass(smtp, eight) == 1
    (message,) = _digests(smtp)
    assert message["To"] == user.email
    (row,) = _digest_rows(user)
    assert row.key == digest_key(user.id, eight.astimezone(BERLIN).date())
    assert row.remind_at == eight and row.status == ReminderStatus.SENT
    # A later pass that day sends no second one.
    assert _pass(smtp, eight + timedelta(hours=3)) == 0


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # 02:00 is skipped on 29 March: the first instant after the gap, 03:00 CEST.
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), None),
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, 0, tzinfo=UTC)),
        # 02:00 happens twice on 25 October: the first one, 02:00 CEST.
        (datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),
    ],
)
def test_a_digest_hour_the_clocks_skip_or_repeat(app, smtp, moment, expected) -> None:
    user = _berlin_user(hour=2)
    make_follow_up(user, datetime(2026, 3, 2, 9, tzinfo=UTC))
    sent = _pass(smtp, moment)
    rows = _digest_rows(user)
    if expected is None:
        assert sent == 0 and rows == []
    else:
        (row,) = rows
        assert row.remind_at == expected and sent == 1


def test_a_missed_day_gets_no_digest_and_today_gets_one_late(app, smtp) -> None:
    user = _berlin_user()
    make_follow_up(user, datetime(2026, 11, 20, 9, tzinfo=UTC), title="Follow up on EMO leads")
    # No pass ran on 1 December (the scheduler was down); the first one comes on the 2nd,
    # at 23:30 in Berlin.
    late = datetime(2026, 12, 2, 22, 30, tzinfo=UTC)
    assert _pass(smtp, late) == 1
    keys = [row.key for row in _digest_rows(user)]
    assert keys == [digest_key(user.id, late.astimezone(BERLIN).date())]
    (message,) = _digests(smtp)
    assert "Wed 2 Dec 2026" in message["Subject"]


def test_an_empty_digest_is_not_sent_nor_sent_later_that_day(app, smtp) -> None:
    user = _berlin_user()
    make_follow_up(user, datetime(2026, 12, 20, 9, tzinfo=UTC))  # not due yet
    eight = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    assert _pass(smtp, eight) == 0
    (row,) = _digest_rows(user)
    assert row.status == ReminderStatus.CANCELLED
    # Something falls due at noon: that day's digest was decided; the next day's has it.
    make_follow_up(user, datetime(2026, 12, 2, 11, tzinfo=UTC))
    assert _pass(smtp, datetime(2026, 12, 2, 15, tzinfo=UTC)) == 0
    assert _pass(smtp, eight + timedelta(days=1)) == 1


def test_what_a_digest_lists(app, smtp) -> None:
    user = _berlin_user()
    other = _berlin_user()
    now = datetime(2026, 12, 8, 7, 0, tzinfo=UTC)  # Tue 8 Dec, 08:00 in Berlin
    make_follow_up(user, datetime(2026, 12, 1, 9, tzinfo=UTC), title="Overdue <call> VDW")
    make_follow_up(user, datetime(2026, 12, 8, 9, tzinfo=UTC), on_the_day=True,
                   title="Due on the day")  # fmt: skip
    make_follow_up(user, datetime(2026, 12, 8, 15, tzinfo=UTC), title="Due this afternoon")
    make_follow_up(user, datetime(2026, 12, 9, 9, tzinfo=UTC), title="Due tomorrow")
    done = make_follow_up(user, datetime(2026, 12, 2, 9, tzinfo=UTC), title="Done already")
    done.status, done.completed_at = FollowUpStatus.DONE, now
    make_follow_up(other, datetime(2026, 12, 2, 9, tzinfo=UTC), title="Someone else's")
    db.session.flush()
    _pass(smtp, now)
    message = next(m for m in _digests(smtp) if m["To"] == user.email)
    assert message["Subject"] == "Your follow-ups for Tue 8 Dec 2026: 1 overdue, 2 due today"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for title in ("Overdue <call> VDW", "Due on the day", "Due this afternoon"):
        assert title in text
    for title in ("Due tomorrow", "Done already", "Someone else's"):
        assert title not in text and title not in html
    assert "Overdue &lt;call&gt; VDW" in html
    assert "Tue 8 Dec 2026, 16:00 (Europe/Berlin)" in text
    assert "https://crm.example.org/followups" in text and "https://crm.example.org/account" in text


def test_no_digest_when_it_is_off_or_the_user_is_deactivated(app, smtp) -> None:
    off = _berlin_user(hour=None)
    gone = _berlin_user()
    gone.is_active = False
    for user in (off, gone):
        make_follow_up(user, datetime(2026, 12, 1, 9, tzinfo=UTC))
    _pass(smtp, datetime(2026, 12, 8, 9, tzinfo=UTC))
    recipients = {m["To"] for m in _digests(smtp)}
    assert not recipients & {off.email, gone.email}


def test_a_user_without_a_zone_gets_it_at_eight_in_the_programmes(app, smtp) -> None:
    user = _berlin_user(zone=None)  # CRM_TIMEZONE: Europe/Brussels
    make_follow_up(user, datetime(2026, 12, 1, 9, tzinfo=UTC))
    assert _pass(smtp, datetime(2026, 12, 8, 6, 59, tzinfo=UTC)) == 0
    assert _pass(smtp, datetime(2026, 12, 8, 7, 0, tzinfo=UTC)) == 1
