"""The events stage: trade fairs, general assemblies and the programme's own events, with
their participants.
"""

from __future__ import annotations

import hashlib
import math
import random
from datetime import date, datetime, timedelta

from crm.demo.base import (
    AHEAD_DAYS,
    WINDOW_DAYS,
    _EventPlan,
    _local,
    _Org,
    _PastEvent,
    _sample,
    _weighted,
    _workday,
)
from crm.demo.followups import _FollowUps
from crm.models import Event, EventOccurrence, EventParticipant, event_subitems
from crm.models.events import UID_DOMAIN
from crm.services.events import series

# The sub-item every event of a kind serves, and others it serves with some probability.
EVENT_CODES: dict[str, tuple[str, tuple[tuple[str, float], ...]]] = {
    "trade-fair": ("1.3c", (("1.3b", 0.7), ("2.3", 0.4))),
    "conference": ("1.3c", (("1.1", 0.5), ("2.3", 0.3))),
    "workshop": ("2.1", (("2.2", 0.6), ("1.3b", 0.4))),
    "training-course": ("1.2", (("2.2", 0.5),)),
    "webinar": ("1.1", (("2.1", 0.5), ("1.2", 0.3))),
    "policy-round-table": ("3.2", (("3.1", 0.5),)),
    "general-assembly": ("1.3a", (("3.1", 0.3),)),
}


