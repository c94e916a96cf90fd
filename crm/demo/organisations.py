"""The organisations stage: associations, affiliates, policy bodies, others, enterprises and
their value chain, and the links between them.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from crm.demo.base import (
    ENTERPRISES_PER_SCALE,
    VALUE_CHAIN_PER_SCALE,
    WINDOW_DAYS,
    _Org,
    _State,
    _weighted,
)
from crm.demo.locales import ascii_fold
from crm.models import Organisation, OrganisationLink, organisation_tags
from crm.services.register import TURNOVER_CEILING, size_class_for
from crm.services.text import normalise_text


class _Organisations(_State):
    def company_name(
        self, rng: random.Random, country: str, language: str, trade: str
    ) -> tuple[str, str]:
        """A plausible, unused company name and its core (the name without the legal form)."""
        locale = self.locales[language]
        forms = [
            form for form, lang in self.countries[country].forms if not lang or lang == language
        ]
        name = core = ""
        for attempt in range(8):
            surname = rng.choice(locale.surnames)
            if attempt >= 4 or rng.random() < 0.12:
                partner = rng.choice(locale.surnames)
                if partner != surname:
                    surname = f"{surname} & {partner}"
            word = rng.choice(locale.trades[trade])
            core = f"{surname} {word}" if rng.choice(locale.orders) == "ST" else f"{word} {surname}"
            core = core[0].upper() + core[1:]
            name = f"{core} {rng.choice(forms)}"
            if name not in self.org_names:
                break
        self.org_names.add(name)
        return name, core

    def add_organisation(
        self,
        rng: random.Random,
        *,
        name: str,
        acronym: str,
        kind: str,
        country: str,
        city: str,
        language: str,
        domain_base: str,
        detail: str = "",
        values: dict[str, Any] | None = None,
        notes: str = "",
    ) -> _Org:
        org_id = self.new_id(Organisation.__table__)
        domain = self.domain(ascii_fold(domain_base, language))
        officer = self.officer_for(country)
        created = (
            self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
            if rng.random() < 0.8
            else self.days_ago(rng, 1, WINDOW_DAYS)
        )
        row: dict[str, Any] = {
            "id": org_id,
            "name": name,
            "name_normalised": normalise_text(name)[:200],
            "acronym": acronym or None,
            "kind": kind,
            "country_code": country,
            "city": city or None,
            "website": f"https://www.{domain}",
            "email": f"{self.locales[language].info}@{domain}",
            "phone": self.phone(rng, country),
            "language_code": language,
            "headcount": None,
            "turnover_eur": None,
            "size_class": None,
            "value_chain_role": None,
            "policy_body_type": None,
            "policy_level": None,
            "other_category": None,
            "notes": notes,
            "responsible_officer_id": officer,
            "created_by_id": officer,
            "created_at": created,
            "updated_at": created,
            "version": 1,
            "deleted_at": None,
        }
        if values:
            row.update(values)
        self.writer.add(Organisation.__table__, row)
        org = _Org(
            id=org_id,
            name=name,
            short=acronym or name,
            kind=kind,
            country=country,
            language=language,
            city=city,
            domain=domain,
            email_style=rng.randrange(5),
            officer=officer,
            detail=detail,
        )
        self.orgs.append(org)
        self.by_kind.setdefault(kind, []).append(org)
        self.by_kind_country.setdefault((kind, country), []).append(org)
        if rng.random() < 0.2:
            tags = self.catalogue.organisation_tags[kind]
            for tag in rng.sample(tags, rng.randint(1, min(2, len(tags)))):
                self.writer.add(
                    organisation_tags, {"organisation_id": org_id, "tag_id": self.tag_ids[tag]}
                )
        self.progress.advance()
        self.writer.flush_if_full()
        return org

    def organisation_plan(self) -> dict[str, int]:
        """How many organisations of each generated group this scale gives (for progress)."""
        per_country = {code: len(c.cities) for code, c in self.countries.items() if c.weight}
        affiliates = sum(
            min(3 * self.scale, 3 * len(self.countries[country].cities))
            for _, _, country, _, _ in self.catalogue.national_associations
        )
        return {
            "fixed": 1
            + len(self.catalogue.national_associations)
            + len(self.catalogue.policy_bodies)
            + len(self.catalogue.other_organisations),
            "affiliates": affiliates,
            "local": sum(min(self.scale, n) for n in per_country.values()),
            "schools": sum(min(self.scale, n) for n in per_country.values()),
            "enterprises": ENTERPRISES_PER_SCALE * self.scale,
            "value-chain": VALUE_CHAIN_PER_SCALE * self.scale,
        }

    def create_organisations(self) -> None:
        rng = self.rng("organisations")
        self.progress.start("organisations", sum(self.organisation_plan().values()))
        acronym, name, country, city, language = self.catalogue.umbrella
        cecimo = self.add_organisation(
            rng, name=name, acronym=acronym, kind="national-association", country=country,
            city=city, language=language, domain_base=acronym,
            notes="European umbrella of the national machine-tool associations.",
        )  # fmt: skip
        for acronym, name, country, city, language in self.catalogue.national_associations:
            association = self.add_organisation(
                rng, name=name, acronym=acronym, kind="national-association", country=country,
                city=city, language=language, domain_base=acronym,
            )  # fmt: skip
            self.associations[country] = association
            self.link(rng, association, cecimo, "member-of", since_years=(5, 40))
        for association in list(self.associations.values()):
            land = self.countries[association.country]
            pool = [
                (template.format(c=city), city, language)
                for city, language in land.cities
                for template in self.locales[language].affiliates
            ]
            for name, city, language in rng.sample(pool, min(3 * self.scale, len(pool))):
                affiliate = self.add_organisation(
                    rng, name=name, acronym="", kind="affiliate", country=land.code, city=city,
                    language=language, domain_base=name, notes=self.note(rng, "affiliate"),
                )  # fmt: skip
                self.link(rng, affiliate, association, "affiliate-of", since_years=(2, 30))
        for (
            name,
            acronym,
            body_type,
            level,
            country,
            city,
            language,
        ) in self.catalogue.policy_bodies:
            self.add_organisation(
                rng, name=name, acronym=acronym, kind="policy-body", country=country, city=city,
                language=language, domain_base=acronym or name, detail=level,
                values={"policy_body_type": body_type, "policy_level": level},
            )  # fmt: skip
        for code, land in self.countries.items():
            if not land.weight:
                continue
            for city, language in rng.sample(land.cities, min(self.scale, len(land.cities))):
                name = self.locales[language].town_hall.format(c=city)
                self.add_organisation(
                    rng, name=name, acronym="", kind="policy-body", country=code, city=city,
                    language=language, domain_base=name, detail="local",
                    values={"policy_body_type": "local-authority", "policy_level": "local"},
                )  # fmt: skip
        for name, acronym, category, country, city, language in self.catalogue.other_organisations:
            self.add_organisation(
                rng, name=name, acronym=acronym, kind="other", country=country, city=city,
                language=language, domain_base=acronym or name, detail=category,
                values={"other_category": category},
            )  # fmt: skip
        for code, land in self.countries.items():
            if not land.weight:
                continue
            for city, language in rng.sample(land.cities, min(self.scale, len(land.cities))):
                name = self.locales[language].school.format(c=city)
                self.add_organisation(
                    rng, name=name, acronym="", kind="other", country=code, city=city,
                    language=language, domain_base=name, detail="research-education",
                    values={"other_category": "research-education"},
                )  # fmt: skip
        self.create_enterprises(rng)
        self.create_value_chain(rng)
        self.writer.flush()
        self.progress.finish()

    def note(self, rng: random.Random, kind: str) -> str:
        notes = self.catalogue.organisation_notes.get(kind)
        if not notes or rng.random() > 0.1:
            return ""
        return rng.choice(notes).format(year=rng.randint(1920, 2005))

    def create_enterprises(self, rng: random.Random) -> None:
        countries = [code for code, country in self.countries.items() if country.weight]
        weights = [self.countries[code].weight for code in countries]
        sizes = _weighted([("micro", 55), ("small", 30), ("medium", 12), ("large", 3)])
        count = ENTERPRISES_PER_SCALE * self.scale
        for code, size in zip(
            rng.choices(countries, weights=weights, k=count),
            rng.choices(sizes[0], cum_weights=sizes[1], k=count),
            strict=True,
        ):
            city, language = rng.choice(self.countries[code].cities)
            name, core = self.company_name(rng, code, language, "machine")
            headcount = self.headcount(rng, size)
            per_head = rng.uniform(90_000, 260_000)
            turnover = min(headcount * per_head, TURNOVER_CEILING.get(size, math.inf))
            enterprise = self.add_organisation(
                rng, name=name, acronym="", kind="enterprise", country=code, city=city,
                language=language, domain_base=core, detail=size,
                values={
                    "headcount": headcount,
                    "turnover_eur": Decimal(int(turnover) // 1000 * 1000),
                    "size_class": size_class_for(headcount),
                },
                notes=self.note(rng, "enterprise"),
            )  # fmt: skip
            association = self.associations.get(code)
            membership = {"micro": 0.3, "small": 0.45, "medium": 0.7, "large": 0.9}[size]
            if association is not None and rng.random() < membership:
                self.link(rng, enterprise, association, "member-of", since_years=(1, 30))
            affiliates = self.by_kind_country.get(("affiliate", code))
            if affiliates and rng.random() < 0.25:
                self.link(rng, enterprise, rng.choice(affiliates), "member-of", since_years=(1, 15))
        large = [org for org in self.by_kind["enterprise"] if org.detail == "large"]
        for org in self.by_kind["enterprise"]:
            if large and org.detail in ("small", "medium") and rng.random() < 0.02:
                self.link(rng, org, rng.choice(large), "subsidiary-of", since_years=(1, 20))

    @staticmethod
    def headcount(rng: random.Random, size: str) -> int:
        if size == "micro":
            return rng.randint(1, 9)
        if size == "small":
            return 10 + int(40 * rng.random() ** 1.3)
        if size == "medium":
            return 50 + int(200 * rng.random() ** 1.5)
        return int(250 * math.exp(3 * rng.random() ** 1.5))

    def create_value_chain(self, rng: random.Random) -> None:
        countries = [code for code, country in self.countries.items() if country.weight]
        weights = [self.countries[code].weight for code in countries]
        roles = _weighted(
            [("supplier", 25), ("component-maker", 25), ("distributor", 15), ("user-industry", 15),
             ("service-provider", 12), ("training-provider", 8)]
        )  # fmt: skip
        trade = {
            "supplier": "supplier", "component-maker": "component", "distributor": "distributor",
            "user-industry": "user", "service-provider": "service",
            "training-provider": "training",
        }  # fmt: skip
        link_type = {
            "supplier": "supplier-to", "component-maker": "supplier-to",
            "distributor": "partner-of", "user-industry": "customer-of",
            "service-provider": "partner-of", "training-provider": "partner-of",
        }  # fmt: skip
        enterprises = self.by_kind["enterprise"]
        count = VALUE_CHAIN_PER_SCALE * self.scale
        for code, role in zip(
            rng.choices(countries, weights=weights, k=count),
            rng.choices(roles[0], cum_weights=roles[1], k=count),
            strict=True,
        ):
            city, language = rng.choice(self.countries[code].cities)
            name, core = self.company_name(rng, code, language, trade[role])
            partner = self.add_organisation(
                rng, name=name, acronym="", kind="value-chain-partner", country=code, city=city,
                language=language, domain_base=core, detail=role,
                values={"value_chain_role": role},
                notes=self.note(rng, "value-chain-partner"),
            )  # fmt: skip
            if role == "training-provider" and code in self.associations:
                self.link(rng, partner, self.associations[code], "partner-of", since_years=(1, 8))
                continue
            local = self.by_kind_country.get(("enterprise", code)) or enterprises
            targets = {rng.choice(local if rng.random() < 0.7 else enterprises).id: None for _ in
                       range(rng.randint(1, 3))}  # fmt: skip
            for target_id in targets:
                self.link_ids(rng, partner.id, target_id, link_type[role], since_years=(1, 15))

    def link(
        self, rng: random.Random, source: _Org, target: _Org, link_type: str,
        since_years: tuple[int, int],
    ) -> None:  # fmt: skip
        self.link_ids(rng, source.id, target.id, link_type, since_years)

    def link_ids(
        self, rng: random.Random, source_id: int, target_id: int, link_type: str,
        since_years: tuple[int, int],
    ) -> None:  # fmt: skip
        starts = date(self.anchor.year - rng.randint(*since_years), rng.randint(1, 12), 1)
        ends = None
        if link_type == "member-of" and rng.random() < 0.04:
            ends = max(starts, self.anchor - timedelta(days=rng.randint(30, WINDOW_DAYS)))
        created = self.days_ago(rng, WINDOW_DAYS, WINDOW_DAYS + 300)
        self.writer.add(
            OrganisationLink.__table__,
            {
                "id": self.new_id(OrganisationLink.__table__),
                "source_id": source_id,
                "target_id": target_id,
                "link_type": link_type,
                "starts_on": starts,
                "ends_on": ends,
                "notes": "",
                "created_at": created,
                "updated_at": created,
                "version": 1,
            },
        )
