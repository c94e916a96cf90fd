"""Follow-ups and their reminders: those the events and outreach stages ask for, the
check-ins planned ahead, and a few due in the hours after the demo runs.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from crm.demo.base import _local, _State, _weighted, _workday
from crm.models import FollowUp, Reminder
from crm.models.followups import due_fields, due_key

ZONE = ZoneInfo("Europe/Brussels")  # the zone the demo's officers work in
# Follow-ups due this long after the demo ran (the real time of the run, not its anchor
# day), for each officer and the coordinator: whoever starts `crm scheduler` beside a local
# mail catcher sees their reminders arrive within minutes, then over the afternoon.
SOON = (timedelta(minutes=10), timedelta(minutes=40), timedelta(hours=2), timedelta(hours=5))
SOON_TITLES = (
    "Call {org} back about the CSR guidelines",
    "Send {org} the training module for employees",
    "Confirm the visit to {org}",
    "Answer the help-desk question of {org}",
)
SOON_HOLDERS = ("officer1", "officer2", "officer3", "coordinator")
# The mark of those follow-ups (tests/demo/digest.py leaves their times out: they follow the
# clock, not the seed).
SOON_NOTE = (
    "Planned by crm demo to fall due soon after it ran: start crm scheduler beside a mail "
    "catcher to see its reminder arrive."
)


class _FollowUps(_State):
    def add_follow_up(
        self, rng: random.Random, *, title: str, due: datetime, created: datetime,
        assignee: int, creator: int, person_id: int | None, organisation_id: int | None,
        outreach_id: int | None, event_id: int | None,
    ) -> None:  # fmt: skip
        """A follow-up whose state fits its due date: old ones mostly done, some left overdue."""
        if due < self.anchor_at - timedelta(days=14):
            weights = (("done", 78), ("cancelled", 8), ("open", 14))
        elif due < self.anchor_at:
            weights = (("open", 55), ("done", 40), ("cancelled", 5))
        else:
            weights = (("open", 92), ("done", 6), ("cancelled", 2))
        values, cumulative = _weighted(weights)
        status = rng.choices(values, cum_weights=cumulative)[0]
        completed = None
        updated = created
        if status == "done":
            latest = min(due + timedelta(days=5), self.anchor_at)
            earliest = min(created + timedelta(hours=1), latest)
            completed = earliest + (latest - earliest) * rng.random()
            updated = completed
        follow_up_id = self.new_id(FollowUp.__table__)
        local = due.astimezone(ZONE)
        self.writer.add(
            FollowUp.__table__,
            {
                "id": follow_up_id,
                "title": title[:300],
                "notes": "",
                "due_at": due,
                "due_date": local.date(),
                "due_time": local.time().replace(tzinfo=None),
                "due_zone": ZONE.key,
                "status": status,
                "completed_at": completed,
                "cancelled_at": updated if status == "cancelled" else None,
                "resulting_outreach_id": None,
                "assignee_id": assignee,
                "created_by_id": creator,
                "person_id": person_id,
                "organisation_id": organisation_id,
                "outreach_id": outreach_id,
                "event_id": event_id,
                "created_at": created,
                "updated_at": updated,
                "version": 1,
            },
        )
        # The reminder that it fell due: sent for those past (most of them), planned for
        # the open ones ahead.
        if status == "open" and due > self.anchor_at:
            self.add_reminder(follow_up_id, assignee, due, "pending", None)
        elif due <= self.anchor_at and due > created and rng.random() < 0.7:
            self.add_reminder(follow_up_id, assignee, due, "sent", due + timedelta(seconds=40))

    def add_reminder(
        self,
        follow_up_id: int,
        recipient_id: int,
        due: datetime,
        status: str,
        sent_at: datetime | None,
        created: datetime | None = None,
    ) -> None:
        reminder_id = self.new_id(Reminder.__table__)
        self.writer.add(
            Reminder.__table__,
            {
                "id": reminder_id,
                "key": due_key(follow_up_id, recipient_id, due),
                "kind": "due",
                "follow_up_id": follow_up_id,
                "recipient_id": recipient_id,
                "digest_day": None,
                "remind_at": due,
                "status": status,
                "attempts": 1 if sent_at else 0,
                "next_attempt_at": None,
                "claimed_at": due if sent_at else None,
                "claimed_by": "demo" if sent_at else None,
                "lease_expires_at": None,
                "sent_at": sent_at,
                "message_id": f"<reminder-{reminder_id}@demo.example>" if sent_at else None,
                "last_error": None,
                "created_at": created or due - timedelta(days=1),
            },
        )

    def create_planned_follow_ups(self) -> None:
        """Follow-ups planned ahead: regular check-ins with associations and key enterprises."""
        rng = self.rng("planned-follow-ups")
        associations = self.by_kind["national-association"]
        enterprises = self.pools["enterprise"][: 15 * self.scale]
        for org in [*associations, *enterprises]:
            due_day = _workday(self.anchor + timedelta(days=rng.randint(3, 120)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            person_id = rng.choice(org.people) if org.people else None
            if org.kind == "national-association":
                title = f"Quarterly check-in with {org.short}"
            else:
                title = f"Ask {org.name} how the CSR action plan is going"
            self.add_follow_up(
                rng, title=title, due=due, created=self.days_ago(rng, 1, 60),
                assignee=org.officer, creator=org.officer, person_id=person_id,
                organisation_id=org.id, outreach_id=None, event_id=None,
            )  # fmt: skip

    def create_soon_follow_ups(self) -> None:
        """Four open follow-ups for each officer and the coordinator, due at whole minutes
        10 minutes to 5 hours after the run, in their own time zone, about organisations
        they look after (the coordinator: national associations), each with its due
        reminder planned. Which organisations and titles is the seed's choice; only the
        times follow the clock."""
        rng = self.rng("soon-follow-ups")
        zones = {user.email.split("@")[0]: user.timezone for user in self.catalogue.demo_users}
        start = self.now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        associations = self.by_kind["national-association"]
        for holder in SOON_HOLDERS:
            user_id = self.user_ids[holder]
            zone = zones.get(holder) or ZONE.key
            theirs = [org for org in self.orgs if org.officer == user_id] or associations
            for offset, title in zip(SOON, SOON_TITLES, strict=True):
                org = rng.choice(theirs)
                due = start + offset
                follow_up_id = self.new_id(FollowUp.__table__)
                self.writer.add(
                    FollowUp.__table__,
                    {
                        "id": follow_up_id,
                        "title": title.format(org=org.short)[:300],
                        "notes": SOON_NOTE,
                        **due_fields(due, zone),
                        "status": "open",
                        "completed_at": None,
                        "cancelled_at": None,
                        "resulting_outreach_id": None,
                        "assignee_id": user_id,
                        "created_by_id": user_id,
                        "person_id": rng.choice(org.people) if org.people else None,
                        "organisation_id": org.id,
                        "outreach_id": None,
                        "event_id": None,
                        "created_at": self.now,
                        "updated_at": self.now,
                        "version": 1,
                    },
                )
                self.add_reminder(follow_up_id, user_id, due, "pending", None, created=self.now)