class _Events(_FollowUps):
    def create_events(self) -> None:
        rng = self.rng("events")
        plans = self.fair_plans() + self.assembly_plans(rng) + self.generated_plans(rng)
        plans.sort(key=lambda plan: (plan.first_moment, plan.title))
        self.progress.start("events", len(plans))
        for plan in plans:
            self.add_event(rng, plan)
            self.progress.advance()
            self.writer.flush_if_full()
        # Their own generator: the events above (and all that follows from them) stay as
        # they were before the demo had series.
        self.add_series_and_cancellation(self.rng("event-series"))
        self.writer.flush()
        self.progress.finish()

    def in_window(self, day: date) -> bool:
        return self.window_start <= day <= self.anchor + timedelta(days=AHEAD_DAYS)

    def fair_plans(self) -> list[_EventPlan]:
        plans = []
        for fair in self.catalogue.trade_fairs:
            for year in range(self.window_start.year, self.anchor.year + 2):
                if not fair.held_in(year):
                    continue
                first = date(year, fair.month, fair.earliest_day)
                first += timedelta(days=(fair.weekday - first.weekday()) % 7)
                if not self.in_window(first):
                    continue
                organiser = next(
                    o for o in self.by_kind["national-association"] if o.short == fair.organiser
                )
                plans.append(
                    _EventPlan(
                        kind="trade-fair", title=f"{fair.title} {year}", day=first,
                        days=fair.days, timezone=fair.timezone, country=fair.country,
                        city=fair.city, venue=fair.venue, organiser_name=organiser.name,
                        organiser=organiser, our_role=fair.our_role,
                    )
                )  # fmt: skip
        return plans

    def assembly_plans(self, rng: random.Random) -> list[_EventPlan]:
        plans = []
        for country, association in self.associations.items():
            month = rng.choice((4, 5, 6, 10, 11))
            for year in range(self.window_start.year, self.anchor.year + 2):
                day = _workday(date(year, month, rng.randint(3, 26)))
                if not self.in_window(day) or rng.random() < 0.4:
                    continue
                city = association.city or self.countries[country].cities[0][0]
                plans.append(
                    _EventPlan(
                        kind="general-assembly",
                        title=f"{association.short} General Assembly {year}",
                        day=day, days=1, timezone=self.countries[country].timezone, country=country,
                        city=city, venue=f"{association.short} headquarters",
                        organiser_name=association.name, organiser=association,
                        our_role=rng.choice(("speaker", "speaker", "attendee")),
                        hours=(10, 15),
                    )
                )  # fmt: skip
        return plans

    def generated_plans(self, rng: random.Random) -> list[_EventPlan]:
        countries = [code for code, country in self.countries.items() if country.weight]
        weights = [self.countries[code].weight for code in countries]
        per_scale = {
            "conference": 8, "workshop": 16, "training-course": 18, "webinar": 22,
            "policy-round-table": 6,
        }  # fmt: skip
        plans = []
        span = WINDOW_DAYS + AHEAD_DAYS - 30
        consortium = "DESIGN-MTS consortium"
        for kind, count in per_scale.items():
            for n in range(1, count * self.scale + 1):
                day = _workday(self.window_start + timedelta(days=25 + rng.randrange(span)))
                code = rng.choices(countries, weights=weights)[0]
                city, language = rng.choice(self.countries[code].cities)
                tz = self.countries[code].timezone
                year = day.year
                if kind == "conference":
                    organiser = self.associations.get(code) or self.orgs[0]
                    plans.append(_EventPlan(
                        kind=kind, day=day,
                        title=f"{rng.choice(self.catalogue.conferences)} {year}, {city}",
                        days=rng.choice((1, 1, 2)), timezone=tz, country=code, city=city,
                        venue=f"Congress Centre {city}", organiser_name=organiser.name,
                        organiser=organiser,
                        our_role=rng.choices(("speaker", "attendee", "organiser"), (5, 4, 1))[0],
                        hours=(9, 17),
                    ))  # fmt: skip
                elif kind in ("workshop", "training-course"):
                    hosts = (
                        self.by_kind_country.get(("affiliate", code))
                        or self.by_kind_country[("enterprise", code)]
                    )
                    host = rng.choice(hosts)
                    if kind == "workshop":
                        topic = rng.choice(self.catalogue.workshop_topics)
                        title = f"{topic} workshop, {host.city or city}"
                        start = rng.choice((9, 13))
                        hours, days = (start, start + 4), 1
                    else:
                        labels = self.catalogue.audience_labels
                        audience = rng.choice(tuple(labels))
                        title = (
                            f"DESIGN-MTS training: CSR for {labels[audience]}, {host.city or city}"
                        )
                        hours, days = (9, 17), rng.choice((1, 2))
                    plans.append(_EventPlan(
                        kind=kind, title=title, day=day, days=days, timezone=tz, country=code,
                        city=host.city or city, venue=host.name, organiser_name=consortium,
                        organiser=None, our_role="organiser" if rng.random() < 0.85 else "speaker",
                        hours=hours,
                    ))  # fmt: skip
                elif kind == "webinar":
                    topic = rng.choice(self.catalogue.webinar_topics)
                    start = rng.choice((10, 14))
                    plans.append(_EventPlan(
                        kind=kind, title=f"Webinar: {topic}", day=day, days=1,
                        timezone="Europe/Brussels", country=None, city=None, venue=None,
                        online_url=f"https://meet.design-mts.example/webinar-{n}",
                        organiser_name=consortium, organiser=None,
                        our_role="organiser" if rng.random() < 0.85 else "speaker",
                        hours=(start, start + 1),
                    ))  # fmt: skip
                else:
                    eu = rng.random() < 0.5
                    bodies = [
                        o for o in self.by_kind["policy-body"]
                        if (o.detail == "eu") == eu and o.detail != "local"
                    ]  # fmt: skip
                    host = rng.choice(bodies)
                    topic = rng.choice(self.catalogue.round_table_topics)
                    plans.append(_EventPlan(
                        kind=kind, title=f"Policy round table: {topic}, {host.city}", day=day,
                        days=1, timezone=self.countries[host.country].timezone,
                        country=host.country,
                        city=host.city, venue=host.name, organiser_name=host.name, organiser=host,
                        our_role="organiser" if rng.random() < 0.4 else "speaker",
                        hours=(14, 17),
                    ))  # fmt: skip
        for plan in plans:
            if plan.days > 1 and plan.day.weekday() == 4:
                plan.day -= timedelta(days=1)  # two-day events run Thursday to Friday
        return plans

    def add_event(self, rng: random.Random, plan: _EventPlan) -> None:
        event_id = self.new_id(Event.__table__)
        last_day = plan.day + timedelta(days=plan.days - 1)
        all_day = plan.kind == "trade-fair"
        starts = _local(plan.day, plan.hours[0], 0, plan.timezone)
        ends = _local(last_day, plan.hours[1], 0, plan.timezone)
        if all_day:
            starts = _local(plan.day, 9, 0, plan.timezone)
            ends = _local(last_day, 18, 0, plan.timezone)
        past = ends < self.anchor_at
        status = self.event_status(rng, plan.day)
        published = rng.random() < {
            "confirmed": 0.9, "planned": 0.25, "postponed": 0.6, "cancelled": 0.4,
        }[status]  # fmt: skip
        if plan.kind == "trade-fair" and status != "cancelled":
            published = True  # the fairs' own dates are public: every agenda has them
        created = min(
            starts - timedelta(days=rng.randint(20, 150)), self.anchor_at - timedelta(hours=1)
        )
        creator = self.user_ids["organiser"] if rng.random() < 0.7 else rng.choice(self.officers)
        self.writer.add(
            Event.__table__,
            {
                "id": event_id,
                "title": plan.title,
                "kind": plan.kind,
                "is_all_day": all_day,
                "starts_at": None if all_day else starts,
                "ends_at": None if all_day else ends,
                "timezone": plan.timezone,
                "start_date": plan.day if all_day else None,
                "end_date": last_day if all_day else None,
                "venue": plan.venue,
                "city": plan.city,
                "country_code": plan.country,
                "online_url": plan.online_url,
                "organiser_name": plan.organiser_name,
                "organiser_organisation_id": plan.organiser.id if plan.organiser else None,
                "our_role": plan.our_role,
                "status": status,
                "is_published": published,
                "description": self.catalogue.event_descriptions[plan.kind],
                "description_format": "text",
                "uid": self.event_uid(event_id),
                "sequence": 1 if status in ("cancelled", "postponed") else 0,
                "cancelled_at": created if status == "cancelled" else None,
                "recurrence": None,
                "recurrence_interval": 1,
                "recurrence_until": None,
                "recurrence_count": None,
                "span_starts_at": _local(plan.day, 0, 0, plan.timezone) if all_day else starts,
                "span_ends_at": (
                    _local(last_day + timedelta(days=1), 0, 0, plan.timezone) if all_day else ends
                ),
                "created_by_id": creator,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        codes = [EVENT_CODES[plan.kind][0]] + [
            code for code, share in EVENT_CODES[plan.kind][1] if rng.random() < share
        ]
        for code in codes:
            self.writer.add(
                event_subitems, {"event_id": event_id, "commitment_item_id": self.subitems[code]}
            )
        attended = self.add_participants(rng, plan, event_id, status, past, created)
        if past and status == "confirmed" and attended:
            self.past_events.append(
                _PastEvent(
                    id=event_id, kind=plan.kind, title=plan.title, codes=codes, day=plan.day,
                    days=plan.days, timezone=plan.timezone,
                    hours=(9, 18) if all_day else plan.hours, country=plan.country,
                    attendees=attended,
                )
            )  # fmt: skip
        if status != "cancelled" and plan.our_role != "attendee" and rng.random() < 0.8:
            organiser = self.user_ids["organiser"]
            if past:
                title = (
                    f"Send the materials and a thank-you note to the participants of {plan.title}"
                )
                due_day = _workday(last_day + timedelta(days=rng.randint(3, 12)))
            else:
                title = f"Prepare {plan.title}: materials, speakers and logistics"
                due_day = _workday(plan.day - timedelta(days=rng.randint(3, 21)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            self.add_follow_up(
                rng, title=title, due=due, created=created, assignee=organiser, creator=organiser,
                person_id=None, organisation_id=None, outreach_id=None, event_id=event_id,
            )  # fmt: skip

    def add_series_and_cancellation(self, rng: random.Random) -> None:
        """What calendars must get right, once each: a fortnightly online clinic (on
        Brussels' wall clock whatever the season, one occurrence cancelled and one moved),
        a monthly call on the 30th (no February), and a published info day cancelled a few
        days ago (kept in feeds as cancelled for 30 days)."""
        consortium = "DESIGN-MTS consortium"
        organiser = self.user_ids["organiser"]
        # Tuesdays, 10 weeks back to 14 weeks ahead.
        first = self.anchor - timedelta(days=70)
        first += timedelta(days=(1 - first.weekday()) % 7)
        self.write_event(
            title="DESIGN-MTS SME clinic (online): CSR questions answered",
            kind="webinar", day=first, last_day=first, hours=((10, 0), (11, 0)),
            timezone="Europe/Brussels", country=None, city=None, venue=None,
            online_url="https://meet.design-mts.example/sme-clinic", organiser_name=consortium,
            our_role="organiser", status="confirmed", published=True, creator=organiser,
            recurrence=("weekly", 2, None, 12),
            overrides=[(7, "cancelled", None), (8, "moved", rng.choice((1, 2)))],
        )  # fmt: skip
        monthly = self.anchor.replace(day=1) - timedelta(days=60)
        self.write_event(
            title="Coordinators' monthly call on targets and coverage",
            kind="webinar", day=monthly.replace(day=30 if monthly.month != 2 else 28),
            last_day=None, hours=((15, 0), (16, 0)), timezone="Europe/Brussels", country=None,
            city=None, venue=None, online_url="https://meet.design-mts.example/coordinators",
            organiser_name=consortium, our_role="organiser", status="confirmed",
            published=False, creator=self.user_ids["coordinator"],
            recurrence=("monthly", 1, self.anchor + timedelta(days=150), None), overrides=[],
        )  # fmt: skip
        info_day = self.anchor + timedelta(days=rng.randint(20, 40))
        info_day += timedelta(days=(3 - info_day.weekday()) % 7)  # a Thursday
        self.write_event(
            title="DESIGN-MTS info day for SMEs, Porto",
            kind="workshop", day=info_day, last_day=info_day, hours=((9, 30), (13, 0)),
            timezone="Europe/Lisbon", country="PT", city="Porto", venue="AIMMAP, Porto",
            online_url=None, organiser_name=consortium, our_role="organiser",
            status="cancelled", published=True, creator=organiser, recurrence=None,
            overrides=[], cancelled_days_ago=rng.randint(3, 8),
        )  # fmt: skip

    def write_event(
        self, *, title: str, kind: str, day: date, last_day: date | None,
        hours: tuple[tuple[int, int], tuple[int, int]], timezone: str, country: str | None,
        city: str | None, venue: str | None, online_url: str | None, organiser_name: str,
        our_role: str, status: str, published: bool, creator: int,
        recurrence: tuple[str, int, date | None, int | None] | None,
        overrides: list[tuple[int, str, int | None]], cancelled_days_ago: int = 0,
    ) -> int:  # fmt: skip
        """One timed event of the demo's own (a series with ``recurrence``: frequency,
        interval, until, count; ``overrides``: the n-th occurrence cancelled, or moved by
        that many days), with the span and SEQUENCE the services would give it."""
        event_id = self.new_id(Event.__table__)
        last_day = last_day or day
        starts = _local(day, *hours[0], timezone)
        ends = _local(last_day, *hours[1], timezone)
        created = min(starts, self.anchor_at) - timedelta(days=30)
        row: dict[str, object] = {
            "id": event_id, "title": title, "kind": kind, "is_all_day": False,
            "starts_at": starts, "ends_at": ends, "timezone": timezone, "start_date": None,
            "end_date": None, "venue": venue, "city": city, "country_code": country,
            "online_url": online_url, "organiser_name": organiser_name,
            "organiser_organisation_id": None, "our_role": our_role, "status": status,
            "is_published": published, "description": self.catalogue.event_descriptions[kind],
            "description_format": "text", "uid": self.event_uid(event_id),
            "sequence": len(overrides) + (1 if status == "cancelled" else 0),
            "cancelled_at": (
                self.anchor_at - timedelta(days=cancelled_days_ago)
                if status == "cancelled" else None
            ),
            "recurrence": recurrence[0] if recurrence else None,
            "recurrence_interval": recurrence[1] if recurrence else 1,
            "recurrence_until": recurrence[2] if recurrence else None,
            "recurrence_count": recurrence[3] if recurrence else None,
            "created_by_id": creator, "created_at": created,
            "updated_at": (
                self.anchor_at - timedelta(days=cancelled_days_ago or 2)
                if overrides or status == "cancelled" else created
            ),
            "version": 1 + len(overrides) + (1 if status == "cancelled" else 0),
            "deleted_at": None,
        }  # fmt: skip
        # The span and the occurrences as the services reckon them, from a transient event.
        shape = Event(**{k: v for k, v in row.items() if k not in ("id", "version")})
        originals = series.originals(shape)
        occurrence_rows = []
        for index, what, days in overrides:
            original = originals[index]
            assert isinstance(original, datetime)
            moved = what == "moved" and days is not None
            occurrence = {
                "id": self.new_id(EventOccurrence.__table__), "event_id": event_id,
                "original_start": original, "original_date": None,
                "is_cancelled": what == "cancelled",
                "starts_at": original + timedelta(days=days) if moved and days else None,
                "ends_at": original + timedelta(days=days) + (ends - starts)
                if moved and days else None,
                "start_date": None, "end_date": None, "created_at": row["updated_at"],
                "updated_at": row["updated_at"],
            }  # fmt: skip
            occurrence_rows.append(occurrence)
            shape.occurrences.append(
                EventOccurrence(
                    **{k: v for k, v in occurrence.items() if k not in ("id", "event_id")}
                )
            )
        span = series.span(shape)
        assert span is not None
        row["span_starts_at"], row["span_ends_at"] = span
        self.writer.add(Event.__table__, row)
        for occurrence in occurrence_rows:
            self.writer.add(EventOccurrence.__table__, occurrence)
        self.writer.add(
            event_subitems,
            {"event_id": event_id, "commitment_item_id": self.subitems[EVENT_CODES[kind][0]]},
        )
        return event_id

    def event_uid(self, event_id: int) -> str:
        """A UID of the shape the services give (``event-<32 hex>@mts-crm``), derived from the
        run's seed and the id, so that the same demo gives the same feeds."""
        digest = hashlib.sha256(f"crm-demo/{self.seed}/event/{event_id}".encode()).hexdigest()
        return f"event-{digest[:32]}@{UID_DOMAIN}"

    def event_status(self, rng: random.Random, day: date) -> str:
        ahead = (day - self.anchor).days
        weights: tuple[tuple[str, int], ...]
        if ahead < 0:
            weights = (("confirmed", 94), ("cancelled", 4), ("postponed", 2))
        elif ahead <= 60:
            weights = (("confirmed", 80), ("planned", 15), ("postponed", 3), ("cancelled", 2))
        else:
            weights = (("planned", 60), ("confirmed", 35), ("postponed", 3), ("cancelled", 2))
        values, cumulative = _weighted(weights)
        return rng.choices(values, cum_weights=cumulative)[0]

    def add_participants(
        self, rng: random.Random, plan: _EventPlan, event_id: int, status: str, past: bool,
        created: datetime,
    ) -> list[int]:  # fmt: skip
        """Write the participants; return who attended (the people outreach can be about)."""
        kind, country = plan.kind, plan.country or ""
        people: list[int] = []
        lead_role = "speaker"
        exhibitors: list[_Org] = []
        if kind == "trade-fair":
            boost = math.sqrt(self.scale)
            count = int(rng.randint(25, 60) * boost)
            local = self.people_of(("enterprise", country)) + self.people_of(
                ("value-chain-partner", country)
            )
            people = _sample(rng, local, int(count * 0.6))
            people += _sample(rng, self.people_by_role.get("manager", []), count - len(people))
            local_firms = self.by_kind_country.get(("enterprise", country), [])
            exhibitors = _sample(rng, local_firms, int(rng.randint(5, 15) * boost))
        elif kind == "conference":
            people = _sample(rng, self.people_by_role.get("association-staff", []), 6)
            people += _sample(rng, self.people_by_role.get("manager", []), rng.randint(12, 35))
        elif kind == "workshop":
            people = _sample(rng, self.people_of(("enterprise", country)), rng.randint(8, 25))
        elif kind == "training-course":
            audience = next(
                (
                    role
                    for role, label in self.catalogue.audience_labels.items()
                    if label in plan.title
                ),
                "manager",
            )
            pool = self.people_by_role_country.get((audience, country)) or self.people_by_role.get(
                audience, []
            )
            people = _sample(rng, pool, rng.randint(6, 18))
        elif kind == "webinar":
            everyone = range(self.first_person_id, self.first_person_id + len(self.people))
            people = _sample(rng, everyone, rng.randint(20, 80))
        elif kind == "policy-round-table":
            lead_role = "moderator"
            people = _sample(rng, self.people_by_role.get("policy-maker", []), rng.randint(6, 15))
            people += _sample(rng, self.people_by_role.get("association-staff", []), 4)
        else:  # general assembly
            lead_role = "organiser"
            association = plan.organiser
            people = _sample(rng, association.people if association else [], 3)
            owners = self.people_by_role_country.get(("employer-owner", country), [])
            people += _sample(rng, owners, rng.randint(10, 30))
        people = list(dict.fromkeys(people))
        attended = []
        leads = 1 if kind in ("workshop", "training-course", "policy-round-table") else 2
        for index, person_id in enumerate(people):
            attendance = self.attendance(rng, status, past)
            if attendance == "attended":
                attended.append(person_id)
            self.add_participant(
                event_id, person_id, None, lead_role if index < leads else "attendee",
                attendance, created,
            )  # fmt: skip
        for org in exhibitors:
            attendance = (
                "cancelled" if status == "cancelled" else "attended" if past else "registered"
            )
            self.add_participant(event_id, None, org.id, "exhibitor", attendance, created)
        return attended

    def people_of(self, key: tuple[str, str]) -> list[int]:
        return self.people_by_kind_country.get(key, [])

    @staticmethod
    def attendance(rng: random.Random, status: str, past: bool) -> str:
        if status == "cancelled":
            return "cancelled"
        if past and status == "confirmed":
            return rng.choices(
                ("attended", "no-show", "cancelled", "registered"), cum_weights=(78, 88, 95, 100)
            )[0]
        return rng.choices(("invited", "registered", "cancelled"), cum_weights=(35, 95, 100))[0]

    def add_participant(
        self, event_id: int, person_id: int | None, org_id: int | None, role: str,
        attendance: str, created: datetime,
    ) -> None:  # fmt: skip
        self.writer.add(
            EventParticipant.__table__,
            {
                "id": self.new_id(EventParticipant.__table__),
                "event_id": event_id,
                "person_id": person_id,
                "organisation_id": org_id,
                "role": role,
                "attendance": attendance,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )
