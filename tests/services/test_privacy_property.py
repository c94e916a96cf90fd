"""Property: erasing anyone, whatever their name, changes only what is theirs or names them.

In a populated register whose countries, cities, tags, materials and other people share
words with the person's name, erase a person with a history (a rename, a new e-mail). Every
row of every table that is not the person's own and did not name them is unchanged, and no
e-mail or full name they ever had remains in their rows, the audit entries about them, or
free text anywhere.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crm.extensions import db as _db
from crm.models import (
    AuditEntry,
    Base,
    Country,
    FollowUp,
    Material,
    MaterialKind,
    Reminder,
    Tag,
)
from crm.models.followups import due_fields
from crm.services import privacy, register
from crm.services.privacy.erasure import CONTACT_FIELDS, FREE_TEXT, LEFT_ALONE
from tests import factories

KEY = b"erasure-key-for-tests-0123456789"
CITIES = ["Georgia", "Florence", "Victoria", "Lincoln", "Jordan", "Paris", "Sofia"]
FIRST_NAMES = ["Chad", "Georgia", "Florence", "Jordan", "Victoria", "Paris", "Hanna"]
LAST_NAMES = ["Lincoln", "Jordan", "Nowak", "Kowalska", "Peru", "Sofia", "Müller"]
TAGS = ["Georgia", "Chad Lincoln", "speaker", "Niger", "Victoria Jordan"]
MATERIALS = ["Jordan", "Guidelines for Georgia", "Peru"]


def _populate() -> None:
    """A small register full of the words the names are drawn from."""
    officer = factories.make_user(full_name="Olga Officer")
    for i, city in enumerate(CITIES):
        firm = factories.make_organisation(name=f"{city} Tooling {i}")
        firm.city = city
        firm.notes = f"Office in {city}; partner of {FIRST_NAMES[i]} and {LAST_NAMES[i]}"
        firm.tags.append(_tag(TAGS[i % len(TAGS)]))
        person = factories.make_person(
            first_name=FIRST_NAMES[i], last_name=LAST_NAMES[-1 - i], organisation=firm
        )
        person.notes = f"Met in {city}, {CITIES[-1 - i]} office"
        outreach = factories.make_outreach(logged_by=officer, organisations=[firm], people=[person])
        outreach.notes = f"{FIRST_NAMES[-1 - i]} asked about {LAST_NAMES[i]} and Georgia"
    for title in MATERIALS:
        _db.session.add(Material(kind=MaterialKind.GUIDELINES, title=title, description=title))
    event = factories.make_event(title="Jordan Tech Day")
    event.city, event.description = "Florence", "Chad and Georgia present"
    _db.session.flush()


def _tag(name: str) -> Tag:
    tag = _db.session.scalar(sa.select(Tag).where(Tag.name == name))
    return tag or Tag(name=name)


def _snapshot() -> dict[str, dict[tuple[Any, ...], tuple[Any, ...]]]:
    tables = {}
    for table in Base.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        tables[table.name] = {
            tuple(row._mapping[k] for k in keys): tuple(row)
            for row in _db.session.execute(sa.select(table))
        }
    return tables


def _name_patterns(full_names: set[tuple[str, str]]) -> list[re.Pattern[str]]:
    patterns = []
    for first, last in full_names:
        for form in (f"{first} {last}", f"{last} {first}", f"{last}, {first}"):
            patterns.append(re.compile(r"(?<!\w)" + re.escape(form) + r"(?!\w)", re.IGNORECASE))
    return patterns


def _names_them(row: tuple[Any, ...], patterns: list[re.Pattern[str]], emails: set[str]) -> bool:
    text = " ".join(str(v) for v in row if v is not None)
    return any(p.search(text) for p in patterns) or any(e in text.lower() for e in emails)


def _own_keys(person_id: int) -> dict[str, set[tuple[Any, ...]]]:
    """Primary keys of the rows that are the person's own."""
    follow_ups = set(
        _db.session.scalars(sa.select(FollowUp.id).where(FollowUp.person_id == person_id))
    )
    own: dict[str, set[tuple[Any, ...]]] = {"people": {(person_id,)}}
    for table in Base.metadata.sorted_tables:
        if "person_id" in table.c:
            keys = list(table.primary_key.columns)
            own[table.name] = {
                tuple(r)
                for r in _db.session.execute(sa.select(*keys).where(table.c.person_id == person_id))
            }
    own["reminders"] = {
        (i,)
        for i in _db.session.scalars(
            sa.select(Reminder.id).where(Reminder.follow_up_id.in_(follow_ups))
        )
    }
    own["audit_log"] = {
        (i,)
        for i in _db.session.scalars(
            sa.select(AuditEntry.id).where(
                AuditEntry.entity_type == "person", AuditEntry.entity_id == person_id
            )
        )
    }
    own["search_terms"] = {
        k for k in _snapshot_keys("search_terms") if k[0] == "person" and k[1] == person_id
    }
    return own


def _snapshot_keys(table_name: str) -> set[tuple[Any, ...]]:
    table = Base.metadata.tables[table_name]
    return {tuple(r) for r in _db.session.execute(sa.select(*table.primary_key.columns))}


