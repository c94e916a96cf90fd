"""The stakeholder register's rules: organisations, people and their positions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher

import sqlalchemy as sa

from crm.extensions import db
from crm.models import (
    AuditAction,
    LawfulBasis,
    LinkType,
    Organisation,
    OrganisationKind,
    OrganisationLink,
    OtherCategory,
    Person,
    PolicyBodyType,
    PolicyLevel,
    Position,
    PositionRole,
    SizeClass,
    Tag,
    User,
    ValueChainRole,
    utcnow,
)
from crm.services import audit, privacy
from crm.services.checks import (
    clean_country,
    clean_decimal,
    clean_email,
    clean_enum,
    clean_int,
    clean_language,
    clean_period,
    clean_text,
)
from crm.services.errors import NeedsConfirmation, ValidationError
from crm.services.records import refuse_erased
from crm.services.text import normalise_text, person_name_keys
from crm.services.versioning import check_version

# Turnover ceilings of the EU SME definition; an SME above its ceiling would change class.
TURNOVER_CEILING: dict[SizeClass, int] = {
    SizeClass.MICRO: 2_000_000,
    SizeClass.SMALL: 10_000_000,
    SizeClass.MEDIUM: 50_000_000,
}


def size_class_for(headcount: int) -> SizeClass:
    """The EU size class by headcount (micro < 10, small < 50, medium < 250, else large).

    The class is stored next to the headcount so that lists can filter and index on it;
    this is the one place that derives it, so the register and the demo data always agree.
    """
    if headcount < 0:
        raise ValidationError("the headcount cannot be negative", field="headcount")
    if headcount < 10:
        return SizeClass.MICRO
    if headcount < 50:
        return SizeClass.SMALL
    if headcount < 250:
        return SizeClass.MEDIUM
    return SizeClass.LARGE


def apply_changes(record: object, values: dict[str, object]) -> dict[str, list[object]]:
    """Set the values that differ and return them as ``{field: [old, new]}`` for the audit."""
    changes: dict[str, list[object]] = {}
    for field, new in values.items():
        old = getattr(record, field)
        if old != new:
            changes[field] = [audit.plain_value(old), audit.plain_value(new)]
            setattr(record, field, new)
    return changes


def _tags(names: list[str] | None) -> list[Tag]:
    """Tags by name, created on first use."""
    tags = []
    for raw in names or []:
        name = clean_text(raw, "tags", 80)
        if not name:
            continue
        tag = db.session.scalar(sa.select(Tag).where(Tag.name == name))
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
        if tag not in tags:
            tags.append(tag)
    return tags


def _replace_tags(
    record: Organisation | Person, names: list[str], changes: dict[str, list[object]]
) -> None:
    """Give the record exactly these tags, noting the change for the audit."""
    new_tags = _tags(names)
    old_names = sorted(t.name for t in record.tags)
    if old_names != sorted(t.name for t in new_tags):
        changes["tags"] = [old_names, sorted(t.name for t in new_tags)]
        record.tags = new_tags


# --- Organisations -------------------------------------------------------------------------


def clean_organisation(data: dict[str, object]) -> dict[str, object]:
    """Check every field of an organisation form; the whole record is refused on one error."""
    kind = clean_enum(OrganisationKind, data.get("kind"), "kind", required=True)
    headcount = clean_int(data.get("headcount"), "headcount", 0, 10_000_000)
    turnover_eur = clean_decimal(
        data.get("turnover_eur"),
        "turnover_eur",
        Decimal(0),
        Decimal(10) ** 14,
        "an amount in euros",
    )
    is_enterprise = kind == OrganisationKind.ENTERPRISE
    website = clean_text(data.get("website"), "website", 300)
    if website and not website.lower().startswith(("http://", "https://")):
        website = "https://" + website
    officer_id = clean_int(data.get("responsible_officer_id"), "responsible_officer_id", 1)
    if officer_id is not None and db.session.get(User, officer_id) is None:
        raise ValidationError("no such user", field="responsible_officer_id")
    values: dict[str, object] = {
        "name": clean_text(data.get("name"), "name", 200, required=True),
        "acronym": clean_text(data.get("acronym"), "acronym", 40),
        "kind": kind,
        "country_code": clean_country(data.get("country_code"), required=True),
        "city": clean_text(data.get("city"), "city", 120),
        "website": website,
        "email": clean_email(data.get("email")),
        "phone": clean_text(data.get("phone"), "phone", 40),
        "language_code": clean_language(data.get("language_code")),
        "headcount": headcount if is_enterprise else None,
        "turnover_eur": turnover_eur if is_enterprise else None,
        "size_class": size_class_for(headcount)
        if is_enterprise and headcount is not None
        else None,
        "value_chain_role": clean_enum(
            ValueChainRole, data.get("value_chain_role"), "value_chain_role"
        )
        if kind == OrganisationKind.VALUE_CHAIN_PARTNER
        else None,
        "policy_body_type": clean_enum(
            PolicyBodyType, data.get("policy_body_type"), "policy_body_type"
        )
        if kind == OrganisationKind.POLICY_BODY
        else None,
        "policy_level": clean_enum(PolicyLevel, data.get("policy_level"), "policy_level")
        if kind == OrganisationKind.POLICY_BODY
        else None,
        "other_category": clean_enum(OtherCategory, data.get("other_category"), "other_category")
        if kind == OrganisationKind.OTHER
        else None,
        "notes": clean_text(data.get("notes"), "notes", 10_000) or "",
        "responsible_officer_id": officer_id,
    }
    return values


def create_organisation(
    data: dict[str, object],
    actor: User,
    tags: list[str] | None = None,
    confirmed: bool = False,
) -> Organisation:
    """A new organisation. One that looks like an organisation already in the register
    raises NeedsConfirmation unless the caller passes ``confirmed=True`` (the user said it
    is another one)."""
    values = clean_organisation(data)
    if not confirmed:
        duplicates = organisation_duplicates(str(values["name"]), str(values["country_code"]))
        if duplicates:
            raise NeedsConfirmation(
                "This looks like an organisation already in the register.",
                duplicates=duplicates,
            )
    organisation = Organisation(
        **values,
        name_normalised=normalise_text(str(values["name"]))[:200],
        created_by_id=actor.id,
        tags=_tags(tags),
    )
    db.session.add(organisation)
    db.session.flush()
    audit.record(
        AuditAction.CREATE,
        "organisation",
        organisation.id,
        actor,
        {k: [None, audit.plain_value(v)] for k, v in values.items() if v not in (None, "")},
        summary=f"created organisation {organisation.name}",
    )
    return organisation


def update_organisation(
    organisation: Organisation,
    data: dict[str, object],
    actor: User,
    expected_version: object,
    tags: list[str] | None = None,
) -> dict[str, list[object]]:
    """Save an edit made on ``expected_version``; a stale edit raises ConflictError."""
    refuse_changes_to(organisation)
    values = clean_organisation(data)
    check_version(organisation, expected_version, values, f"The organisation {organisation.name}")
    changes = apply_changes(organisation, values)
    if "name" in changes:
        organisation.name_normalised = normalise_text(organisation.name)[:200]
    if tags is not None:
        _replace_tags(organisation, tags, changes)
    if changes:
        audit.record(AuditAction.UPDATE, "organisation", organisation.id, actor, changes)
    return changes


def delete_record(record: Organisation | Person, actor: User) -> None:
    """Soft delete: the record leaves lists and searches; an admin can restore it."""
    refuse_erased(record)
    if record.deleted_at is not None:
        raise ValidationError("this record is already deleted")
    record.deleted_at = utcnow()
    audit.record(AuditAction.DELETE, _entity(record), record.id, actor)


def restore_record(record: Organisation | Person, actor: User) -> None:
    """Bring a deleted record back; an erased person or a record merged away stays deleted
    (everything of a merged record now belongs to the record it was merged into)."""
    refuse_erased(record)
    if record.deleted_at is None:
        raise ValidationError("this record is not deleted")
    if record.merged_into_id is not None:
        raise ValidationError(
            f"this record was merged into #{record.merged_into_id}, which holds everything "
            "it had; open that record instead"
        )
    if isinstance(record, Person) and record.email_normalised:
        clash = db.session.scalar(
            sa.select(Person.id).where(
                Person.email_normalised == record.email_normalised, Person.deleted_at.is_(None)
            )
        )
        if clash is not None:
            raise ValidationError(
                f"another live person (#{clash}) now has the e-mail {record.email}; "
                "merge the two instead",
                field="email",
            )
    record.deleted_at = None
    audit.record(AuditAction.RESTORE, _entity(record), record.id, actor)


def _entity(record: Organisation | Person) -> str:
    return "organisation" if isinstance(record, Organisation) else "person"


def refuse_changes_to(record: Organisation | Person) -> None:
    """A record that is erased, deleted or merged away takes no edits: a deleted one is
    restored first (by an admin), so nothing is written into a record nobody sees."""
    refuse_erased(record)
    if record.deleted_at is not None:
        what = "person" if isinstance(record, Person) else "organisation"
        state = f"merged into #{record.merged_into_id}" if record.merged_into_id else "deleted"
        raise ValidationError(
            f"this {what} (#{record.id}) is {state}; "
            + ("change the record it went into" if record.merged_into_id else "restore it first")
        )


# Legal forms that say nothing about which organisation it is ("Rossi S.p.A." = "Rossi SpA").
LEGAL_FORMS = frozenset(
    "gmbh ag kg ohg ug ek mbh co kgaa spa srl sas snc sa sarl sas sasu sl slu sau bv nv vof "
    "ltd limited plc llp llc inc corp as oy oyj ab sro as kft zrt bt sp zoo doo ad ood eood "
    "aps a s".split()
)


def organisation_key(name: str) -> str:
    """The name without case, accents, punctuation or legal form, for duplicate checks."""
    merged: list[str] = []
    previous_single = False
    for token in normalise_text(name).split():
        single = len(token) == 1
        if single and previous_single:
            merged[-1] += token  # "s p a" -> "spa": initials written with dots
        else:
            merged.append(token)
        previous_single = single
    return " ".join(t for t in merged if t not in LEGAL_FORMS)


@dataclass(frozen=True)
class OrganisationFacts:
    """What the duplicate rule compares of an organisation."""

    id: int | None
    key: str
    country_code: str | None

    @classmethod
    def of(cls, organisation: Organisation) -> OrganisationFacts:
        return cls(organisation.id, organisation_key(organisation.name), organisation.country_code)


def likely_same_organisation(first: OrganisationFacts, second: OrganisationFacts) -> str | None:
    """Why two organisations look like one (shown to the user), or None.

    The one rule of the create warning and of the duplicates list: the same country and
    names that differ at most in case, accents, punctuation or legal form.
    """
    if first.key and first.key == second.key and first.country_code == second.country_code:
        return "same name and country"
    return None


def organisation_duplicates(
    name: str, country_code: str, exclude_id: int | None = None
) -> list[Organisation]:
    """Live organisations that are likely the same as one of this name in this country."""
    wanted = OrganisationFacts(exclude_id, organisation_key(name), country_code)
    if not wanted.key:
        return []
    longest = max(wanted.key.split(), key=len)
    query = sa.select(Organisation).where(
        Organisation.country_code == country_code,
        Organisation.deleted_at.is_(None),
        Organisation.name_normalised.like(f"%{longest}%"),
    )
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    candidates = db.session.scalars(query.order_by(Organisation.id).limit(500))
    return [o for o in candidates if likely_same_organisation(wanted, OrganisationFacts.of(o))][:10]


# --- People --------------------------------------------------------------------------------

SIMILAR_NAME = 0.85  # difflib ratio from which two names at one organisation look alike
FACTS_CHUNK = 500  # ids per IN list (SQLite caps the parameters of one statement)


def clean_person(data: dict[str, object]) -> dict[str, object]:
    first = clean_text(data.get("first_name"), "first_name", 100)
    last = clean_text(data.get("last_name"), "last_name", 100)
    if not first and not last:
        raise ValidationError("a first or a last name is required", field="last_name")
    email = clean_email(data.get("email"))
    officer_id = clean_int(data.get("responsible_officer_id"), "responsible_officer_id", 1)
    if officer_id is not None and db.session.get(User, officer_id) is None:
        raise ValidationError("no such user", field="responsible_officer_id")
    return {
        "first_name": first or "",
        "last_name": last or "",
        "email": email,
        "email_normalised": email,
        "phone": clean_text(data.get("phone"), "phone", 40),
        "country_code": clean_country(data.get("country_code")),
        "language_code": clean_language(data.get("language_code")),
        "notes": clean_text(data.get("notes"), "notes", 10_000) or "",
        "lawful_basis": clean_enum(
            LawfulBasis, data.get("lawful_basis"), "lawful_basis", required=True
        ),
        "lawful_basis_source": clean_text(
            data.get("lawful_basis_source"), "lawful_basis_source", 300, required=True
        ),
        "responsible_officer_id": officer_id,
    }


def _refuse_taken_email(email: str | None, exclude_id: int | None) -> None:
    if not email:
        return
    query = sa.select(Person).where(Person.email_normalised == email, Person.deleted_at.is_(None))
    if exclude_id is not None:
        query = query.where(Person.id != exclude_id)
    other = db.session.scalars(query.limit(1)).first()
    if other is not None:
        raise ValidationError(
            f"{email} already belongs to {other.full_name} (#{other.id}); open that record "
            "or merge the two",
            field="email",
        )


@dataclass(frozen=True)
class PersonFacts:
    """What the duplicate rule compares of a person."""

    id: int | None
    name: str  # normalised "first last"
    email: str | None
    country_code: str | None
    organisation_ids: frozenset[int]

    @classmethod
    def of(cls, person: Person) -> PersonFacts:
        return cls(
            person.id,
            person.name_normalised,
            person.email_normalised,
            person.country_code,
            frozenset(p.organisation_id for p in person.positions),
        )


def names_alike(first: str, second: str) -> bool:
    """Normalised names equal or nearly so ("jurgen mueller" and "jurgen muller")."""
    if first == second:
        return True
    shorter, longer = sorted((len(first), len(second)))
    if 2 * shorter < SIMILAR_NAME * (shorter + longer):
        return False  # the ratio is at most 2 * shorter / (both lengths): too far apart
    matcher = SequenceMatcher(None, first, second)
    # The quick ratios are upper bounds of the ratio: most pairs stop there, cheaply.
    return (
        matcher.real_quick_ratio() >= SIMILAR_NAME
        and matcher.quick_ratio() >= SIMILAR_NAME
        and matcher.ratio() >= SIMILAR_NAME
    )


def likely_same_person(first: PersonFacts, second: PersonFacts) -> str | None:
    """Why two people look like one (shown to the user), or None.

    The one rule of the create warning and of the duplicates list: the same e-mail; or
    alike names at an organisation both hold a position at; or the same name in the same
    country.
    """
    if first.email and first.email == second.email:
        return "same e-mail"
    if not first.name or not second.name:
        return None
    if first.organisation_ids & second.organisation_ids and names_alike(first.name, second.name):
        return "same name at the same organisation"
    if first.country_code and first.country_code == second.country_code:
        if first.name == second.name:
            return "same name in the same country"
    return None


def people_facts(person_ids: Iterable[int]) -> dict[int, PersonFacts]:
    """The facts of these people in two queries (people, then their organisations)."""
    ids = sorted(set(person_ids))
    organisations: dict[int, set[int]] = defaultdict(set)
    rows: list[sa.Row[int, str, str | None, str | None]] = []
    for start in range(0, len(ids), FACTS_CHUNK):
        chunk = ids[start : start + FACTS_CHUNK]
        for person_id, organisation_id in db.session.execute(
            sa.select(Position.person_id, Position.organisation_id).where(
                Position.person_id.in_(chunk)
            )
        ):
            organisations[person_id].add(organisation_id)
        rows += db.session.execute(
            sa.select(
                Person.id, Person.name_normalised, Person.email_normalised, Person.country_code
            ).where(Person.id.in_(chunk))
        ).all()
    return {
        i: PersonFacts(i, name, email, country, frozenset(organisations[i]))
        for i, name, email, country in rows
    }


def person_duplicates(
    first_name: str,
    last_name: str,
    email: str | None,
    organisation_id: int | None = None,
    exclude_id: int | None = None,
    country_code: str | None = None,
) -> list[Person]:
    """Live people who are likely the same as a person with these details."""
    wanted = PersonFacts(
        exclude_id,
        normalise_text(f"{first_name} {last_name}")[:210],
        (email or "").lower() or None,
        country_code,
        frozenset({organisation_id} if organisation_id is not None else ()),
    )
    live = sa.and_(Person.deleted_at.is_(None), Person.erased_at.is_(None))
    candidates: set[int] = set()
    if wanted.email:
        candidates.update(
            db.session.scalars(
                sa.select(Person.id).where(Person.email_normalised == wanted.email, live)
            )
        )
    if wanted.name:
        candidates.update(
            db.session.scalars(
                sa.select(Person.id).where(Person.name_normalised == wanted.name, live).limit(500)
            )
        )
    if organisation_id is not None:
        candidates.update(
            db.session.scalars(
                sa.select(Person.id)
                .join(Position, Position.person_id == Person.id)
                .where(Position.organisation_id == organisation_id, live)
                .limit(2000)
            )
        )
    candidates.discard(exclude_id)
    facts = people_facts(candidates)
    alike = sorted(i for i, f in facts.items() if likely_same_person(wanted, f))
    return [db.session.get(Person, i) for i in alike]  # type: ignore[misc]


def clean_position(data: dict[str, object]) -> dict[str, object]:
    organisation_id = clean_int(data.get("organisation_id"), "organisation_id", 1)
    if organisation_id is None:
        raise ValidationError("choose an organisation", field="organisation_id")
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or organisation.deleted_at is not None:
        raise ValidationError("no such organisation", field="organisation_id")
    starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if value is not None and not isinstance(value, date):
            raise ValidationError("not a date", field=field)
    clean_period(starts_on, ends_on)  # type: ignore[arg-type]
    return {
        "organisation_id": organisation_id,
        "title": clean_text(data.get("title"), "title", 200) or "",
        "role": clean_enum(PositionRole, data.get("role"), "role", required=True),
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


def create_person(
    data: dict[str, object],
    actor: User,
    tags: list[str] | None = None,
    position: dict[str, object] | None = None,
    *,
    erasure_key: bytes,
    confirmed: bool = False,
) -> Person:
    """A new person, optionally with a first position; a taken e-mail is refused.

    A person who looks like one already in the register, or whose e-mail belonged to an
    erased person, raises NeedsConfirmation unless ``confirmed`` (the user decided).
    ``erasure_key`` is the key of the erasure hashes (the app's CRM_ERASURE_KEY): it is a
    required argument, so no caller (form, importer, API) can leave the erased check out.
    """
    values = clean_person(data)
    position_values = clean_position(position) if position else None
    # A taken e-mail is refused before any question: "save anyway" could not help there.
    _refuse_taken_email(values["email_normalised"], None)  # type: ignore[arg-type]
    if not confirmed:
        _ask_before_adding(values, position_values, erasure_key)
    person = Person(
        **values,
        **person_name_keys(str(values["first_name"]), str(values["last_name"])),
        created_by_id=actor.id,
        tags=_tags(tags),
    )
    if position_values:
        person.positions.append(Position(**position_values))
    db.session.add(person)
    db.session.flush()
    changes = {
        k: [None, audit.plain_value(v)]
        for k, v in values.items()
        if v not in (None, "") and k != "email_normalised"
    }
    if position_values:
        changes["position"] = [None, {k: audit.plain_value(v) for k, v in position_values.items()}]
    audit.record(
        AuditAction.CREATE,
        "person",
        person.id,
        actor,
        changes,
        summary=f"created person #{person.id}",
    )
    return person


def _ask_before_adding(
    values: dict[str, object], position: dict[str, object] | None, erasure_key: bytes
) -> None:
    """Raise NeedsConfirmation when the new person looks like a mistake."""
    if not erasure_key:
        raise ValueError("the erasure key is empty: erased people could not be recognised")
    email = values["email_normalised"]
    duplicates = person_duplicates(
        str(values["first_name"]),
        str(values["last_name"]),
        email,  # type: ignore[arg-type]
        position["organisation_id"] if position else None,  # type: ignore[arg-type]
        country_code=values["country_code"],  # type: ignore[arg-type]
    )
    _ask_about_erased_email(email, erasure_key, duplicates)  # type: ignore[arg-type]
    if duplicates:
        raise NeedsConfirmation(
            "This looks like someone already in the register.",
            duplicates=duplicates,
        )


def _ask_about_erased_email(
    email: str | None, erasure_key: bytes, duplicates: list[Person] | None = None
) -> None:
    """An e-mail that belonged to an erased person (under any of their e-mails) needs a
    decision: they come back only with a new lawful basis."""
    if not erasure_key:
        raise ValueError("the erasure key is empty: erased people could not be recognised")
    erased = privacy.erased_with_email(email, erasure_key)
    if erased is not None:
        erased_at = getattr(erased, "erased_at", None)
        when = f" on {erased_at:%d %B %Y}" if erased_at else ""
        raise NeedsConfirmation(
            f"This e-mail belonged to a person erased{when}: add them again only with a "
            "new lawful basis.",
            duplicates=duplicates or [],
            erased=erased,
        )


def update_person(
    person: Person,
    data: dict[str, object],
    actor: User,
    expected_version: object,
    tags: list[str] | None = None,
    *,
    erasure_key: bytes,
    confirmed: bool = False,
) -> dict[str, list[object]]:
    """Save an edit made on ``expected_version``. A new e-mail that an erased person had
    raises NeedsConfirmation unless ``confirmed``, as on create (``erasure_key`` is required
    for the same reason)."""
    refuse_changes_to(person)
    values = clean_person(data)
    check_version(
        person,
        expected_version,
        {k: v for k, v in values.items() if k != "email_normalised"},
        f"The record of {person.full_name}",
    )
    new_email = values["email_normalised"]
    if new_email and new_email != person.email_normalised and not confirmed:
        _ask_about_erased_email(new_email, erasure_key)  # type: ignore[arg-type]
    _refuse_taken_email(values["email_normalised"], person.id)  # type: ignore[arg-type]
    changes = apply_changes(person, values)
    changes.pop("email_normalised", None)
    if {"first_name", "last_name"} & changes.keys():
        for column, value in person_name_keys(person.first_name, person.last_name).items():
            setattr(person, column, value)
    if tags is not None:
        _replace_tags(person, tags, changes)
    if changes:
        audit.record(AuditAction.UPDATE, "person", person.id, actor, changes)
    return changes


def add_position(person: Person, data: dict[str, object], actor: User) -> Position:
    refuse_changes_to(person)
    values = clean_position(data)
    position = Position(person_id=person.id, **values)
    db.session.add(position)
    audit.record(
        AuditAction.ADD_POSITION,
        "person",
        person.id,
        actor,
        {"position": [None, {k: audit.plain_value(v) for k, v in values.items()}]},
    )
    return position


def end_position(position: Position, ends_on: date, actor: User) -> None:
    refuse_changes_to(position.person)
    clean_period(position.starts_on, ends_on)
    if position.ends_on is not None:
        raise ValidationError("this position has already ended", field="ends_on")
    position.ends_on = ends_on
    audit.record(
        AuditAction.END_POSITION,
        "person",
        position.person_id,
        actor,
        {"position": [position.id, str(ends_on)]},
    )


# --- Links between organisations -------------------------------------------------------------


def add_link(
    source: Organisation,
    target: Organisation,
    link_type: object,
    starts_on: date | None,
    ends_on: date | None,
    actor: User,
) -> OrganisationLink:
    """``source`` is <link type> ``target`` (an enterprise member-of an association)."""
    refuse_changes_to(source)
    if target.deleted_at is not None:
        raise ValidationError(f"{target.name} is deleted; restore it first", field="target")
    kind = clean_enum(LinkType, link_type, "link_type", required=True)
    if source.id == target.id:
        raise ValidationError("an organisation cannot be linked to itself", field="target")
    clean_period(starts_on, ends_on)
    existing = db.session.scalar(
        sa.select(OrganisationLink.id).where(
            OrganisationLink.source_id == source.id,
            OrganisationLink.target_id == target.id,
            OrganisationLink.link_type == kind,
            OrganisationLink.ends_on.is_(None),
        )
    )
    if existing is not None:
        raise ValidationError(
            f"{source.name} is already {kind.label.lower()} {target.name}", field="target"
        )
    link = OrganisationLink(
        source_id=source.id,
        target_id=target.id,
        link_type=kind,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(link)
    db.session.flush()
    change = {"link": [None, f"{kind.value} #{target.id} {target.name}"]}
    audit.record(AuditAction.ADD_LINK, "organisation", source.id, actor, change)
    audit.record(
        AuditAction.ADD_LINK,
        "organisation",
        target.id,
        actor,
        {"link": [None, f"#{source.id} {source.name} is {kind.value}"]},
    )
    return link


def end_link(link: OrganisationLink, ends_on: date, actor: User) -> None:
    refuse_changes_to(link.source)
    if link.ends_on is not None:
        raise ValidationError("this link has already ended", field="ends_on")
    clean_period(link.starts_on, ends_on)
    link.ends_on = ends_on
    for organisation_id in (link.source_id, link.target_id):
        audit.record(
            AuditAction.END_LINK,
            "organisation",
            organisation_id,
            actor,
            {"link": [link.link_type.value, f"ended {ends_on}"]},
        )
