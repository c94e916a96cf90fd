"""Reference data: the commitment framework, the vocabularies and the programme's own
materials, loaded idempotently."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa

from crm.extensions import db
from crm.models import CommitmentItem, Country, Framework, Language
from crm.services import reference
from crm.services.errors import ValidationError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_FRAMEWORK = DATA_DIR / "framework-design-mts.json"
MAX_TEXT = 500


@dataclass
class SeedReport:
    """What a load changed; all zero when the database already held the same data."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what a loader says whatever it changed

    def count(self, kind: str, what: str) -> None:
        target = self.created if kind == "created" else self.updated
        target[what] = target.get(what, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def describe(self) -> str:
        if self.changed:
            parts = [f"{n} {what} created" for what, n in sorted(self.created.items())]
            parts += [f"{n} {what} updated" for what, n in sorted(self.updated.items())]
            summary = ", ".join(parts)
        else:
            summary = "nothing to change: the database already holds this data"
        return "; ".join([summary, *self.notes])


def _read_framework(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError("file not found", where=str(path)) from None
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text", where=str(path)) from None
    except OSError as error:
        raise ValidationError(f"cannot be read: {error.strerror}", where=str(path)) from None
    except json.JSONDecodeError as error:
        raise ValidationError(
            f"not valid JSON: {error.msg}", where=f"{path}:{error.lineno}"
        ) from None
    if not isinstance(raw, dict):
        raise ValidationError("the top level must be an object", where=str(path))
    for key in ("key", "name", "items"):
        if key not in raw:
            raise ValidationError(f"missing field {key!r}", where=str(path), field=key)
    for key, limit in (("key", 60), ("name", 300), ("source", 300)):
        value = raw.get(key, "")
        if not isinstance(value, str) or len(value) > limit or (key != "source" and not value):
            raise ValidationError(
                f"must be text of 1 to {limit} characters", where=str(path), field=key
            )
    return raw


def _flatten(
    items: Any,
    path: Path,
    parent: str | None,
    out: list[tuple[str, str, str | None]],
    trail: str = "items",
) -> None:
    if not isinstance(items, list):
        raise ValidationError("must be a list", where=str(path), field=trail)
    for index, item in enumerate(items):
        where = f"{trail}[{index}]"
        if not isinstance(item, dict):
            raise ValidationError(
                "must be an object with code and text", where=str(path), field=where
            )
        code, text = item.get("code"), item.get("text")
        if not isinstance(code, str) or not code.strip() or len(code) > 20:
            raise ValidationError(
                "code must be 1 to 20 characters", where=str(path), field=f"{where}.code"
            )
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise ValidationError(
                f"text must be 1 to {MAX_TEXT} characters", where=str(path), field=f"{where}.text"
            )
        out.append((code.strip(), text.strip(), parent))
        if "items" in item:
            _flatten(item["items"], path, code.strip(), out, f"{where}.items")


def load_framework(path: Path = DEFAULT_FRAMEWORK, report: SeedReport | None = None) -> SeedReport:
    """Create or update a framework and its items from a JSON file; the whole file is checked
    before anything is written."""
    report = report or SeedReport()
    raw = _read_framework(path)
    flat: list[tuple[str, str, str | None]] = []
    _flatten(raw["items"], path, None, flat)
    codes = [code for code, _, _ in flat]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValidationError(f"codes appear twice: {', '.join(duplicates)}", where=str(path))

    framework = db.session.scalar(sa.select(Framework).where(Framework.key == raw["key"]))
    if framework is None:
        framework = Framework(key=raw["key"], name=raw["name"], source=raw.get("source", ""))
        db.session.add(framework)
        db.session.flush()
        report.count("created", "frameworks")
    elif (framework.name, framework.source) != (raw["name"], raw.get("source", "")):
        framework.name, framework.source = raw["name"], raw.get("source", "")
        report.count("updated", "frameworks")

    existing = {
        item.code: item
        for item in db.session.scalars(
            sa.select(CommitmentItem).where(CommitmentItem.framework_id == framework.id)
        )
    }
    for order, (code, text, parent_code) in enumerate(flat):
        parent_id = existing[parent_code].id if parent_code else None
        item = existing.get(code)
        if item is None:
            item = CommitmentItem(
                framework_id=framework.id,
                code=code,
                text=text,
                parent_id=parent_id,
                sort_order=order,
            )
            db.session.add(item)
            db.session.flush()
            existing[code] = item
            report.count("created", "commitment items")
        elif (item.text, item.parent_id, item.sort_order) != (text, parent_id, order):
            item.text, item.parent_id, item.sort_order = text, parent_id, order
            report.count("updated", "commitment items")
    return report


Vocabulary = TypeVar("Vocabulary", Country, Language)


def _load_csv_vocabulary(
    model: type[Vocabulary], path: Path, report: SeedReport, what: str
) -> None:
    existing = {row.code: row for row in db.session.scalars(sa.select(model))}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            code = (
                (row.get("code") or "").strip().upper()
                if model is Country
                else (row.get("code") or "").strip().lower()
            )
            if len(code) != 2:
                raise ValidationError(
                    f"code {code!r} is not two letters", where=f"{path}:{line}", field="code"
                )
            values: dict[str, object] = {"name": row["name"].strip()}
            if model is Country:
                values["is_eu"] = row.get("is_eu") == "1"
            current = existing.get(code)
            if current is None:
                db.session.add(model(code=code, **values))
                report.count("created", what)
            elif any(getattr(current, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(current, k, v)
                report.count("updated", what)


def seed_all(
    framework_path: Path = DEFAULT_FRAMEWORK, materials_path: Path | None = None
) -> SeedReport:
    """Everything ``crm seed`` loads; the caller commits (or rolls back on a refusal, so a
    bad file leaves nothing half-loaded). ``materials_path``: default the programme's own."""
    # The materials service builds on this module (SeedReport), so it is imported here.
    from crm.services.materials import DEFAULT_MATERIALS, seed_materials

    report = SeedReport()
    _load_csv_vocabulary(Country, DATA_DIR / "countries.csv", report, "countries")
    _load_csv_vocabulary(Language, DATA_DIR / "languages.csv", report, "languages")
    db.session.flush()
    load_framework(framework_path, report)
    db.session.flush()
    seed_materials(materials_path or DEFAULT_MATERIALS, report)
    reference.clear()  # this process reads the new data; web workers read it when they start
    return report
