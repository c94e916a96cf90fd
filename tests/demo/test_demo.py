"""crm demo: deterministic, realistic data, only ever in an empty, seeded database."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy

from crm.cli import cli
from crm.demo import DemoRefused, DemoReport, generate_demo
from crm.demo.followups import SOON, SOON_HOLDERS, SOON_NOTE
from crm.models import (
    AuditEntry,
    Base,
    CommitmentItem,
    ConsentRecord,
    Event,
    EventParticipant,
    FollowUp,
    FollowUpStatus,
    Framework,
    Material,
    Organisation,
    OrganisationLink,
    Outreach,
    Person,
    Position,
    Reminder,
    Target,
    User,
    event_subitems,
    outreach_materials,
    outreach_organisations,
    outreach_people,
    outreach_subitems,
)
from crm.models.followups import due_key
from crm.progress import NullProgress, Progress
from crm.services import accounts
from crm.services.register import size_class_for
from crm.services.text import normalise_text
from tests import factories

PASSWORD = "demo passphrase 2027"
DAY = date(2026, 11, 25)
NATIONAL = {
    "VDW", "UCIMU", "AFM", "SYMOP", "MTA", "Swissmem", "SST", "FPT-VIMAG", "AIMMAP", "Agoria",
}  # fmt: skip


def _generate(
    seed: int = 2027,
    today: date | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> DemoReport:
    return generate_demo(
        scale=1,
        seed=seed,
        password=PASSWORD,
        progress=progress or NullProgress(),
        today=today,
        now=now,
    )


def _soon(db: SQLAlchemy) -> list[tuple[Any, ...]]:
    """The follow-ups due soon after the run: what the seed chose, then their due time
    (assignees by e-mail: PostgreSQL gives the accounts of a second run new ids)."""
    return _rows(
        db,
        sa.select(
            FollowUp.title,
            User.email,
            FollowUp.organisation_id,
            FollowUp.person_id,
            FollowUp.due_zone,
            FollowUp.due_at,
        )
        .join(User, User.id == FollowUp.assignee_id)
        .where(FollowUp.notes == SOON_NOTE)
        .order_by(FollowUp.id),
    )


def _rows(db: SQLAlchemy, query: sa.Select[Any]) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in db.session.execute(query)]


def _count(db: SQLAlchemy, table: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0


def _sample(db: SQLAlchemy) -> dict[str, list[tuple[Any, ...]]]:
    return {
        "organisations": _rows(
            db,
            sa.select(Organisation.name, Organisation.kind, Organisation.headcount)
            .order_by(Organisation.id)
            .limit(20),
        ),
        "people": _rows(
            db, sa.select(Person.email, Person.last_name).order_by(Person.id).limit(20)
        ),
        "outreach": _rows(
            db,
            sa.select(Outreach.occurred_at, Outreach.channel, Outreach.subject)
            .order_by(Outreach.id)
            .limit(20),
        ),
        "events": _rows(
            db, sa.select(Event.title, Event.starts_at, Event.start_date).order_by(Event.id)
        ),
        "follow_ups": _rows(
            db,
            sa.select(FollowUp.title, FollowUp.due_at, FollowUp.status)
            .order_by(FollowUp.id)
            .limit(20),
        ),
    }


def _counts(db: SQLAlchemy) -> dict[str, int]:
    return {table.name: _count(db, table) for table in Base.metadata.sorted_tables}


@pytest.mark.slow  # generates the demo twice
def test_the_same_seed_gives_the_same_data(app: Flask, db: SQLAlchemy) -> None:
    before = _counts(db)  # the seeded reference data, the programme's materials among it
    ran_at = datetime(2026, 11, 25, 14, 7, 33, tzinfo=UTC)
    first = _generate(today=DAY, now=ran_at)
    counts = {name: _count(db, sa.table(name)) - before[name] for name in first.rows}
    assert counts == first.rows  # the report tells the truth
    sample = _sample(db)
    assert len(sample["organisations"]) == len(sample["people"]) == 20
    soon = _soon(db)
    db.session.rollback()
    assert _count(db, Organisation) == 0 and _count(db, User) == 0

    # The same day three hours later: the same rows, but for the times of those due soon.
    second = _generate(today=DAY, now=ran_at + timedelta(hours=3))
    assert second.rows == first.rows
    assert second.users == first.users
    assert {name: _count(db, sa.table(name)) - before[name] for name in first.rows} == counts
    assert _sample(db) == sample
    later = _soon(db)
    assert [row[:-1] for row in later] == [row[:-1] for row in soon]
    assert {b[-1] - a[-1] for a, b in zip(soon, later, strict=True)} == {timedelta(hours=3)}
    db.session.rollback()

    _generate(seed=2028, today=DAY)
    other = _sample(db)
    assert other["people"] != sample["people"]
    assert other["organisations"][14:] != sample["organisations"][14:]  # after the real ones


def test_refuses_a_database_that_holds_organisations(app: Flask, db: SQLAlchemy) -> None:
    factories.make_organisation()
    message = "already holds 1 organisation; crm demo fills an empty database only"
    with pytest.raises(DemoRefused, match=message):
        _generate()
    assert _count(db, User) == 0


def test_refuses_a_database_that_holds_people(app: Flask, db: SQLAlchemy) -> None:
    factories.make_person()
    factories.make_person()
    with pytest.raises(DemoRefused, match="already holds 2 people"):
        _generate()


def test_refuses_when_a_demo_account_exists(app: Flask, db: SQLAlchemy) -> None:
    factories.make_user(email="officer2@demo.example")
    with pytest.raises(DemoRefused, match="officer2@demo.example already exists"):
        _generate()


def test_refuses_before_the_framework_is_seeded(app: Flask, db: SQLAlchemy) -> None:
    db.session.execute(sa.delete(CommitmentItem))
    db.session.execute(sa.delete(Framework))
    with pytest.raises(DemoRefused, match="run crm seed first"):
        _generate()


def test_a_database_seeded_before_the_materials_existed_gets_them(
    app: Flask, db: SQLAlchemy
) -> None:
    db.session.execute(sa.delete(Material))  # as crm seed left it before it loaded materials
    report = _generate()
    materials = db.session.scalars(sa.select(Material)).all()
    assert report.rows["materials"] == len(materials)  # the report counts them too
    keyed = {m.key: m.id for m in materials if m.key}
    assert set(keyed) == {
        "guidelines", "module:owners-managers", "module:employees-worker-representatives",
        "module:association-staff", "help-desk", "position-paper", "policy-recommendations",
    }  # fmt: skip
    used = set(db.session.scalars(sa.select(outreach_materials.c.material_id)))
    assert {keyed["guidelines"], keyed["module:owners-managers"]} <= used  # reused, not copied
    assert len([m for m in materials if m.kind.value == "position-paper"]) == 1


class Recorder(Progress):
    def __init__(self) -> None:
        self.stages: list[tuple[str, int, int]] = []
        self.open = False

    def start(self, label: str, total: int) -> None:
        assert not self.open, "a stage started before the previous one finished"
        self.stages.append((label, total, 0))
        self.open = True

    def advance(self, n: int = 1) -> None:
        label, total, done = self.stages[-1]
        self.stages[-1] = (label, total, done + n)

    def finish(self) -> None:
        self.open = False


def test_the_register_is_realistic_and_consistent(app: Flask, db: SQLAlchemy) -> None:
    progress = Recorder()
    report = _generate(progress=progress)
    assert [label for label, _, _ in progress.stages] == [
        "organisations",
        "people",
        "events",
        "outreach",
    ]
    assert all(total == done for _, total, done in progress.stages), progress.stages
    assert not progress.open
    assert "\n" not in report.describe()
    assert "10,000 outreach_records" in report.describe()

    # Demo accounts: one of each role, three officers, all with the given password.
    users = db.session.scalars(sa.select(User).order_by(User.id)).all()
    assert report.users == [(u.email, u.role.value) for u in users]
    assert Counter(role for _, role in report.users) == {
        "admin": 1, "coordinator": 1, "officer": 3, "organiser": 1, "viewer": 1,
    }  # fmt: skip
    assert all(" " in u.full_name for u in users)
    assert len({u.password_hash for u in users}) == 1  # hashed once
    assert accounts.verify_password(users[0], PASSWORD)

    # The real associations, members of their European umbrella; affiliates linked to them.
    organisations = db.session.scalars(sa.select(Organisation)).all()
    by_id = {o.id: o for o in organisations}
    kinds = Counter(o.kind.value for o in organisations)
    assert set(kinds) == {
        "national-association", "affiliate", "enterprise", "value-chain-partner",
        "policy-body", "other",
    }  # fmt: skip
    associations = {o.acronym: o for o in organisations if o.kind.value == "national-association"}
    assert NATIONAL | {"CECIMO", "MIB"} <= set(associations)
    assert "UCIMU-Sistemi per Produrre" in {o.name for o in organisations}
    links = _rows(
        db,
        sa.select(
            OrganisationLink.source_id, OrganisationLink.target_id, OrganisationLink.link_type
        ),
    )
    members_of_cecimo = {
        source for source, target, kind in links
        if target == associations["CECIMO"].id and kind.value == "member-of"
    }  # fmt: skip
    assert {associations[a].id for a in NATIONAL} <= members_of_cecimo
    affiliated = {source for source, target, kind in links if kind.value == "affiliate-of"}
    assert affiliated == {o.id for o in organisations if o.kind.value == "affiliate"}
    assert all(
        by_id[target].kind.value == "national-association"
        for source, target, kind in links
        if kind.value == "affiliate-of"
    )
    assert any(
        by_id[source].kind.value == "enterprise" and kind.value == "member-of"
        for source, _, kind in links
    )

    # Enterprises: an SME-heavy mix whose size class follows from headcount and turnover.
    enterprises = [o for o in organisations if o.kind.value == "enterprise"]
    sizes = Counter(o.size_class.value for o in enterprises)
    assert set(sizes) == {"micro", "small", "medium", "large"}
    assert 0.45 < sizes["micro"] / len(enterprises) < 0.65
    for enterprise in enterprises:
        assert enterprise.size_class.value == size_class_for(enterprise.headcount)
        ceiling = {"micro": 2e6, "small": 1e7, "medium": 5e7}.get(enterprise.size_class.value)
        assert enterprise.turnover_eur > 0
        assert ceiling is None or enterprise.turnover_eur <= ceiling
    others = [o for o in organisations if o.kind.value != "enterprise"]
    assert all(o.size_class is None and o.headcount is None for o in others)
    policy = [o for o in organisations if o.kind.value == "policy-body"]
    assert {o.policy_level.value for o in policy} == {"eu", "national", "regional", "local"}
    assert all(o.policy_body_type is not None for o in policy)
    partners = [o for o in organisations if o.kind.value == "value-chain-partner"]
    assert len({o.value_chain_role for o in partners}) == 6
    other = [o for o in organisations if o.kind.value == "other"]
    assert len({o.other_category for o in other}) == 4

    assert len({o.country_code for o in organisations}) >= 10
    assert all(o.name_normalised == normalise_text(o.name) for o in organisations)
    assert sum(any(ord(ch) > 127 for ch in o.name) for o in enterprises) > 30  # Müller, Cantù

    # People: everyone holds a position that fits the organisation; some changed jobs.
    assert _count(db, Person) == 1_000
    emails = _rows(db, sa.select(Person.email, Person.email_normalised))
    assert len({email for email, _ in emails}) == 1_000
    assert all(normalised == email.lower() == email for email, normalised in emails)
    positions = _rows(
        db,
        sa.select(
            Position.person_id,
            Position.organisation_id,
            Position.role,
            Position.starts_on,
            Position.ends_on,
        ),
    )
    current = Counter(person for person, _, _, _, ends in positions if ends is None)
    assert set(current.values()) == {1} and len(current) == 1_000
    ended = [p for p in positions if p[4] is not None]
    assert ended, "some people should have a past position"
    for person, org, _, starts, ends in ended:
        assert starts <= ends < date.today()
        assert any(
            p[0] == person and p[1] != org and p[4] is None and p[3] > ends for p in positions
        )
    allowed = {
        "national-association": {"association-staff"},
        "affiliate": {"association-staff"},
        "enterprise": {"employer-owner", "manager", "employee", "worker-representative"},
        "value-chain-partner": {"employer-owner", "manager", "employee"},
        "policy-body": {"policy-maker"},
        "other": {"worker-representative", "other"},
    }
    for _, org, role, _, _ in positions:
        assert role.value in allowed[by_id[org].kind.value]
    bases = Counter(db.session.scalars(sa.select(Person.lawful_basis)))
    assert bases.most_common(1)[0][0].value == "legitimate-interest"
    assert db.session.scalar(sa.select(sa.func.min(sa.func.length(Person.lawful_basis_source))))
    consenting = set(
        db.session.scalars(sa.select(Person.id).where(Person.lawful_basis == "consent"))
    )
    granted = set(
        db.session.scalars(
            sa.select(ConsentRecord.person_id).where(ConsentRecord.status == "granted")
        )
    )
    assert consenting and consenting <= granted

    materials = db.session.scalars(sa.select(Material)).all()
    assert {a.value for m in materials for a in m.audiences} == {
        "employer-owner", "manager", "employee", "worker-representative", "association-staff",
    }  # fmt: skip
    assert {"guidelines", "position-paper", "policy-recommendations"} <= {
        m.kind.value for m in materials
    }

    # After bulk inserts with our own ids, new rows still get fresh ids (PostgreSQL sequences).
    extra = factories.make_organisation()
    assert extra.id > max(by_id)


def test_activity_is_dated_and_linked_consistently(app: Flask, db: SQLAlchemy) -> None:
    report = _generate()
    now = datetime.now(UTC)
    today = datetime.combine(now.date(), datetime.min.time(), UTC)
    child = sa.orm.aliased(CommitmentItem)
    leaves = set(
        db.session.scalars(
            sa.select(CommitmentItem.id).where(
                ~sa.exists().where(child.parent_id == CommitmentItem.id)
            )
        )
    )
    codes = dict(_rows(db, sa.select(CommitmentItem.id, CommitmentItem.code)))
    assert len(leaves) == 11

    # Outreach: within the last two years, on leaves, reaching someone, logged by staff.
    assert _count(db, Outreach) == 10_000
    outreach = {
        row[0]: row
        for row in _rows(
            db,
            sa.select(
                Outreach.id,
                Outreach.occurred_at,
                Outreach.created_at,
                Outreach.channel,
                Outreach.event_id,
                Outreach.logged_by_id,
            ),
        )
    }
    served: dict[int, set[str]] = {}
    for outreach_id, item_id in _rows(
        db, sa.select(outreach_subitems.c.outreach_id, outreach_subitems.c.commitment_item_id)
    ):
        assert item_id in leaves
        served.setdefault(outreach_id, set()).add(codes[item_id])
    assert set(served) == set(outreach)
    reached = set(db.session.scalars(sa.select(outreach_people.c.outreach_id))) | set(
        db.session.scalars(sa.select(outreach_organisations.c.outreach_id))
    )
    assert reached == set(outreach)
    for _, occurred, created, _, _, _ in outreach.values():
        assert now - timedelta(days=731) <= occurred <= now
        assert occurred <= created <= now
    staff = dict(_rows(db, sa.select(User.id, User.role)))
    loggers = {row[5] for row in outreach.values()}
    assert {staff[user].value for user in loggers} <= {"officer", "coordinator", "organiser"}

    # Sub-items follow the stakeholder reached directly (no event, a personal channel).
    kinds = dict(_rows(db, sa.select(Organisation.id, Organisation.kind)))
    orgs_of: dict[int, set[str]] = {}
    for outreach_id, org_id in _rows(
        db,
        sa.select(outreach_organisations.c.outreach_id, outreach_organisations.c.organisation_id),
    ):
        orgs_of.setdefault(outreach_id, set()).add(kinds[org_id].value)
    expected = {
        "enterprise": "1.3b", "national-association": "1.3a", "affiliate": "1.3a",
        "policy-body": "3.2", "value-chain-partner": "2.3",
    }  # fmt: skip
    checked = 0
    for outreach_id, (_, _, _, channel, event_id, _) in outreach.items():
        reached_kinds = orgs_of.get(outreach_id, set())
        if event_id is None and channel.value in ("email", "call", "meeting"):
            if len(reached_kinds) == 1 and (kind := next(iter(reached_kinds))) in expected:
                assert expected[kind] in served[outreach_id], (outreach_id, kind)
                checked += 1
        if channel.value == "help-desk":
            assert "2.1" in served[outreach_id]
    assert checked > 5_000

    # Events: two years back, about six months ahead; fairs all-day, the rest timed.
    events = db.session.scalars(sa.select(Event)).all()
    titles = " ".join(e.title for e in events)
    for fair in ("EMO", "METAV", "BIEMH", "MACH", "LAMIERA"):
        assert fair in titles
    ahead = []
    for event in events:
        if event.is_all_day:
            assert event.kind.value == "trade-fair"
            assert event.starts_at is None and event.start_date <= event.end_date
            first = datetime.combine(event.start_date, datetime.min.time(), UTC)
        else:
            assert event.start_date is None and event.starts_at <= event.ends_at
            ZoneInfo(event.timezone)
            first = event.starts_at
        assert now - timedelta(days=731) <= first <= now + timedelta(days=190)
        if first > now:
            ahead.append(event)
    assert ahead and any(e.status.value == "planned" for e in ahead)
    past = [e for e in events if e not in ahead and e.status.value == "confirmed"]
    assert sum(e.is_published for e in past) > 0.7 * len(past)
    assert {event_id for (event_id,) in _rows(db, sa.select(event_subitems.c.event_id))} == {
        e.id for e in events
    }
    assert all(
        item_id in leaves
        for item_id in db.session.scalars(sa.select(event_subitems.c.commitment_item_id))
    )
    attended = set(
        db.session.scalars(
            sa.select(EventParticipant.event_id).where(EventParticipant.attendance == "attended")
        )
    )
    assert attended and attended <= {e.id for e in events if e not in ahead}
    by_id = {e.id: e for e in events}
    at_events = [row for row in outreach.values() if row[4] is not None]
    assert at_events
    for _, occurred, _, _, event_id, _ in at_events:
        event = by_id[event_id]
        if event.is_all_day:
            assert event.start_date <= occurred.date() <= event.end_date
        else:
            assert event.starts_at <= occurred <= event.ends_at

    # Follow-ups: about one per ten outreach records; some overdue and still open.
    follow_ups = db.session.scalars(sa.select(FollowUp)).all()
    assert 800 <= len(follow_ups) <= 1_400
    overdue = [f for f in follow_ups if f.status.value == "open" and f.due_at < now]
    upcoming = [f for f in follow_ups if f.status.value == "open" and f.due_at > now]
    assert len(overdue) > 20 and len(upcoming) > 20
    for follow_up in follow_ups:
        assert (follow_up.status.value == "done") == (follow_up.completed_at is not None)
        assert staff[follow_up.assignee_id].value in ("officer", "organiser", "coordinator")
    status_of = {f.id: f.status.value for f in follow_ups}
    pending = db.session.scalars(sa.select(Reminder).where(Reminder.status == "pending")).all()
    assert pending
    assert all(status_of[r.follow_up_id] == "open" and r.remind_at >= today for r in pending)

    # Targets per sub-item and year; the audit log has the accounts and one summary.
    targets = db.session.scalars(sa.select(Target)).all()
    this_year = [t for t in targets if t.period_start == date(today.year, 1, 1)]
    assert any(
        codes[t.commitment_item_id] == "1.3a"
        and t.organisation_kind.value == "national-association"
        and t.target_value == 12
        for t in this_year
    )
    assert any(
        t.metric == "smes-reached" and t.size_classes == {"micro", "small", "medium"}
        for t in this_year
    )
    assert {codes[t.commitment_item_id] for t in this_year} == {codes[i] for i in leaves}
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert Counter(e.action for e in entries) == {"create": 7, "demo": 1}
    summary = next(e for e in entries if e.action == "demo")
    assert summary.changes["rows"] == report.rows


def test_the_command_fills_an_empty_database(runner: FlaskCliRunner, db: SQLAlchemy) -> None:
    result = runner.invoke(cli, ["demo", "--password", PASSWORD, "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "1,000 people" in result.output
    assert "officer      officer3@demo.example" in result.output
    assert _count(db, Organisation) > 400

    again = runner.invoke(cli, ["demo", "--password", PASSWORD])
    assert again.exit_code != 0
    assert "crm demo fills an empty database only" in again.output


def test_follow_ups_fall_due_in_the_hours_after_the_run(app: Flask, db: SQLAlchemy) -> None:
    """For each officer and the coordinator, four open follow-ups due 10 minutes to 5 hours
    after the real time of the run (not the anchor day), at whole minutes in their own time
    zone, each with its due reminder pending at that moment: what ``crm scheduler`` sends
    first."""
    ran_at = datetime(2026, 3, 29, 0, 55, 12, tzinfo=UTC)  # the night Europe moves its clocks
    _generate(today=date(2026, 3, 20), now=ran_at)
    users = {user.email.split("@")[0]: user for user in db.session.scalars(sa.select(User))}
    soon = db.session.scalars(
        sa.select(FollowUp).where(FollowUp.notes == SOON_NOTE).order_by(FollowUp.id)
    ).all()
    assert len(soon) == len(SOON_HOLDERS) * len(SOON)
    first_minute = datetime(2026, 3, 29, 0, 56, tzinfo=UTC)
    for holder in SOON_HOLDERS:
        user = users[holder]
        theirs = [f for f in soon if f.assignee_id == user.id]
        assert [f.due_at for f in theirs] == [first_minute + offset for offset in SOON]
        for follow_up in theirs:
            assert follow_up.status == FollowUpStatus.OPEN
            assert follow_up.due_zone == user.timezone
            local = follow_up.due_at.astimezone(ZoneInfo(user.timezone))
            assert (follow_up.due_date, follow_up.due_time) == (local.date(), local.time())
            assert follow_up.organisation_id is not None
            assert follow_up.created_by_id == user.id
            (reminder,) = follow_up.reminders
            assert (reminder.status.value, reminder.kind.value) == ("pending", "due")
            assert reminder.remind_at == follow_up.due_at
            assert reminder.recipient_id == user.id
            assert reminder.key == due_key(follow_up.id, user.id, follow_up.due_at)
    # The officers' own organisations; the coordinator's are national associations.
    coordinator = [f for f in soon if f.assignee_id == users["coordinator"].id]
    kinds = {db.session.get(Organisation, f.organisation_id).kind.value for f in coordinator}
    assert kinds == {"national-association"}
    for n in (1, 2, 3):
        officer = users[f"officer{n}"]
        for follow_up in soon:
            if follow_up.assignee_id == officer.id:
                organisation = db.session.get(Organisation, follow_up.organisation_id)
                assert organisation.responsible_officer_id == officer.id
    # Nobody else holds one (the organiser's and the viewer's lists are as before).
    assert {f.assignee_id for f in soon} == {users[h].id for h in SOON_HOLDERS}
