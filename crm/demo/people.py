"""The people stage: contacts spread over the organisations, with positions, consents, tags."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from crm.demo.base import PEOPLE_PER_SCALE, WINDOW_DAYS, _Org, _State
from crm.demo.locales import _NOT_SLUG, ascii_fold
from crm.models import ConsentRecord, Person, Position, person_tags
from crm.services.text import person_name_keys


class _People(_State):
    @staticmethod
    def people_weight(org: _Org) -> float:
        """How many contacts an organisation tends to have in the register, relatively."""
        if org.kind == "enterprise":
            return {"micro": 1.2, "small": 2.5, "medium": 5.0, "large": 10.0}[org.detail]
        return {
            "national-association": 12.0, "affiliate": 3.0, "value-chain-partner": 2.0,
            "policy-body": 2.0, "other": 2.0,
        }[org.kind]  # fmt: skip

    def role_and_title(self, rng: random.Random, org: _Org) -> tuple[str, str]:
        if org.kind in ("national-association", "affiliate"):
            role = "association-staff"
        elif org.kind == "enterprise":
            role = rng.choices(
                self.catalogue.roles, weights=self.catalogue.enterprise_roles[org.detail]
            )[0]
        elif org.kind == "value-chain-partner":
            role = rng.choices(("manager", "employee", "employer-owner"), weights=(50, 35, 15))[0]
        elif org.kind == "policy-body":
            role = "policy-maker"
        elif org.detail == "trade-union":
            return "worker-representative", rng.choice(self.catalogue.titles["trade-union"])
        else:
            return "other", rng.choice(self.catalogue.titles[org.detail])
        return role, rng.choice(self.catalogue.titles[role])

    def email(self, first: str, last: str, org: _Org) -> str:
        first_part = _NOT_SLUG.sub("", ascii_fold(first.split()[0], org.language))
        last_part = _NOT_SLUG.sub("", ascii_fold(last, org.language))
        style = org.email_style
        if style == 3:
            local = f"{first_part[:1]}.{last_part}"
        elif style == 4:
            local = f"{first_part[:1]}{last_part}"
        else:
            local = f"{first_part}.{last_part}"
        address, n = f"{local}@{org.domain}", 1
        while address in self.emails:
            n += 1
            address = f"{local}{n}@{org.domain}"
        self.emails.add(address)
        return address

    def create_people(self) -> None:
        rng = self.rng("people")
        total = PEOPLE_PER_SCALE * self.scale
        minimum: list[_Org] = []
        for org in self.orgs:
            if org.kind == "national-association":
                minimum += [org] * 3
            elif org.kind == "policy-body":
                minimum.append(org)
        weights = [self.people_weight(org) for org in self.orgs]
        allocation = minimum[:total] + rng.choices(
            self.orgs, weights=weights, k=max(0, total - len(minimum))
        )
        rng.shuffle(allocation)
        fairs = self.fair_names()
        self.first_person_id = self.next_ids[Person.__tablename__]
        self.progress.start("people", total)
        for done, org in enumerate(allocation, start=1):
            self.add_person(rng, org, fairs)
            if done % 500 == 0:
                self.progress.advance(500)
                self.writer.flush_if_full()
        self.progress.advance(total % 500)
        self.writer.flush()
        self.progress.finish()

    def fair_names(self) -> list[str]:
        names = []
        for fair in self.catalogue.trade_fairs:
            for year in range(self.window_start.year - 2, self.anchor.year):
                if fair.held_in(year):
                    names.append(f"{fair.title} {year}")
        return names

    def add_person(self, rng: random.Random, org: _Org, fairs: list[str]) -> None:
        locale = self.locales[org.language]
        female = rng.random() < (
            0.25 if org.kind in ("enterprise", "value-chain-partner") else 0.45
        )
        first = rng.choice(locale.female if female else locale.male)
        last = rng.choice(locale.surnames)
        if female and locale.feminine is not None:
            last = locale.feminine(last)
        role, title = self.role_and_title(rng, org)
        address = self.email(first, last, org)
        person_id = self.new_id(Person.__table__)
        created = (
            self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
            if rng.random() < 0.75
            else self.days_ago(rng, 2, WINDOW_DAYS)
        )
        business = org.kind in ("enterprise", "value-chain-partner")
        basis = rng.choices(
            ("legitimate-interest", "consent", "contract"),
            weights=(84, 10, 6) if business else (90, 10, 0),
        )[0]
        association = self.associations.get(org.country)
        source = rng.choice(self.catalogue.lawful_basis_sources[basis]).format(
            fair=rng.choice(fairs),
            association=association.short if association else self.catalogue.umbrella.acronym,
        )
        officer = org.officer
        self.writer.add(
            Person.__table__,
            {
                "id": person_id,
                "first_name": first,
                "last_name": last,
                **person_name_keys(first, last),
                "email": address,
                "email_normalised": address.lower(),
                "phone": self.phone(rng, org.country) if rng.random() < 0.75 else None,
                "country_code": org.country,
                "language_code": org.language,
                "notes": rng.choice(self.catalogue.person_notes) if rng.random() < 0.05 else "",
                "lawful_basis": basis,
                "lawful_basis_source": source,
                "is_restricted": rng.random() < 0.003,
                "erased_at": None,
                "responsible_officer_id": officer,
                "created_by_id": officer,
                "created_at": created,
                "updated_at": created,
                "version": 1,
                "deleted_at": None,
            },
        )
        # The current position; some people came from another organisation of the same kind.
        previous_pool = self.by_kind_country.get((org.kind, org.country), [])
        moved = len(previous_pool) > 1 and rng.random() < 0.07
        if moved:
            starts = self.anchor - timedelta(days=rng.randint(30, 900))
        else:
            starts = self.anchor - timedelta(days=rng.randint(60, 6000))
        self.add_position(person_id, org.id, title, role, starts, None, created)
        if moved:
            previous = rng.choice(previous_pool)
            if previous is not org:
                ended = starts - timedelta(days=rng.randint(1, 120))
                began = ended - timedelta(days=rng.randint(700, 5000))
                before_title = rng.choice(
                    self.catalogue.titles.get(role, self.catalogue.titles["employee"])
                )
                self.add_position(person_id, previous.id, before_title, role, began, ended, created)
        self.add_consents(rng, person_id, basis, created)
        if rng.random() < 0.15:
            for tag in rng.sample(self.catalogue.person_tags, rng.randint(1, 2)):
                self.writer.add(person_tags, {"person_id": person_id, "tag_id": self.tag_ids[tag]})
        org.people.append(person_id)
        self.people.append((f"{first} {last}", role, org))
        self.people_by_role.setdefault(role, []).append(person_id)
        self.people_by_kind_country.setdefault((org.kind, org.country), []).append(person_id)
        self.people_by_role_country.setdefault((role, org.country), []).append(person_id)

    def add_position(
        self, person_id: int, org_id: int, title: str, role: str, starts: date,
        ends: date | None, created: datetime,
    ) -> None:  # fmt: skip
        self.writer.add(
            Position.__table__,
            {
                "id": self.new_id(Position.__table__),
                "person_id": person_id,
                "organisation_id": org_id,
                "title": title,
                "role": role,
                "starts_on": starts,
                "ends_on": ends,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )

    def add_consents(
        self, rng: random.Random, person_id: int, basis: str, created: datetime
    ) -> None:
        """Consent-based contacts carry their consent; some others opted into the newsletter."""
        if basis == "consent":
            purposes = ["contact-record"] + (["newsletter"] if rng.random() < 0.6 else [])
        elif rng.random() < 0.15:
            purposes = [rng.choice(("newsletter", "event-invitations", "training-offers"))]
        else:
            return
        for purpose in purposes:
            given = created + timedelta(minutes=rng.randint(0, 60 * 24 * 30))
            given = min(given, self.anchor_at - timedelta(hours=1))
            self.add_consent(rng, person_id, purpose, "granted", given)
            if purpose != "contact-record" and rng.random() < 0.1:
                withdrawn = given + (self.anchor_at - given) * rng.random()
                self.add_consent(rng, person_id, purpose, "withdrawn", withdrawn)

    def add_consent(
        self, rng: random.Random, person_id: int, purpose: str, status: str, given: datetime
    ) -> None:
        by_form = rng.random() < 0.6
        self.writer.add(
            ConsentRecord.__table__,
            {
                "id": self.new_id(ConsentRecord.__table__),
                "person_id": person_id,
                "purpose": purpose,
                "status": status,
                "source": rng.choice(self.catalogue.consent_sources)
                if status == "granted"
                else "Unsubscribe link in a mailing",
                "given_at": given,
                "recorded_at": min(given + timedelta(minutes=rng.randint(1, 600)), self.anchor_at),
                "recorded_by_id": None if by_form else rng.choice(self.officers),
            },
        )