words = st.sampled_from(sorted(set(CITIES + FIRST_NAMES + LAST_NAMES + TAGS + MATERIALS)))
countries = st.sampled_from(["Georgia", "Jordan", "Chad", "Niger", "Peru", "El Salvador"])
name_part = st.one_of(words, countries, st.just(""))
names = st.tuples(name_part, name_part).filter(lambda n: bool(n[0] or n[1]))


@settings(
    max_examples=25,
    derandomize=True,  # the same examples in every run: CI fails only on a real change
    database=None,  # fixed examples need no store of failures (no .hypothesis/ folder)
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=names, renamed=st.one_of(st.none(), names), new_email=st.booleans())
# Found by a random run: "Victoria Jordan" is also an organisation's tag, which goes.
@example(name=("Jordan", "Victoria"), renamed=None, new_email=False)
def test_erasure_changes_only_what_is_theirs_or_names_them(
    app, db, name, renamed, new_email
) -> None:
    # Populated once per test (the examples share its transaction); crm seed's own
    # materials are there from the start, so one of ours marks it.
    if not _db.session.scalar(sa.select(Material.id).where(Material.title == MATERIALS[0])):
        _populate()
    countries_before = {c.code: c.name for c in _db.session.scalars(sa.select(Country))}
    savepoint = _db.session.begin_nested()
    try:
        actor = factories.make_user(role="coordinator")
        n = factories.make_user().id  # a fresh number for unique e-mails
        emails = {f"p{n}@target.example"}
        data = {
            "first_name": name[0],
            "last_name": name[1],
            "email": f"p{n}@target.example",
            "phone": f"+49 30 {n:04d} 777",
            "lawful_basis": "consent",
            "lawful_basis_source": "Business card",
        }
        # Namesakes of other people on purpose: the duplicate question is answered.
        person = register.create_person(data, actor, erasure_key=KEY, confirmed=True)
        full_names = {name} if name[0] and name[1] else set()
        if renamed or new_email:
            renamed = renamed or name
            if new_email:
                emails.add(f"new{n}@target.example")
            changed = {**data, "first_name": renamed[0], "last_name": renamed[1]}
            changed["email"] = f"new{n}@target.example" if new_email else data["email"]
            register.update_person(person, changed, actor, person.version, erasure_key=KEY)
            if renamed[0] and renamed[1]:
                full_names.add(renamed)
        mention = " and ".join(f"{f} {last}" for f, last in sorted(full_names)) or "someone"
        other = factories.make_person(first_name="Piotr", last_name=f"Zieliński{n}")
        other.notes = f"Introduced by {mention} ({' / '.join(sorted(emails))})"
        outreach = factories.make_outreach(people=[person])
        outreach.notes = f"Call with {mention}; wrote to {min(emails).upper()}"
        _db.session.add(
            FollowUp(
                title=f"Send the guidelines to {' '.join(name)}",
                **due_fields(datetime.now(UTC) + timedelta(days=2)),
                assignee_id=actor.id,
                person_id=person.id,
            )
        )
        _db.session.flush()

        own = _own_keys(person.id)
        patterns = _name_patterns(full_names)
        before = _snapshot()
        privacy.erase_person(person, actor, KEY)
        _db.session.flush()
        _db.session.expire_all()
        after = _snapshot()

        # A tag that names them is renamed or dropped, and so are the links to it: those
        # links name them too, through the tag.
        tag_columns = [c.name for c in Base.metadata.tables["tags"].columns]
        naming_tags = {
            dict(zip(tag_columns, row, strict=True))["id"]
            for row in before["tags"].values()
            if _names_them(row, patterns, emails)
        }
        for table, rows in before.items():
            columns = [c.name for c in Base.metadata.tables[table].columns]
            for key, row in rows.items():
                if after[table].get(key) == row or key in own.get(table, set()):
                    continue
                if table in ("organisation_tags", "person_tags"):
                    if dict(zip(columns, row, strict=True))["tag_id"] in naming_tags:
                        continue
                assert _names_them(row, patterns, emails), (table, row, after[table].get(key))
            for key in after[table].keys() - rows.keys():  # new rows: only about them
                assert table in ("audit_log", "erased_email_hashes"), (table, key)
        assert {c.code: c.name for c in _db.session.scalars(sa.select(Country))} == countries_before

        own = _own_keys(person.id)
        for table, rows in after.items():
            columns = [c.name for c in Base.metadata.tables[table].columns]
            free = set(FREE_TEXT.get(table, ())) | set(CONTACT_FIELDS.get(table, ()))
            for key, row in rows.items():
                values = [
                    v
                    for c, v in zip(columns, row, strict=True)
                    if key in own.get(table, ()) or c in free
                ]
                assert not _names_them(tuple(values), patterns, emails), (table, row)
        assert set(LEFT_ALONE)  # the classification the property relies on is there
        for email in emails:
            assert privacy.erased_with_email(email, KEY).id == person.id
    finally:
        savepoint.rollback()
        _db.session.expire_all()
