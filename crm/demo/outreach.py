"""The outreach stage: who was contacted, how and about what, scenario by scenario."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from crm.demo.base import (
    OUTREACH_PER_SCALE,
    WINDOW_DAYS,
    _local,
    _Org,
    _sample,
    _Touch,
    _weighted,
    _workday,
)
from crm.demo.followups import _FollowUps
from crm.models import Outreach as OutreachRecord
from crm.models import (
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)

OUTCOMES = {
    "default": _weighted(
        [("informed", 35), ("interested", 28), ("committed", 10), ("declined", 6),
         ("no-response", 11), (None, 10)]
    ),
    "mailing": _weighted([("informed", 70), ("no-response", 25), (None, 5)]),
    "helpdesk": _weighted([("informed", 60), ("interested", 25), ("committed", 10), (None, 5)]),
    "event": _weighted([("informed", 40), ("interested", 35), ("committed", 12), (None, 13)]),
    "social": _weighted([(None, 60), ("informed", 40)]),
}  # fmt: skip
SCENARIOS = _weighted(
    [("enterprise", 34), ("helpdesk", 7), ("association", 8), ("affiliate", 6),
     ("value-chain", 7), ("policy", 6), ("other", 4), ("mailing", 4), ("training", 5),
     ("event", 16), ("social", 3)]
)  # fmt: skip
EVENT_WEIGHTS = {
    "trade-fair": 6, "conference": 2, "workshop": 2, "training-course": 2, "webinar": 2,
    "policy-round-table": 1, "general-assembly": 1,
}  # fmt: skip
EVENT_CHANNELS = {
    "trade-fair": "meeting", "conference": "meeting", "workshop": "meeting",
    "training-course": "training", "webinar": "webinar", "policy-round-table": "meeting",
    "general-assembly": "meeting",
}  # fmt: skip


class _Outreach(_FollowUps):
    def create_outreach(self) -> None:
        rng = self.rng("outreach")
        total = OUTREACH_PER_SCALE * self.scale
        pools: dict[str, list[_Org]] = {}
        for kind, orgs in self.by_kind.items():
            # The order decides who is contacted most often: those with contacts, in random order.
            keys = {org.id: (-min(len(org.people), 2), rng.random()) for org in orgs}
            pools[kind] = sorted(orgs, key=lambda org: keys[org.id])
        enterprises = pools["enterprise"]
        pools["sme"] = [org for org in enterprises if org.detail != "large"]
        pools["staffed"] = [org for org in enterprises if org.people] or enterprises
        pools["staffed-sme"] = [org for org in pools["staffed"] if org.detail != "large"]
        pools["media"] = [org for org in pools["other"] if org.detail == "media"]
        self.pools = pools
        self.first_org_id = self.orgs[0].id
        events = self.past_events
        self.event_weights = list(
            _weighted([(event, EVENT_WEIGHTS[event.kind]) for event in events])[1]
        )
        makers: dict[str, Callable[[random.Random], _Touch]] = {
            "enterprise": self.touch_enterprise,
            "helpdesk": self.touch_helpdesk,
            "association": self.touch_association,
            "affiliate": self.touch_affiliate,
            "value-chain": self.touch_value_chain,
            "policy": self.touch_policy,
            "other": self.touch_other,
            "mailing": self.touch_mailing,
            "training": self.touch_training,
            "event": self.touch_event if events else self.touch_enterprise,
            "social": self.touch_social,
        }
        self.progress.start("outreach", total)
        batch = 2_000
        for start in range(0, total, batch):
            count = min(batch, total - start)
            for scenario in rng.choices(SCENARIOS[0], cum_weights=SCENARIOS[1], k=count):
                self.add_outreach(rng, makers[scenario](rng))
            self.progress.advance(count)
            self.writer.flush_if_full()
        self.writer.flush()
        self.progress.finish()

    @staticmethod
    def pick(rng: random.Random, pool: list[_Org]) -> _Org:
        """Skewed towards the front of the pool: a few stakeholders are contacted often."""
        return pool[int(len(pool) * rng.random() ** 1.7)]

    def org(self, org_id: int) -> _Org:
        return self.orgs[org_id - self.first_org_id]

    def moment(self, rng: random.Random, country: str | None) -> datetime:
        """A working-hours moment in the last two years, busier lately as the programme grew."""
        days = 1 + int((WINDOW_DAYS - 25) * rng.random() ** 1.25)
        day = _workday(self.anchor - timedelta(days=days))
        timezone = self.countries[country].timezone if country else "Europe/Brussels"
        return _local(day, rng.randint(8, 17), rng.randrange(0, 60, 5), timezone)

    def guidelines(self, language: str) -> int:
        return self.materials.get(f"guidelines:{language}", self.materials["guidelines:en"])

    def module_for(self, person_id: int | None) -> int:
        role = self.person_role(person_id) if person_id is not None else "manager"
        return self.materials.get(f"module:{role}", self.materials["module:manager"])

    @staticmethod
    def contacts(rng: random.Random, org: _Org, count: int) -> list[int]:
        return _sample(rng, org.people, count)

    def touch_enterprise(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["enterprise"])
        people = self.contacts(rng, org, 1 if rng.random() < 0.85 else 2)
        codes = ["1.3b"]
        draw = rng.random()
        if org.detail != "large" and draw < 0.45:
            codes.append("2.2")
        elif draw < 0.65:
            codes.append("2.1")
        elif draw < 0.72:
            codes.append("1.2")
        materials = []
        if "2.1" in codes or rng.random() < 0.1:
            materials.append(self.guidelines(org.language))
        if "1.2" in codes:
            materials.append(self.module_for(people[0] if people else None))
        return _Touch(
            channel=rng.choices(("email", "call", "meeting"), cum_weights=(40, 73, 100))[0],
            direction="inbound" if rng.random() < 0.15 else "outbound",
            subject=rng.choice(self.catalogue.subjects["enterprise"]).format(org=org.name),
            codes=codes, people=people, orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_helpdesk(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["staffed-sme"] or self.pools["staffed"])
        people = self.contacts(rng, org, 1)
        codes = ["2.1"] + (["2.2"] if org.detail != "large" else [])
        draw = rng.random()
        if draw < 0.5:
            materials = [self.guidelines(org.language)]
        elif draw < 0.8:
            materials = [self.materials["faq"]]
        else:
            materials = [self.materials["checklist"]]
        subject = rng.choice(self.catalogue.subjects["helpdesk"]).format(
            language=self.locales[org.language].name
        )
        return _Touch(
            channel="help-desk", direction="inbound", subject=subject, codes=codes,
            people=people, orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country, profile="helpdesk",
        )  # fmt: skip

    def touch_association(self, rng: random.Random) -> _Touch:
        org = rng.choice(self.pools["national-association"])
        codes = ["1.3a"]
        if rng.random() < 0.4:
            codes.append(rng.choice(("1.1", "3.1", "3.3")))
        materials = []
        if rng.random() < 0.2:
            key = rng.choice(("position-paper", "platform-handbook", "indicators"))
            materials.append(self.materials[key])
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(35, 65, 100))[0],
            direction="inbound" if rng.random() < 0.25 else "outbound",
            subject=rng.choice(self.catalogue.subjects["association"]).format(org=org.short),
            codes=codes, people=self.contacts(rng, org, rng.randint(1, 2)), orgs=[org.id],
            materials=materials, occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_affiliate(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["affiliate"])
        codes = ["1.3a"] + (["1.1"] if rng.random() < 0.25 else [])
        materials = [self.guidelines(org.language)] if rng.random() < 0.3 else []
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(30, 60, 100))[0],
            direction="outbound",
            subject=rng.choice(self.catalogue.subjects["affiliate"]).format(org=org.name),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_value_chain(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["value-chain-partner"])
        codes = ["2.3"] + (["1.3b"] if rng.random() < 0.3 else [])
        materials = [self.materials["toolkit"]] if rng.random() < 0.4 else []
        return _Touch(
            channel=rng.choices(("meeting", "call", "email"), cum_weights=(30, 60, 100))[0],
            direction="outbound",
            subject=rng.choice(self.catalogue.subjects["value-chain"]).format(org=org.name),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_policy(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["policy-body"])
        codes = ["3.2"] + (["3.1"] if rng.random() < 0.35 else [])
        draw = rng.random()
        materials = []
        if draw < 0.6:
            materials.append(self.materials["policy-recommendations"])
        elif draw < 0.85:
            materials.append(self.materials["position-paper"])
        return _Touch(
            channel=rng.choices(("meeting", "email", "call"), cum_weights=(40, 80, 100))[0],
            direction="outbound",
            subject=rng.choice(self.catalogue.subjects["policy"]).format(org=org.short),
            codes=codes, people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
            logger=self.user_ids["coordinator"] if rng.random() < 0.4 else None,
        )  # fmt: skip

    def touch_other(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["other"])
        category = org.detail
        channel = rng.choices(("meeting", "email", "call"), cum_weights=(35, 75, 100))[0]
        materials = []
        if category == "trade-union":
            codes = [rng.choice(("1.2", "1.1"))]
            if rng.random() < 0.5:
                materials.append(self.materials["module:worker-representative"])
        elif category == "research-education":
            codes = ["3.3"] + (["1.1"] if rng.random() < 0.4 else [])
            if rng.random() < 0.3:
                materials.append(self.materials["indicators"])
        elif category == "ngo":
            codes = ["3.1"] + (["2.3"] if rng.random() < 0.4 else [])
        else:
            codes = ["2.3"] + (["1.1"] if rng.random() < 0.4 else [])
            channel = "publication" if rng.random() < 0.5 else channel
        return _Touch(
            channel=channel, direction="outbound",
            subject=rng.choice(self.catalogue.subjects[category]).format(org=org.short),
            codes=codes,
            people=self.contacts(rng, org, 1), orgs=[org.id], materials=materials,
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_mailing(self, rng: random.Random) -> _Touch:
        occurred = self.moment(rng, None)
        everyone = range(self.first_person_id, self.first_person_id + len(self.people))
        people = _sample(rng, everyone, rng.randint(5, 25))
        orgs = []
        if rng.random() < 0.3:
            orgs.append(rng.choice(self.pools["national-association"]).id)  # a joint mailing
        codes = ["1.1"] + (["2.1"] if rng.random() < 0.4 else [])
        language = rng.choice(("de", "it", "es", "fr", "cs"))
        materials = []
        draw = rng.random()
        if draw < 0.4:
            materials.append(self.guidelines(language))
        elif draw < 0.6:
            materials.append(self.materials["position-paper"])
        subject = rng.choice(self.catalogue.subjects["mailing"]).format(
            month=occurred.strftime("%B %Y"), language=self.locales[language].name
        )
        return _Touch(
            channel="mailing", direction="outbound", subject=subject, codes=codes, people=people,
            orgs=orgs, materials=materials, occurred=occurred, country=None, profile="mailing",
            logger=rng.choice((self.user_ids["coordinator"], self.user_ids["organiser"])),
        )  # fmt: skip

    def touch_training(self, rng: random.Random) -> _Touch:
        org = self.pick(rng, self.pools["staffed"])
        people = self.contacts(rng, org, 8)
        codes = ["1.2"] + (["2.2"] if org.detail != "large" and rng.random() < 0.5 else [])
        lead = people[0] if people else None
        role = self.person_role(lead) if lead is not None else "manager"
        module = self.catalogue.audience_labels.get(role, "managers")
        return _Touch(
            channel="training", direction="outbound",
            subject=rng.choice(self.catalogue.subjects["training"]).format(
                org=org.name, module=module
            ),
            codes=codes, people=people, orgs=[org.id], materials=[self.module_for(lead)],
            occurred=self.moment(rng, org.country), country=org.country,
        )  # fmt: skip

    def touch_event(self, rng: random.Random) -> _Touch:
        event = rng.choices(self.past_events, cum_weights=self.event_weights)[0]
        many = event.kind in ("training-course", "webinar")
        people = _sample(rng, event.attendees, rng.randint(3, 10) if many else rng.randint(1, 2))
        orgs = list(dict.fromkeys(self.person_org(person).id for person in people))
        codes = _sample(rng, event.codes, rng.randint(1, 2))
        day = event.day + timedelta(days=rng.randrange(event.days))
        first, last = event.hours
        occurred = _local(
            day, rng.randrange(first, max(first + 1, last)), rng.randrange(0, 60, 5), event.timezone
        )
        materials = []
        if event.kind == "training-course":
            materials.append(self.module_for(people[0]))
        elif event.kind in ("webinar", "workshop") and rng.random() < 0.5:
            materials.append(self.guidelines(self.person_org(people[0]).language))
        elif rng.random() < 0.2:
            materials.append(self.materials["toolkit"])
        country = event.country or self.person_org(people[0]).country
        return _Touch(
            channel=EVENT_CHANNELS[event.kind], direction="outbound",
            subject=self.catalogue.event_subjects[event.kind].format(event=event.title),
            codes=codes,
            people=people, orgs=orgs, materials=materials, occurred=occurred, country=country,
            event_id=event.id, profile="event",
            logger=self.user_ids["organiser"] if rng.random() < 0.45 else None,
        )  # fmt: skip

    def touch_social(self, rng: random.Random) -> _Touch:
        if rng.random() < 0.4 and self.pools["media"]:
            channel, org = "publication", rng.choice(self.pools["media"])
        else:
            channel, org = "social-media", rng.choice(self.pools["national-association"])
        codes = [rng.choice(("2.3", "1.1"))]
        if rng.random() < 0.3:
            codes.append("1.1" if codes[0] == "2.3" else "2.3")
        materials = []
        if rng.random() < 0.3:
            materials.append(rng.choice((self.materials["toolkit"], self.guidelines("en"))))
        return _Touch(
            channel=channel, direction="outbound",
            subject=rng.choice(self.catalogue.subjects["social"]).format(org=org.short),
            codes=codes,
            people=[], orgs=[org.id], materials=materials, occurred=self.moment(rng, org.country),
            country=org.country, profile="social",
        )  # fmt: skip

    def add_outreach(self, rng: random.Random, touch: _Touch) -> None:
        outreach_id = self.new_id(OutreachRecord.__table__)
        if touch.logger is not None:
            logger = touch.logger
        elif touch.country and rng.random() < 0.8:
            logger = self.officer_for(touch.country)
        else:
            logger = rng.choice(self.officers)
        created = min(
            touch.occurred + timedelta(minutes=rng.randint(5, 2 * 24 * 60)), self.anchor_at
        )
        values, cumulative = OUTCOMES[touch.profile]
        self.writer.add(
            OutreachRecord.__table__,
            {
                "id": outreach_id,
                "occurred_at": touch.occurred,
                "channel": touch.channel,
                "direction": touch.direction,
                "subject": touch.subject[:300],
                "outcome": rng.choices(values, cum_weights=cumulative)[0],
                "notes": rng.choice(self.catalogue.outreach_notes) if rng.random() < 0.2 else "",
                "event_id": touch.event_id,
                "logged_by_id": logger,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        add = self.writer.add
        for code in dict.fromkeys(touch.codes):
            add(
                outreach_subitems,
                {"outreach_id": outreach_id, "commitment_item_id": self.subitems[code]},
            )
        for person_id in touch.people:
            # The organisation the person counts for, as log_outreach stores it.
            at = self.person_org(person_id).id
            add(
                outreach_people,
                {"outreach_id": outreach_id, "person_id": person_id, "organisation_id": at},
            )
        for org_id in touch.orgs:
            add(outreach_organisations, {"outreach_id": outreach_id, "organisation_id": org_id})
        for material_id in dict.fromkeys(touch.materials):
            add(outreach_materials, {"outreach_id": outreach_id, "material_id": material_id})
        share = 0.03 if touch.profile in ("mailing", "social") else 0.1
        if rng.random() < share:
            about_person = touch.people[0] if touch.people else None
            about_org = touch.orgs[0] if touch.orgs else None
            org = self.org(about_org) if about_org is not None else None
            org_name = org.name if org is not None else ""
            who = self.person_name(about_person) if about_person is not None else org_name
            titles = self.catalogue.follow_up_titles
            if org is not None and org.kind == "enterprise" and rng.random() < 0.7:
                titles = self.catalogue.enterprise_follow_up_titles
            title = rng.choice(titles).format(who=who, org=org_name or who)
            due_day = _workday(touch.occurred.date() + timedelta(days=rng.randint(2, 30)))
            due = _local(due_day, rng.randint(9, 16), 0, "Europe/Brussels")
            assignee = logger if rng.random() < 0.85 else rng.choice(self.officers)
            self.add_follow_up(
                rng, title=title, due=due, created=created, assignee=assignee, creator=logger,
                person_id=about_person, organisation_id=about_org, outreach_id=outreach_id,
                event_id=touch.event_id,
            )  # fmt: skip
