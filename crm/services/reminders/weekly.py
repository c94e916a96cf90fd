"""The weekly digest of coverage gaps: each active coordinator with a digest hour gets, once
per ISO week, the gaps of the programme (``crm.services.coverage.gaps``) and the targets
behind pace, with links to act on them.

Planned by the dispatch pass (``send_due``'s planning step, every minute under ``crm
scheduler``) as one outbox row per coordinator and week, keyed ``coverage:USER:YYYY-Www``,
due at their digest hour on the Monday of the week in their zone; sent through the outbox's
claim, send and mark path, so each goes exactly once however many passes or dispatchers run.
A pass later in the week still plans it (the scheduler may have been down on Monday); a week
with nothing to list is stored as cancelled, so no later pass of that week sends one late.
The digest hour "off" turns the weekly digest off too. Drafted when sent, from the gaps as
they are then.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from crm import clock
from crm.extensions import db
from crm.models import Role, User
from crm.models.followups import ReminderKind, ReminderStatus, coverage_digest_key
from crm.services.mail import Draft
from crm.services.reminders.digests import digest_moment, zone_of
from crm.services.reminders.planning import insert_ignoring_duplicates, planned_keys

if TYPE_CHECKING:
    from crm.services.coverage.gaps import Gaps
    from crm.services.reminders.compose import Outgoing

log = logging.getLogger(__name__)

RECIPIENT_ROLES = (Role.COORDINATOR,)
LISTED = 10  # items per section of the mail; the rest is counted and linked


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def day_label(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def _programme_day(now: datetime) -> date:
    """The day the gaps are read for: the programme's, at the moment of the pass."""
    return now.astimezone(clock.programme_zone()).date()


def _gaps(today: date) -> Gaps:
    from crm.services.coverage.gaps import gaps

    return gaps(today)


def plan_coverage_digests(now: datetime) -> tuple[int, int]:
    """Decide this week's digest of every coordinator whose Monday digest hour has come and
    whose week has no row yet; returns (planned, stored as cancelled: nothing to list)."""
    session = db.session()
    users = session.execute(
        sa.select(User.id, User.timezone, User.digest_hour).where(
            User.is_active.is_(True),
            User.digest_hour.is_not(None),
            User.role.in_(RECIPIENT_ROLES),
        )
    ).all()
    candidates: dict[str, dict[str, Any]] = {}
    for user_id, timezone, hour in users:
        if hour is None:
            continue
        zone = zone_of(timezone)
        monday = week_start(now.astimezone(zone).date())
        at = digest_moment(monday, hour, zone)
        if at <= now:
            candidates[coverage_digest_key(user_id, monday)] = {
                "user_id": user_id,
                "monday": monday,
                "at": at,
            }
    if not candidates:
        return 0, 0
    known = planned_keys(session, candidates)
    wanted = {key: c for key, c in candidates.items() if key not in known}
    if not wanted:
        return 0, 0
    listed = not _gaps(_programme_day(now)).is_empty
    rows = [
        {
            "key": key,
            "kind": ReminderKind.COVERAGE_DIGEST,
            "follow_up_id": None,
            "recipient_id": c["user_id"],
            "digest_day": c["monday"],
            "remind_at": c["at"],
            "status": ReminderStatus.PENDING if listed else ReminderStatus.CANCELLED,
            "created_at": now,
        }
        for key, c in wanted.items()
    ]
    inserted = insert_ignoring_duplicates(session, rows)
    return (inserted, 0) if listed else (0, inserted)


def _section(heading: str, items: list[dict[str, Any]], more_path: str) -> dict[str, Any]:
    return {
        "heading": f"{heading} ({len(items)})",
        "items": items[:LISTED],
        "more": max(0, len(items) - LISTED),
        "more_path": more_path,
    }


def digest_sections(gaps: Gaps) -> list[dict[str, Any]]:
    """The mail's sections, each a heading, its first items (title, detail, path) and how
    many more there are."""
    sections = []
    if gaps.behind:
        sections.append(
            _section(
                "Targets behind pace",
                [
                    {
                        "title": f"{p.item_code}: {p.target_value:,} {p.words}, {p.period}",
                        "detail": p.summary,
                        "path": f"/coverage/targets?year={p.period_start.year}",
                    }
                    for p in gaps.behind
                ],
                "/coverage/targets",
            )
        )
    if gaps.quiet:
        sections.append(
            _section(
                f"Sub-items with no outreach in the last {gaps.days} days",
                [
                    {
                        "title": f"{q.code} {q.text}",
                        "detail": f"last outreach on {day_label(q.last_on)}"
                        if q.last_on
                        else "no outreach yet",
                        "path": q.path,
                    }
                    for q in gaps.quiet
                ],
                "/",
            )
        )
    if gaps.countries:
        sections.append(
            _section(
                f"Countries with no national association reached in {gaps.today.year}",
                [
                    {
                        "title": c.name,
                        "detail": f"{c.associations} national "
                        f"{'association' if c.associations == 1 else 'associations'} "
                        "in the register",
                        "path": c.path,
                    }
                    for c in gaps.countries
                ],
                "/",
            )
        )
    if gaps.unreached_kinds:
        sections.append(
            _section(
                "Stakeholder kinds never reached for a sub-item",
                [
                    {
                        "title": f"{u.code} {u.text}",
                        "detail": f"never reached: {u.words}",
                        "path": u.links[0][1],
                    }
                    for u in gaps.unreached_kinds
                ],
                "/",
            )
        )
    return sections


def draft_coverage_digest(reminder: Outgoing, now: datetime) -> Draft | None:
    """The weekly digest's draft, or None when no longer wanted (the recipient is no longer
    a coordinator, turned digests off, or there is nothing left to list)."""
    recipient = reminder.recipient
    if recipient.role not in RECIPIENT_ROLES or recipient.digest_hour is None:
        return None
    if reminder.digest_day is None or reminder.message_id is None:
        return None
    gaps = _gaps(_programme_day(now))
    if gaps.is_empty:
        return None
    monday = reminder.digest_day
    counts = []
    if gaps.behind:
        counts.append(f"{len(gaps.behind)} behind pace")
    quiet = len(gaps.quiet)
    if quiet:
        counts.append(f"{quiet} quiet {'sub-item' if quiet == 1 else 'sub-items'}")
    if gaps.countries:
        counts.append(
            f"{len(gaps.countries)} {'country' if len(gaps.countries) == 1 else 'countries'} "
            "without a national association reached"
        )
    if not counts:
        counts.append("kinds of stakeholder never reached")
    subject = f"Coverage gaps, week of {day_label(monday)}: {', '.join(counts)}"
    zone = zone_of(recipient.timezone)
    context: dict[str, Any] = {
        "recipient": recipient.display_name,
        "subject": subject,
        "intro": f"Where the programme is not reaching, as of {day_label(gaps.today)}.",
        "sections": digest_sections(gaps),
        "hour_label": f"{recipient.digest_hour:02d}:00",
        "zone": zone.key,
    }
    return Draft(
        to=recipient.email,
        subject=subject,
        template="coverage_digest",
        context=context,
        message_id=reminder.message_id,
        at=now,
    )
