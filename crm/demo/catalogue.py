"""Vocabulary of the demo: the real organisations of the sector and the programme's fixed text.

Associations, policy bodies and other organisations, materials, demo accounts, tags, trade
fairs, event topics, outreach subjects and notes, job titles and lawful-basis sources. The
text lives in crm/demo/data/ (CSV for the flat tables, JSON for the nested ones); here it
becomes one typed, read-once ``Catalogue``. Subjects and titles may hold ``{org}``, ``{who}``,
``{event}``, ``{module}``, ``{language}``, ``{month}``, ``{fair}``, ``{association}`` or
``{year}``, filled in by the stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, get_type_hints

from crm.demo.errors import DemoDataError
from crm.demo.files import integer, integer_text, mapping, member, read_csv, read_json, text, texts


class Association(NamedTuple):
    acronym: str
    name: str
    country: str
    city: str
    language: str


class PolicyBody(NamedTuple):
    name: str
    acronym: str
    body_type: str
    level: str
    country: str
    city: str
    language: str


class OtherOrganisation(NamedTuple):
    name: str
    acronym: str
    category: str
    country: str
    city: str
    language: str


class MaterialSpec(NamedTuple):
    """A material of the demo: one of the programme's own (``seed_key``, loaded by
    ``crm seed``, reused as it is) or one of the demo's (a language version, a checklist)."""

    key: str
    seed_key: str | None
    kind: str | None
    title: str | None
    audience: str | None
    language: str | None


class DemoUser(NamedTuple):
    email: str
    role: str
    full_name: str
    timezone: str


class TradeFair(NamedTuple):
    """A fair held in the years where ``year % every_years == year_remainder``, except those
    where ``year % except_every_years == except_year_remainder`` (EMO: Milano every sixth year,
    Hannover the other odd years). Editions fall on the first ``weekday`` (0 = Monday) on or
    after ``earliest_day`` of ``month``."""

    title: str
    country: str
    city: str
    venue: str
    timezone: str
    month: int
    weekday: int
    earliest_day: int
    days: int
    every_years: int
    year_remainder: int
    except_every_years: int | None
    except_year_remainder: int | None
    organiser: str  # acronym of the national association
    our_role: str

    def held_in(self, year: int) -> bool:
        if year % self.every_years != self.year_remainder:
            return False
        return not (
            self.except_every_years is not None
            and year % self.except_every_years == self.except_year_remainder
        )


@dataclass(frozen=True)
class Catalogue:
    umbrella: Association  # the European association of the national ones
    national_associations: tuple[Association, ...]
    policy_bodies: tuple[PolicyBody, ...]
    other_organisations: tuple[OtherOrganisation, ...]
    organisation_tags: dict[str, tuple[str, ...]]  # by organisation kind
    organisation_notes: dict[str, tuple[str, ...]]
    materials: tuple[MaterialSpec, ...]
    audience_labels: dict[str, str]  # audience of a training module -> words for titles
    demo_users: tuple[DemoUser, ...]  # officers 1-3 look after the countries
    tags: tuple[str, ...]
    person_tags: tuple[str, ...]
    person_notes: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]  # job titles by role (or category of organisation)
    roles: tuple[str, ...]  # roles at enterprises ...
    enterprise_roles: dict[str, tuple[int, ...]]  # ... and their weights by size class
    lawful_basis_sources: dict[str, tuple[str, ...]]
    consent_sources: tuple[str, ...]
    trade_fairs: tuple[TradeFair, ...]
    conferences: tuple[str, ...]
    workshop_topics: tuple[str, ...]
    webinar_topics: tuple[str, ...]
    round_table_topics: tuple[str, ...]
    event_descriptions: dict[str, str]  # by event kind
    subjects: dict[str, tuple[str, ...]]  # outreach subjects by scenario
    event_subjects: dict[str, str]  # outreach subject at an event, by event kind
    outreach_notes: tuple[str, ...]
    follow_up_titles: tuple[str, ...]
    enterprise_follow_up_titles: tuple[str, ...]


def _rows(name: str, row_type: Any, optional: tuple[str, ...] = ()) -> tuple[Any, ...]:
    """The rows of a CSV file as ``row_type``: ints where the type says so, empty -> None for
    the ``optional`` columns."""
    columns = tuple(row_type._fields)
    whole_numbers = {
        column for column, hint in get_type_hints(row_type).items() if hint in (int, int | None)
    }
    result = []
    for line, row in enumerate(read_csv(name, columns), start=2):
        values: dict[str, Any] = {}
        for column, value in row.items():
            if column in optional and value == "":
                values[column] = None
            elif column in whole_numbers:
                values[column] = integer_text(value, f"{name}, line {line}, {column}")
            else:
                values[column] = value
        result.append(row_type(**values))
    return tuple(result)


def _materials() -> tuple[MaterialSpec, ...]:
    """The demo's materials; a row names a seeded material or describes its own, not both."""
    specs = _rows("materials.csv", MaterialSpec, optional=MaterialSpec._fields[1:])
    for line, spec in enumerate(specs, start=2):
        own = (spec.kind, spec.title, spec.audience, spec.language)
        if spec.seed_key is not None and any(own):
            raise DemoDataError(
                f"materials.csv, line {line}: a seeded material ({spec.seed_key}) takes its "
                "kind, title, audience and language from crm seed; leave them empty"
            )
        if spec.seed_key is None and not (spec.kind and spec.title and spec.language):
            raise DemoDataError(
                f"materials.csv, line {line}: give a seed_key or the kind, title and language"
            )
    return specs


def _texts_by_key(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    return {key: texts(items, f"{where}.{key}") for key, items in mapping(value, where).items()}


def _text_by_key(value: Any, where: str) -> dict[str, str]:
    return {key: text(item, f"{where}.{key}") for key, item in mapping(value, where).items()}


def _section(name: str) -> Callable[[str], Any]:
    """A reader of the members of a JSON object file, whose messages name the file."""
    data = mapping(read_json(name), name)

    def get(key: str) -> Any:
        return member(data, key, name)

    return get


@cache
def catalogue() -> Catalogue:
    """The catalogue from crm/demo/data/, read and checked once."""
    organisations = _section("organisations.json")
    people = _section("people.json")
    events = _section("events.json")
    outreach = _section("outreach.json")
    general = _section("catalogue.json")
    umbrella = mapping(organisations("umbrella"), "organisations.json: umbrella")
    enterprise_roles = mapping(people("enterprise_roles"), "people.json: enterprise_roles")
    roles = texts(people("roles"), "people.json: roles")
    weights = {}
    for size, values in enterprise_roles.items():
        where = f"people.json: enterprise_roles.{size}"
        if not isinstance(values, list) or len(values) != len(roles):
            raise DemoDataError(f"{where}: expected {len(roles)} weights, one per role")
        weights[size] = tuple(integer(v, f"{where}[{n}]") for n, v in enumerate(values))
    return Catalogue(
        umbrella=Association(
            **{
                field: text(
                    member(umbrella, field, "organisations.json: umbrella"),
                    f"organisations.json: umbrella.{field}",
                )
                for field in Association._fields
            }
        ),  # fmt: skip
        national_associations=_rows("national-associations.csv", Association),
        policy_bodies=_rows("policy-bodies.csv", PolicyBody),
        other_organisations=_rows("other-organisations.csv", OtherOrganisation),
        organisation_tags=_texts_by_key(organisations("tags"), "organisations.json: tags"),
        organisation_notes=_texts_by_key(organisations("notes"), "organisations.json: notes"),
        materials=_materials(),
        audience_labels=_text_by_key(general("audiences"), "catalogue.json: audiences"),
        demo_users=_rows("demo-users.csv", DemoUser),
        tags=texts(general("tags"), "catalogue.json: tags"),
        person_tags=texts(people("tags"), "people.json: tags"),
        person_notes=texts(people("notes"), "people.json: notes"),
        titles=_texts_by_key(people("titles"), "people.json: titles"),
        roles=roles,
        enterprise_roles=weights,
        lawful_basis_sources=_texts_by_key(
            people("lawful_basis_sources"), "people.json: lawful_basis_sources"
        ),
        consent_sources=texts(people("consent_sources"), "people.json: consent_sources"),
        trade_fairs=_rows(
            "trade-fairs.csv",
            TradeFair,
            optional=("except_every_years", "except_year_remainder"),
        ),
        conferences=texts(events("conferences"), "events.json: conferences"),
        workshop_topics=texts(events("workshop_topics"), "events.json: workshop_topics"),
        webinar_topics=texts(events("webinar_topics"), "events.json: webinar_topics"),
        round_table_topics=texts(events("round_table_topics"), "events.json: round_table_topics"),
        event_descriptions=_text_by_key(events("descriptions"), "events.json: descriptions"),
        subjects=_texts_by_key(outreach("subjects"), "outreach.json: subjects"),
        event_subjects=_text_by_key(outreach("event_subjects"), "outreach.json: event_subjects"),
        outreach_notes=texts(outreach("notes"), "outreach.json: notes"),
        follow_up_titles=texts(outreach("follow_up_titles"), "outreach.json: follow_up_titles"),
        enterprise_follow_up_titles=texts(
            outreach("enterprise_follow_up_titles"), "outreach.json: enterprise_follow_up_titles"
        ),
    )
