"""The catalogue of materials the programme disseminates: its rules, its listing, and the
programme's own materials that ``crm seed`` loads.

Materials are retired, never deleted: a retired one stays on the outreach that carried it,
but is no longer offered for new outreach.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from crm.extensions import db
from crm.models import (
    Audience,
    AuditAction,
    Material,
    MaterialAudience,
    MaterialKind,
    Outreach,
    StrEnum,
    User,
    outreach_materials,
    utcnow,
)
from crm.services import audit
from crm.services.checks import clean_enum, clean_language, clean_text
from crm.services.errors import ValidationError
from crm.services.register import apply_changes
from crm.services.seed import DATA_DIR, SeedReport
from crm.services.text import normalise_text
from crm.services.versioning import check_version

DEFAULT_MATERIALS = DATA_DIR / "materials-design-mts.csv"
MAX_TITLE = 300
MAX_URL = 500
MAX_DESCRIPTION = 10_000
MAX_KEY = 60
# The fields a form or a data file gives, in the order pages show them.
FIELDS = ("kind", "title", "audiences", "language_code", "url", "description")
# The order kinds are listed and offered in: the programme's documents first, "other" last.
KIND_ORDER = {kind: n for n, kind in enumerate(MaterialKind)}
_KEY = re.compile(r"[a-z0-9][a-z0-9:._-]*")


# --- Rules ---------------------------------------------------------------------------------


def clean_url(value: object, field: str = "url") -> str | None:
    """A web address (http or https, with a host) or None.

    Links are shown to every user and opened from outreach: anything else (``javascript:``,
    ``data:``, a file path) is refused, and so is an address with spaces or with a user name
    before the host (``https://designmts.eu@elsewhere.example`` leads elsewhere).
    """
    text = clean_text(value, field, MAX_URL)
    if text is None:
        return None
    wanted = "give a web address starting with http:// or https://, such as https://designmts.eu/"
    if any(ch.isspace() for ch in text):
        raise ValidationError(f"a web address has no spaces; {wanted}", field=field)
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValidationError(
            f"{text[:80]!r} is not a web address; {wanted}", field=field
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{text[:80]!r} is not a web address; {wanted}", field=field)
    if "@" in parts.netloc:
        raise ValidationError(
            "a web address with a user name before the host leads somewhere else than it "
            f"seems; {wanted}",
            field=field,
        )
    return text


def clean_audiences(kind: MaterialKind, values: object, field: str = "audiences") -> list[Audience]:
    """The audiences of a training module (at least one), in stored order; none for other
    kinds, which are written for everyone."""
    if values is None or values == "":
        raw: list[object] = []
    elif isinstance(values, (list, tuple)):
        raw = list(values)
    else:
        raise ValidationError("expected a list of audiences", field=field)
    audiences = {clean_enum(Audience, value, field, required=True) for value in raw if value != ""}
    if kind == MaterialKind.TRAINING_MODULE and not audiences:
        raise ValidationError("choose whom the training module is for", field=field)
    if kind != MaterialKind.TRAINING_MODULE and audiences:
        raise ValidationError(
            f"only training modules have audiences; clear them for {kind.label.lower()}",
            field=field,
        )
    return sorted(audiences, key=lambda a: a.value)


def clean_material(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check every field of a material; the whole material is refused on one error."""
    kind = clean_enum(MaterialKind, data.get("kind"), "kind", required=True)
    return {
        "kind": kind,
        "title": clean_text(data.get("title"), "title", MAX_TITLE, required=True),
        "audiences": clean_audiences(kind, data.get("audiences")),
        "language_code": clean_language(data.get("language_code")),
        "url": clean_url(data.get("url")),
        "description": clean_text(data.get("description"), "description", MAX_DESCRIPTION) or "",
    }


def _set_audiences(material: Material, audiences: list[Audience]) -> bool:
    """Give the material exactly these audiences; True when they changed.

    Rows that stay are kept (removing and adding the same key in one flush would insert
    before deleting), and the material's own row is touched so that its version moves on:
    an edit of the audiences alone is a change another editor must not overwrite.
    """
    if material.audiences == audiences:
        return False
    wanted = set(audiences)
    material.audience_rows = [row for row in material.audience_rows if row.audience in wanted]
    kept = set(material.audiences)
    material.audience_rows.extend(MaterialAudience(audience=a) for a in audiences if a not in kept)
    material.updated_at = utcnow()
    return True


def _apply(material: Material, values: dict[str, Any]) -> dict[str, list[object]]:
    """Set what differs; the changes as the audit keeps them."""
    audiences = values["audiences"]
    before = [a.value for a in material.audiences]
    changes = apply_changes(material, {k: v for k, v in values.items() if k != "audiences"})
    if _set_audiences(material, audiences):
        changes["audiences"] = [before, [a.value for a in audiences]]
    return changes


def _new_material(values: dict[str, Any], key: str | None = None) -> Material:
    material = Material(
        key=key,
        **{k: v for k, v in values.items() if k != "audiences"},
        audience_rows=[MaterialAudience(audience=a) for a in values["audiences"]],
    )
    db.session.add(material)
    db.session.flush()
    return material


def create_material(data: Mapping[str, Any], actor: User | None) -> Material:
    """A new material in the catalogue, audited."""
    values = clean_material(data)
    material = _new_material(values)
    audit.record(
        AuditAction.CREATE,
        "material",
        material.id,
        actor,
        {k: [None, audit.plain_value(v)] for k, v in values.items() if v not in (None, "", [])},
        summary=f"created material {material.title}",
    )
    return material


def update_material(
    material: Material, data: Mapping[str, Any], actor: User, expected_version: object
) -> dict[str, list[object]]:
    """Save an edit made on ``expected_version``; a stale edit raises ConflictError."""
    values = clean_material(data)
    check_version(material, expected_version, values, f"The material {material.title}")
    changes = _apply(material, values)
    if changes:
        audit.record(AuditAction.UPDATE, "material", material.id, actor, changes)
    return changes


def retire_material(material: Material, actor: User) -> None:
    """No longer offered for new outreach; past outreach keeps it."""
    if material.retired_at is not None:
        raise ValidationError(f"{material.title} is already retired")
    material.retired_at = utcnow()
    audit.record(
        AuditAction.RETIRE,
        "material",
        material.id,
        actor,
        {"retired_at": [None, audit.plain_value(material.retired_at)]},
        summary=f"retired material {material.title}",
    )


def reinstate_material(material: Material, actor: User) -> None:
    """Offered for new outreach again."""
    if material.retired_at is None:
        raise ValidationError(f"{material.title} is not retired")
    retired_at = material.retired_at
    material.retired_at = None
    audit.record(
        AuditAction.REINSTATE,
        "material",
        material.id,
        actor,
        {"retired_at": [audit.plain_value(retired_at), None]},
        summary=f"reinstated material {material.title}",
    )


# --- Reading the catalogue -----------------------------------------------------------------


def catalogue_order(material: Material | MaterialChoice) -> tuple[int, str, int]:
    """By kind, then title without case or accents (the same on both databases)."""
    return (KIND_ORDER[material.kind], normalise_text(material.title), material.id)


def offered_materials(keep_ids: Collection[int] = ()) -> list[Material]:
    """What a new or edited outreach record may carry: the active materials, and the retired
    ones among ``keep_ids`` (those the record already had), by kind then title."""
    condition: sa.ColumnElement[bool] = Material.retired_at.is_(None)
    if keep_ids:
        condition = sa.or_(condition, Material.id.in_(list(keep_ids)))
    found = db.session.scalars(
        sa.select(Material).where(condition).options(selectinload(Material.audience_rows))
    ).all()
    return sorted(found, key=catalogue_order)


@dataclass(frozen=True)
class MaterialChoice:
    """A material as a filter offers it: no audiences, no ORM object to build and track."""

    id: int
    kind: MaterialKind
    title: str
    retired: bool


_CHOICES = sa.select(Material.id, Material.kind, Material.title, Material.retired_at.is_not(None))


def material_choices() -> list[MaterialChoice]:
    """The whole catalogue, retired materials too (records still carry them), in the
    catalogue's order: what the outreach list's filter offers on every view, read in one
    plain statement."""
    choices = [MaterialChoice(*row) for row in db.session.execute(_CHOICES)]
    return sorted(choices, key=catalogue_order)


class Retired(StrEnum):
    """Which materials the catalogue lists: active ones, all, or the retired ones."""

    HIDE = "hide"
    SHOW = "show"
    ONLY = "only"


@dataclass
class MaterialFilter:
    """The catalogue's filter, read from a query string."""

    kind: MaterialKind | None = None
    audience: Audience | None = None
    language: str | None = None
    retired: Retired = Retired.HIDE

    @property
    def is_set(self) -> bool:
        return bool(self.kind or self.audience or self.language or self.retired != Retired.HIDE)

    @classmethod
    def read(cls, args: Mapping[str, str]) -> tuple[MaterialFilter, list[ValidationError]]:
        """The filter and what was wrong with it, parameter by parameter (each a
        ValidationError naming the parameter); the valid parts are kept."""
        found = cls()
        errors: list[ValidationError] = []
        readers = {
            "kind": lambda v: clean_enum(MaterialKind, v, "kind"),
            "audience": lambda v: clean_enum(Audience, v, "audience"),
            "language": lambda v: clean_language(v, "language"),
            "retired": lambda v: clean_enum(Retired, v, "retired") or Retired.HIDE,
        }
        for name, reader in readers.items():
            try:
                setattr(found, name, reader(args.get(name, "")))
            except ValidationError as error:
                errors.append(error)
        return found, errors


def list_materials(f: MaterialFilter) -> list[Material]:
    """The materials the filter selects, by kind then title. The catalogue holds tens of
    materials, not thousands: it is one page, sorted here the same way on both databases."""
    query = sa.select(Material).options(selectinload(Material.audience_rows))
    if f.kind is not None:
        query = query.where(Material.kind == f.kind)
    if f.audience is not None:
        query = query.where(
            sa.exists().where(
                MaterialAudience.material_id == Material.id,
                MaterialAudience.audience == f.audience,
            )
        )
    if f.language is not None:
        query = query.where(Material.language_code == f.language)
    if f.retired == Retired.HIDE:
        query = query.where(Material.retired_at.is_(None))
    elif f.retired == Retired.ONLY:
        query = query.where(Material.retired_at.is_not(None))
    return sorted(db.session.scalars(query).all(), key=catalogue_order)


def languages_in_use() -> list[str]:
    """The language codes materials are written in (for the catalogue's filter)."""
    return list(
        db.session.scalars(
            sa.select(Material.language_code)
            .where(Material.language_code.is_not(None))
            .distinct()
            .order_by(Material.language_code)
        )
    )


def _live_outreach_of(material_ids: Iterable[int]) -> sa.Select[Any]:
    return (
        sa.select(outreach_materials.c.material_id, outreach_materials.c.outreach_id)
        .join(Outreach, Outreach.id == outreach_materials.c.outreach_id)
        .where(
            outreach_materials.c.material_id.in_(list(material_ids)),
            Outreach.deleted_at.is_(None),
        )
    )


def outreach_counts(material_ids: Iterable[int]) -> dict[int, int]:
    """How many outreach records (deleted ones left out) disseminated each material.

    Every link counted from the index of ``material_id`` alone, less the links of deleted
    records (few, found through their own index): joining each link to its live record
    read a million records at benchmark scale.
    """
    wanted = list(material_ids)
    links = outreach_materials.c
    counts = {
        material_id: count
        for material_id, count in db.session.execute(
            sa.select(links.material_id, sa.func.count())
            .where(links.material_id.in_(wanted))
            .group_by(links.material_id)
        )
    }
    deleted_records = sa.select(Outreach.id).where(Outreach.deleted_at.is_not(None))
    deleted = db.session.execute(
        sa.select(links.material_id, sa.func.count())
        .where(links.material_id.in_(wanted), links.outreach_id.in_(deleted_records))
        .group_by(links.material_id)
    )
    for material_id, count in deleted:
        counts[material_id] -= count
    return {material_id: count for material_id, count in counts.items() if count}


def recent_outreach(material: Material, limit: int = 10) -> list[Outreach]:
    """The latest outreach records that disseminated the material, newest first."""
    ids = _live_outreach_of([material.id]).with_only_columns(outreach_materials.c.outreach_id)
    return list(
        db.session.scalars(
            sa.select(Outreach)
            .where(Outreach.id.in_(ids))
            .order_by(Outreach.occurred_at.desc(), Outreach.id.desc())
            .limit(limit)
        )
    )


# --- The programme's own materials (crm seed) ----------------------------------------------

SEED_COLUMNS = ("key", "kind", "title", "audiences", "language", "url", "description")
# The data file's column for each field of a material, where the names differ.
_COLUMN_OF = {"language_code": "language"}


@dataclass
class _SeedRow:
    line: int
    key: str
    values: dict[str, Any]


def _seed_row(row: dict[str, str], line: int, first_line: dict[str, int]) -> _SeedRow:
    """One row of the data file checked by the catalogue's rules; errors name the column."""
    try:
        key = clean_text(row["key"], "key", MAX_KEY, required=True)
        if not _KEY.fullmatch(key):
            raise ValidationError(
                f"{key!r} is not a key: lower-case letters, digits and : . _ - only", field="key"
            )
        if key in first_line:
            raise ValidationError(
                f"the key {key!r} is already on line {first_line[key]}", field="key"
            )
        values = clean_material(
            {
                "kind": row["kind"],
                "title": row["title"],
                "audiences": [a.strip() for a in row["audiences"].split("|") if a.strip()],
                "language_code": row["language"],
                "url": row["url"],
                "description": row["description"],
            }
        )
    except ValidationError as error:
        raise ValidationError(
            error.message, field=_COLUMN_OF.get(error.field or "", error.field)
        ) from None
    first_line[key] = line
    return _SeedRow(line, key, values)


def _read_seed_file(path: Path) -> list[_SeedRow]:
    """Every row of the data file, checked before anything is written; a refusal names the
    file, the line and the column."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError("file not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text", where=str(path)) from None
    except OSError as error:
        raise ValidationError(f"cannot be read: {error.strerror}", where=str(path)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[_SeedRow] = []
    first_line: dict[str, int] = {}
    line = 1
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationError("the file is empty")
        if sorted(header) != sorted(SEED_COLUMNS):
            raise ValidationError(
                f"the columns must be {', '.join(SEED_COLUMNS)} (found {', '.join(header)})"
            )
        end = reader.line_num
        for fields in reader:
            # A quoted value may span lines: a row is named by the line it starts on.
            line, end = end + 1, reader.line_num
            if not any(field.strip() for field in fields):
                continue
            if len(fields) != len(header):
                raise ValidationError(f"{len(fields)} fields, expected {len(header)}")
            rows.append(_seed_row(dict(zip(header, fields, strict=True)), line, first_line))
    except csv.Error as error:
        raise ValidationError(f"not valid CSV: {error}", where=f"{path}:{line}") from None
    except ValidationError as error:
        error.where = f"{path}:{line}" if text else str(path)
        raise
    return rows


def seed_materials(path: Path = DEFAULT_MATERIALS, report: SeedReport | None = None) -> SeedReport:
    """Create the programme's own materials whose key is missing; the whole file is checked
    before anything is written. A material already there is left as it is, whatever the
    file says: admins may have corrected, translated or retired it since, and a new run
    must not undo that. Materials missing from the file stay.

    Loading them is not audited, like the framework and the vocabularies (the material's page
    says it is the programme's own)."""
    report = report or SeedReport()
    rows = _read_seed_file(path)
    there = set(
        db.session.scalars(sa.select(Material.key).where(Material.key.in_([r.key for r in rows])))
    )
    created = 0
    for row in rows:
        if row.key not in there:
            _new_material(row.values, key=row.key)
            created += 1
            report.count("created", "materials")
    db.session.flush()
    parts = [
        f"{n} {what}"
        for n, what in ((created, "created"), (len(rows) - created, "already there"))
        if n
    ]
    report.notes.append(f"materials from {path.name}: {', '.join(parts) or 'none in the file'}")
    return report
