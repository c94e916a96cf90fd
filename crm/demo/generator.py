"""The demo run as a whole: the refusal rules, the stages in order, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from crm.demo.base import FRAMEWORK_KEY, LEAF_CODES, WINDOW_DAYS
from crm.demo.catalogue import catalogue
from crm.demo.errors import DemoDataError, DemoRefused
from crm.demo.events import _Events
from crm.demo.locales import countries, locales
from crm.demo.organisations import _Organisations
from crm.demo.outreach import _Outreach
from crm.demo.people import _People
from crm.demo.writer import _ID_TABLES
from crm.extensions import db
from crm.models import (
    AuditAction,
    Base,
    CommitmentItem,
    Country,
    Framework,
    Language,
    Material,
    MaterialAudience,
    Organisation,
    Person,
    Role,
    Tag,
    Target,
    User,
)
from crm.models.base import table_of
from crm.models.targets import SMES
from crm.progress import Progress
from crm.services import audit, search_index
from crm.services.accounts import hash_password
from crm.services.coverage import kept as coverage_kept
from crm.services.materials import seed_materials
from crm.services.outreach import facets as outreach_facets


@dataclass
class DemoReport:
    """What ``generate_demo`` created: rows per table and the demo accounts to sign in with."""

    scale: int
    seed: int
    anchor: date
    rows: dict[str, int] = field(default_factory=dict)
    users: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def describe(self) -> str:
        parts = ", ".join(f"{count:,} {table}" for table, count in self.rows.items() if count)
        return (
            f"demo data (scale {self.scale}, seed {self.seed}, dated up to "
            f"{self.anchor.isoformat()}): {self.total:,} rows: {parts}"
        )


class _Generator(_Organisations, _People, _Events, _Outreach):
    """One run of the demo generator: the stages (mixins of ``base._State``) in order."""

    # Reference data ------------------------------------------------------------------------
    def load_reference(self) -> None:
        for table in _ID_TABLES:
            highest = db.session.scalar(sa.select(sa.func.max(table.c.id)))
            self.next_ids[table.name] = (highest or 0) + 1
        rows = db.session.execute(
            sa.select(CommitmentItem.code, CommitmentItem.id)
            .join(Framework, Framework.id == CommitmentItem.framework_id)
            .where(Framework.key == FRAMEWORK_KEY)
        )
        self.subitems = {code: item_id for code, item_id in rows}

    def create_users(self, password: str) -> list[tuple[str, str]]:
        hashed = hash_password(password)  # once: argon2 is slow on purpose
        since = self.anchor_at - timedelta(days=WINDOW_DAYS + 30)
        users = [
            User(
                email=email,
                role=Role(role),
                full_name=name,
                timezone=timezone,
                password_hash=hashed,
                created_at=since,
                updated_at=since,
                password_changed_at=since,
            )
            for email, role, name, timezone in self.catalogue.demo_users
        ]
        db.session.add_all(users)
        db.session.flush()
        for user in users:
            audit.record(
                AuditAction.CREATE,
                "user",
                user.id,
                None,
                {"email": [None, user.email], "role": [None, user.role.value]},
                summary="demo account",
            )
            self.user_ids[user.email.split("@")[0]] = user.id
        self.audit_rows += len(users)
        self.officers = [self.user_ids[f"officer{n}"] for n in (1, 2, 3)]
        return [(user.email, user.role.value) for user in users]

    def create_tags_and_materials(self) -> None:
        existing = {
            name: tag_id for name, tag_id in db.session.execute(sa.select(Tag.name, Tag.id))
        }
        for name in self.catalogue.tags:
            if name in existing:
                self.tag_ids[name] = existing[name]
                continue
            tag_id = self.new_id(Tag.__table__)
            self.writer.add(Tag.__table__, {"id": tag_id, "name": name})
            self.tag_ids[name] = tag_id
        published = self.anchor_at - timedelta(days=WINDOW_DAYS + 20)
        seeded = {
            key: material_id
            for key, material_id in db.session.execute(
                sa.select(Material.key, Material.id).where(Material.key.is_not(None))
            )
        }
        for spec in self.catalogue.materials:
            if spec.seed_key is not None:
                if spec.seed_key not in seeded:
                    raise DemoDataError(
                        f"materials.csv: {spec.key} is the seeded material {spec.seed_key}, "
                        "which crm seed does not load"
                    )
                self.materials[spec.key] = seeded[spec.seed_key]
                continue
            material_id = self.new_id(Material.__table__)
            slug = spec.key.replace(":", "-")
            self.writer.add(
                Material.__table__,
                {
                    "id": material_id,
                    "kind": spec.kind,
                    "title": spec.title,
                    "language_code": spec.language,
                    "url": f"https://design-mts.example/materials/{slug}",
                    "description": "Produced by the DESIGN-MTS programme.",
                    "created_at": published,
                    "updated_at": published,
                    "version": 1,
                },
            )
            if spec.audience:
                self.writer.add(
                    MaterialAudience.__table__,
                    {"material_id": material_id, "audience": spec.audience},
                )
            self.materials[spec.key] = material_id

    # Targets -------------------------------------------------------------------------------
    def create_targets(self) -> None:
        created = self.anchor_at - timedelta(days=WINDOW_DAYS + 10)
        affiliates = len(self.by_kind.get("affiliate", []))
        specs = (
            ("1.1", "outreach-logged", None, None, 1500 * self.scale,
             "Dissemination actions logged"),
            ("1.2", "people-reached", None, None, 300 * self.scale,
             "People trained with the DESIGN-MTS modules"),
            ("1.3a", "organisations-engaged", "national-association", None, 12,
             "National associations engaged"),
            ("1.3a", "organisations-engaged", "affiliate", None, max(1, int(affiliates * 0.6)),
             "Affiliates engaged"),
            ("1.3b", "organisations-engaged", "enterprise", None, 200 * self.scale,
             "Enterprises engaged"),
            ("1.3c", "events-attended", None, None, 10 * self.scale,
             "Strategic sectoral events attended"),
            ("2.1", "organisations-engaged", "enterprise", None, 120 * self.scale,
             "Enterprises assisted with the guidelines"),
            ("2.2", "smes-reached", None, SMES, 150 * self.scale, "SMEs reached"),
            ("2.3", "organisations-engaged", "value-chain-partner", None, 40 * self.scale,
             "Value-chain partners engaged"),
            ("3.1", "outreach-logged", None, None, 150 * self.scale,
             "Platform coordination actions logged"),
            ("3.2", "organisations-engaged", "policy-body", None, 20,
             "Policy bodies engaged"),
            ("3.3", "outreach-logged", None, None, 80 * self.scale,
             "Monitoring actions logged"),
        )  # fmt: skip
        for year, factor in ((self.anchor.year - 1, 0.8), (self.anchor.year, 1.0),
                             (self.anchor.year + 1, 1.2)):  # fmt: skip
            for code, metric, kind, sizes, value, description in specs:
                self.writer.add(
                    Target.__table__,
                    {
                        "id": self.new_id(Target.__table__),
                        "commitment_item_id": self.subitems[code],
                        "period_start": date(year, 1, 1),
                        "period_end": date(year, 12, 31),
                        "metric": metric,
                        "organisation_kind": kind,
                        "size_classes": sizes or frozenset(),
                        "target_value": max(1, round(value * factor)),
                        "description": f"{description} in {year}",
                        "created_at": created,
                        "updated_at": created,
                        "version": 1,
                    },
                )

    # The whole run -------------------------------------------------------------------------
    def load_programme_materials(self) -> dict[str, int]:
        """The programme's own materials, which the demo reuses: ``crm seed`` loads them, and
        a database seeded before they existed gets them here. Returns the rows it added."""
        tables = [table_of(model) for model in (Material, MaterialAudience)]

        def rows() -> dict[str, int]:
            return {
                table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
                for table in tables
            }

        before = rows()
        seed_materials()
        return {name: n - before[name] for name, n in rows().items() if n > before[name]}

    def run(self, password: str) -> DemoReport:
        loaded = self.load_programme_materials()  # before the ids of the demo's own rows
        self.load_reference()
        report = DemoReport(scale=self.scale, seed=self.seed, anchor=self.anchor)
        report.users = self.create_users(password)
        self.create_tags_and_materials()
        self.create_organisations()
        self.create_people()
        self.create_events()
        self.create_outreach()
        self.create_planned_follow_ups()
        self.create_soon_follow_ups()
        self.create_targets()
        self.writer.flush()
        search_index.rebuild()
        outreach_facets.rebuild()
        coverage_kept.rebuild()
        # Fresh statistics after a bulk load: without them SQLite's planner walks partial
        # indexes row by row where a plain scan is ten times faster (people search).
        db.session.execute(sa.text("ANALYZE"))
        if db.session.get_bind().dialect.name == "postgresql":
            for table in _ID_TABLES:
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT max(id) FROM {table.name}))"
                    )
                )
        counts = {"users": len(report.users), **self.writer.counts}
        counts["audit_log"] = self.audit_rows + 1
        for name, added in loaded.items():
            counts[name] = counts.get(name, 0) + added
        rank = {table.name: n for n, table in enumerate(Base.metadata.sorted_tables)}
        report.rows = dict(sorted(counts.items(), key=lambda item: rank[item[0]]))
        audit.record(
            AuditAction.DEMO,
            "database",
            None,
            None,
            {
                "scale": self.scale,
                "seed": self.seed,
                "anchor": self.anchor.isoformat(),
                "rows": report.rows,
            },
            summary=report.describe(),
        )
        db.session.flush()
        return report


def _refuse_unless_ready() -> None:
    """Demo data goes into an empty, seeded database only: never mixed with real records."""
    for model, one, many in (
        (Organisation, "organisation", "organisations"),
        (Person, "person", "people"),
    ):
        count = db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0
        if count:
            raise DemoRefused(
                f"the database already holds {count:,} {one if count == 1 else many}; "
                "crm demo fills an empty database only"
            )
    codes = set(
        db.session.scalars(
            sa.select(CommitmentItem.code)
            .join(Framework, Framework.id == CommitmentItem.framework_id)
            .where(Framework.key == FRAMEWORK_KEY)
        )
    )
    if not set(LEAF_CODES) <= codes:
        raise DemoRefused("the DESIGN-MTS commitment framework is not loaded: run crm seed first")
    seeded_countries = set(db.session.scalars(sa.select(Country.code)))
    seeded_languages = set(db.session.scalars(sa.select(Language.code)))
    if not set(countries()) <= seeded_countries or not set(locales()) <= seeded_languages:
        raise DemoRefused("the countries and languages are not loaded: run crm seed first")
    emails = [user.email for user in catalogue().demo_users]
    taken = db.session.scalars(sa.select(User.email).where(User.email.in_(emails))).first()
    if taken:
        raise DemoRefused(
            f"the demo account {taken} already exists; crm demo fills an empty database only"
        )


def generate_demo(
    scale: int,
    seed: int,
    password: str,
    progress: Progress,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> DemoReport:
    """Fill an empty, seeded database with demo data; the caller commits.

    ``today`` anchors the calendar (default: today in UTC); the same seed, scale and day
    always give the same rows, but for the times of the few follow-ups due in the hours
    after ``now`` (default: the real time of the run), which the scheduler sends at once.
    """
    if scale < 1:
        raise ValueError("scale must be at least 1")
    _refuse_unless_ready()
    moment = now or datetime.now(UTC)
    anchor = today or moment.date()
    return _Generator(scale, seed, anchor, progress, moment).run(password)
