"""What every stage of the demo shares: the run's size and calendar, small helpers for chance
and time, the in-memory records the stages hand each other, and the generator's state.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.demo.catalogue import catalogue
from crm.demo.locales import _NOT_SLUG, countries, locales
from crm.demo.writer import _Writer
from crm.progress import Progress

FRAMEWORK_KEY = "design-mts"
LEAF_CODES = ("1.1", "1.2", "1.3a", "1.3b", "1.3c", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3")
PEOPLE_PER_SCALE = 1_000
OUTREACH_PER_SCALE = 10_000
ENTERPRISES_PER_SCALE = 300
VALUE_CHAIN_PER_SCALE = 60
WINDOW_DAYS = 730  # "the last two years"
AHEAD_DAYS = 182  # events planned about six months ahead


def _weighted(pairs: Sequence[tuple[Any, int]]) -> tuple[list[Any], list[int]]:
    """Values and cumulative weights for ``random.choices``."""
    values, cumulative, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


def _sample(rng: random.Random, pool: Sequence[Any], count: int) -> list[Any]:
    return rng.sample(pool, min(count, len(pool))) if count > 0 else []


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(day: date, hour: int, minute: int, timezone: str) -> datetime:
    """A wall-clock time in ``timezone`` as an aware UTC datetime (what the columns store)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=_zone(timezone)).astimezone(
        UTC
    )


def _workday(day: date) -> date:
    """Move weekends and the Christmas break back to a working day before them.

    Always backwards, so a moment drawn in the past never lands in the future.
    """
    if day.month == 12 and day.day >= 22:
        day = date(day.year, 12, 19)
    elif day.month == 1 and day.day <= 6:
        day = date(day.year - 1, 12, 19)
    weekday = day.weekday()
    return day - timedelta(days=weekday - 4) if weekday > 4 else day


@dataclass(slots=True, eq=False)
class _Org:
    id: int
    name: str
    short: str  # acronym or name, for subjects and titles
    kind: str
    country: str
    language: str
    city: str
    domain: str
    email_style: int
    officer: int
    detail: str = ""  # size class, value-chain role, policy level or other category
    people: list[int] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class _EventPlan:
    kind: str
    title: str
    day: date  # the first day
    days: int
    timezone: str
    country: str | None
    city: str | None
    venue: str | None
    organiser_name: str
    organiser: _Org | None
    our_role: str
    online_url: str | None = None
    hours: tuple[int, int] = (9, 17)  # local start and end hour of timed events

    @property
    def first_moment(self) -> datetime:
        return _local(self.day, self.hours[0], 0, self.timezone)


@dataclass(slots=True, eq=False)
class _PastEvent:
    """A past event that took place, for outreach logged at it with its attendees."""

    id: int
    kind: str
    title: str
    codes: list[str]
    day: date
    days: int
    timezone: str
    hours: tuple[int, int]
    country: str | None
    attendees: list[int]


@dataclass(slots=True, eq=False)
class _Touch:
    """One outreach record before it is written: what a scenario decided."""

    channel: str
    direction: str
    subject: str
    codes: list[str]
    people: list[int]
    orgs: list[int]
    materials: list[int]
    occurred: datetime
    country: str | None
    event_id: int | None = None
    profile: str = "default"  # which outcome distribution applies
    logger: int | None = None  # who logged it, when the scenario decides


class _State:
    """One run of the demo generator; holds the lookups the later stages draw from.

    The stages are mixins of this class (one module each); ``generator._Generator`` combines
    them.
    """

    def __init__(
        self,
        scale: int,
        seed: int,
        anchor: date,
        progress: Progress,
        now: datetime | None = None,
    ) -> None:
        self.scale = scale
        self.seed = seed
        self.anchor = anchor
        self.now = now or datetime.now(UTC)  # the real time of the run (follow-ups due soon)
        self.anchor_at = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
        self.window_start = anchor - timedelta(days=WINDOW_DAYS)
        self.progress = progress
        # The vocabulary, read once per process; every stage draws from these.
        self.countries = countries()
        self.locales = locales()
        self.catalogue = catalogue()
        self.writer = _Writer()
        self.next_ids: dict[str, int] = {}
        self.subitems: dict[str, int] = {}
        self.user_ids: dict[str, int] = {}
        self.officers: list[int] = []
        self.tag_ids: dict[str, int] = {}
        self.materials: dict[str, int] = {}
        self.orgs: list[_Org] = []
        self.by_kind: dict[str, list[_Org]] = {}
        self.by_kind_country: dict[tuple[str, str], list[_Org]] = {}
        self.associations: dict[str, _Org] = {}  # national association by country
        self.domains: set[str] = set()
        self.org_names: set[str] = set()
        self.emails: set[str] = set()
        self.people: list[tuple[str, str, _Org]] = []  # full name, role, current organisation
        self.first_person_id = 0
        self.people_by_role: dict[str, list[int]] = {}
        self.people_by_kind_country: dict[tuple[str, str], list[int]] = {}
        self.people_by_role_country: dict[tuple[str, str], list[int]] = {}
        self.pools: dict[str, list[_Org]] = {}
        self.first_org_id = 0
        self.event_weights: list[int] = []
        self.past_events: list[_PastEvent] = []
        self.audit_rows = 0

    # Helpers -------------------------------------------------------------------------------
    def rng(self, stage: str) -> random.Random:
        """A generator per stage, so that changing one stage does not reshuffle the others."""
        return random.Random(f"crm-demo/{self.seed}/{stage}")

    def new_id(self, table: sa.FromClause) -> int:
        name = cast(sa.Table, table).name
        value = self.next_ids[name]
        self.next_ids[name] = value + 1
        return value

    def days_ago(self, rng: random.Random, low: int, high: int) -> datetime:
        """A moment between ``high`` and ``low`` days before the anchor, to the second."""
        seconds = rng.randrange(low * 86_400, high * 86_400)
        return self.anchor_at - timedelta(seconds=seconds)

    def officer_for(self, country: str) -> int:
        return self.officers[self.countries[country].officer]

    def phone(self, rng: random.Random, country: str) -> str:
        return "".join(
            str(rng.randrange(10)) if ch == "#" else ch for ch in self.countries[country].phone
        )

    def domain(self, base: str) -> str:
        slug = _NOT_SLUG.sub("-", base).strip("-") or "org"
        if len(slug) > 40:
            slug = slug[:40].rsplit("-", 1)[0]
        candidate, n = slug, 1
        while candidate in self.domains:
            n += 1
            candidate = f"{slug}-{n}"
        self.domains.add(candidate)
        return candidate + ".example"

    def person_name(self, person_id: int) -> str:
        return self.people[person_id - self.first_person_id][0]

    def person_org(self, person_id: int) -> _Org:
        return self.people[person_id - self.first_person_id][2]

    def person_role(self, person_id: int) -> str:
        return self.people[person_id - self.first_person_id][1]
