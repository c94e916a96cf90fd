"""The weekly coverage digest through ``send_due`` (the dispatch job of ``crm scheduler``)
to a real SMTP server: each active coordinator with a digest hour gets it once per week, at
that hour on Monday in their zone, however often the job runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.jobs import JOBS
from crm.models import OrganisationKind, Reminder, Role, User
from crm.models.followups import ReminderKind, ReminderStatus, coverage_digest_key
from crm.services.coverage import gaps
from crm.services.reminders.dispatch import send_due
from crm.services.reminders.weekly import plan_coverage_digests
from tests import factories
from tests.smtp import SMTPServer, smtp_server

# Monday 7 December 2026, 08:00 in Berlin (CET, UTC+1).
MONDAY_EIGHT_BERLIN = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


@pytest.fixture()
def smtp() -> Iterator[SMTPServer]:
    with smtp_server() as running:
        yield running


def _user(role: Role, hour: int | None = 8, zone: str | None = "Europe/Berlin") -> User:
    user = factories.make_user(role)
    user.timezone, user.digest_hour = zone, hour
    db.session.flush()
    return user


def _weekly(smtp: SMTPServer) -> list:
    return [m for m in smtp.handler.messages() if "Coverage gaps" in str(m["Subject"])]


def _recipients(smtp: SMTPServer) -> list[str]:
    return sorted(str(m["To"]) for m in _weekly(smtp))


def _pass(smtp: SMTPServer, now: datetime) -> None:
    send_due(now, settings=smtp.settings())


def _rows(user: User) -> list[Reminder]:
    return list(
        db.session.scalars(
            sa.select(Reminder)
            .where(Reminder.recipient_id == user.id, Reminder.kind == ReminderKind.COVERAGE_DIGEST)
            .execution_options(populate_existing=True)
        )
    )


def test_each_coordinator_receives_it_once_also_when_the_job_runs_twice(app, smtp) -> None:
    berlin = _user(Role.COORDINATOR)
    brussels = _user(Role.COORDINATOR, hour=9, zone=None)  # the programme's zone: 08:00 UTC
    officer = _user(Role.OFFICER)
    admin = _user(Role.ADMIN)
    off = _user(Role.COORDINATOR, hour=None)
    gone = _user(Role.COORDINATOR)
    gone.is_active = False
    db.session.flush()

    _pass(smtp, MONDAY_EIGHT_BERLIN - timedelta(minutes=1))  # 07:59 in Berlin: not yet
    assert _recipients(smtp) == []
    job = next(job for job in JOBS if job.id == "dispatch").resolve()
    job(MONDAY_EIGHT_BERLIN, settings=smtp.settings())
    job(MONDAY_EIGHT_BERLIN, settings=smtp.settings())  # the job runs twice
    assert _recipients(smtp) == [berlin.email]
    _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(hours=1))  # 09:00 in Brussels
    _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(hours=1, minutes=1))
    assert _recipients(smtp) == sorted([berlin.email, brussels.email])
    # The rest of the week: nothing more.
    for hours in (5, 30, 75, 150):
        _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(hours=hours))
    assert _recipients(smtp) == sorted([berlin.email, brussels.email])
    for user in (officer, admin, off, gone):
        assert _rows(user) == []
    (row,) = _rows(berlin)
    assert row.status == ReminderStatus.SENT
    assert row.key == coverage_digest_key(berlin.id, MONDAY_EIGHT_BERLIN.date())
    assert row.digest_day == MONDAY_EIGHT_BERLIN.date()
    # The next Monday, the next one for each.
    _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(days=7, hours=1))
    assert _recipients(smtp) == sorted([berlin.email, brussels.email] * 2)


def test_a_week_whose_monday_passed_without_a_scheduler_still_gets_its_digest(app, smtp) -> None:
    coordinator = _user(Role.COORDINATOR)
    thursday = MONDAY_EIGHT_BERLIN + timedelta(days=3, hours=5)
    _pass(smtp, thursday)
    _pass(smtp, thursday + timedelta(minutes=5))
    assert _recipients(smtp) == [coordinator.email]
    (row,) = _rows(coordinator)
    assert row.digest_day == MONDAY_EIGHT_BERLIN.date()  # the week's Monday


def test_the_digest_lists_the_gaps_with_links(app, smtp) -> None:
    coordinator = _user(Role.COORDINATOR)
    _pass(smtp, MONDAY_EIGHT_BERLIN)
    (message,) = _weekly(smtp)
    assert "Mon 7 Dec 2026" in str(message["Subject"])
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    # Nothing was logged in this database: every sub-item is quiet, with a link to its list.
    assert "Sub-items with no outreach in the last 30 days" in text
    assert "1.3b Engage with MTS enterprises" in text
    assert "https://crm.example.org/outreach?subitem=1.3b" in text
    assert 'href="https://crm.example.org/outreach?subitem=1.3b"' in html
    assert "https://crm.example.org/coverage/targets" in text
    assert coordinator.full_name in text


def test_a_coordinator_no_longer_one_when_it_is_sent_gets_none(app, smtp) -> None:
    coordinator = _user(Role.COORDINATOR)
    assert plan_coverage_digests(MONDAY_EIGHT_BERLIN) == (1, 0)
    assert plan_coverage_digests(MONDAY_EIGHT_BERLIN) == (0, 0)  # planned once
    coordinator.role = Role.OFFICER
    db.session.flush()
    _pass(smtp, MONDAY_EIGHT_BERLIN)
    assert _recipients(smtp) == []
    (row,) = _rows(coordinator)
    assert row.status == ReminderStatus.CANCELLED


def test_a_week_with_nothing_to_list_sends_none_that_week(app, smtp) -> None:
    coordinator = _user(Role.COORDINATOR)
    # One record per sub-item this week, reaching one organisation of every kind: no gaps.
    organisations = [factories.make_organisation(kind=kind) for kind in OrganisationKind]
    for _id, code, _text in gaps._leaves():
        factories.make_outreach(
            (code,), organisations=organisations, occurred_at=MONDAY_EIGHT_BERLIN
        )
    _pass(smtp, MONDAY_EIGHT_BERLIN)
    (row,) = _rows(coordinator)
    assert row.status == ReminderStatus.CANCELLED
    # A gap later that week is in the next week's digest, not in a late one.
    factories.make_organisation(kind=OrganisationKind.NATIONAL_ASSOCIATION, country_code="AT")
    _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(days=2))
    assert _recipients(smtp) == []
    _pass(smtp, MONDAY_EIGHT_BERLIN + timedelta(days=7))
    assert _recipients(smtp) == [coordinator.email]
