"""The catalogue of materials: its rules, what outreach is offered, and crm seed's own materials."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.models import (
    Audience,
    AuditEntry,
    Material,
    MaterialAudience,
    MaterialKind,
)
from crm.services import materials
from crm.services.errors import ConflictError, ValidationError
from crm.services.seed import SeedReport, seed_all
from tests import factories

GUIDE = {
    "kind": "guidelines",
    "title": "Guida alla RSI per le PMI delle macchine utensili",
    "language_code": "it",
    "url": "https://designmts.eu/guida",
    "description": "Edizione italiana.",
}
MODULE = {
    "kind": "training-module",
    "title": "Module for works councils",
    "audiences": ["worker-representative", "employee"],
    "language_code": "de",
}
SEEDED_KEYS = {
    "guidelines",
    "module:owners-managers",
    "module:employees-worker-representatives",
    "module:association-staff",
    "help-desk",
    "position-paper",
    "policy-recommendations",
}
HEADER = "key,kind,title,audiences,language,url,description\n"


def _entries(material: Material) -> list[AuditEntry]:
    from crm.extensions import db

    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "material", AuditEntry.entity_id == material.id)
            .order_by(AuditEntry.id)
        )
    )


def _count(db, model=Material) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- Rules ---------------------------------------------------------------------------------


def test_a_material_is_created_and_audited(app, db) -> None:
    coordinator = factories.make_user(role="coordinator")
    material = materials.create_material(MODULE, coordinator)
    assert material.kind == MaterialKind.TRAINING_MODULE
    assert material.audiences == [Audience.EMPLOYEE, Audience.WORKER_REPRESENTATIVE]
    assert material.key is None and material.retired_at is None and material.description == ""
    (entry,) = _entries(material)
    assert entry.action == "create" and entry.actor_id == coordinator.id
    assert entry.changes["audiences"] == [None, ["employee", "worker-representative"]]
    assert entry.changes["title"] == [None, "Module for works councils"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": ""}, "kind", "this field is required"),
        ({"kind": "brochure"}, "kind", "'brochure' is not one of guidelines, training-module"),
        ({"title": ""}, "title", "this field is required"),
        ({"title": " \u200b "}, "title", "this field is required"),
        ({"title": "x" * 301}, "title", "at most 300 characters (this has 301)"),
        ({"title": "Guide\x07"}, "title", "control character (U+0007)"),
        ({"title": "Guide \u202egnp.exe"}, "title", "direction control (U+202E)"),
        ({"title": ["a", "b"]}, "title", "expected text"),
        ({"audiences": ["manager"]}, "audiences", "only training modules have audiences"),
        ({"language_code": "xx"}, "language_code", "'xx' is not an ISO 639-1 language code"),
        ({"language_code": "english"}, "language_code", "is not an ISO 639-1 language code"),
        ({"url": "javascript:alert(1)"}, "url", "is not a web address"),
        ({"url": "JavaScript:alert(1)"}, "url", "is not a web address"),
        ({"url": "data:text/html,hi"}, "url", "is not a web address"),
        ({"url": "designmts.eu/guide"}, "url", "is not a web address"),
        ({"url": "ftp://designmts.eu/guide.pdf"}, "url", "is not a web address"),
        ({"url": "https://"}, "url", "is not a web address"),
        ({"url": "https://designmts.eu/a guide.pdf"}, "url", "a web address has no spaces"),
        ({"url": "https://designmts.eu:port/"}, "url", "is not a web address"),
        ({"url": "https://designmts.eu@elsewhere.example/"}, "url", "a user name before"),
        ({"url": "https://designmts.eu/" + "a" * 480}, "url", "at most 500 characters"),
        ({"description": "x" * 10_001}, "description", "at most 10000 characters"),
        ({"description": "line\x00"}, "description", "control character (U+0000)"),
    ],
)
def test_bad_input_is_refused_naming_the_field(app, db, changes, field, message) -> None:
    before = _count(db)
    with pytest.raises(ValidationError) as raised:
        materials.create_material({**GUIDE, **changes}, factories.make_user(role="admin"))
    assert raised.value.field == field
    assert message in raised.value.message
    assert _count(db) == before


@pytest.mark.parametrize(
    ("audiences", "message"),
    [
        ([], "choose whom the training module is for"),
        (None, "choose whom the training module is for"),
        ([""], "choose whom the training module is for"),
        (["managers"], "'managers' is not one of employer-owner, manager"),
        ("manager", "expected a list of audiences"),
    ],
)
def test_a_training_module_needs_known_audiences(app, db, audiences, message) -> None:
    with pytest.raises(ValidationError, match=message) as raised:
        materials.create_material({**MODULE, "audiences": audiences}, factories.make_user())
    assert raised.value.field == "audiences"


def test_values_are_cleaned(app, db) -> None:
    material = materials.create_material(
        {
            **MODULE,
            "kind": " Training-Module ",
            "audiences": ["manager", "MANAGER", "employer-owner"],
            "language_code": "DE",
            "url": "  http://designmts.eu/modules?id=3#top ",
            "title": "  Module  ",
        },
        None,
    )
    assert material.audiences == [Audience.EMPLOYER_OWNER, Audience.MANAGER]
    assert (material.language_code, material.url, material.title) == (
        "de",
        "http://designmts.eu/modules?id=3#top",
        "Module",
    )
    other = materials.create_material({"kind": "other", "title": "Flyer", "url": ""}, None)
    assert other.url is None and other.language_code is None and other.audiences == []


def test_an_update_is_version_checked_and_audited(app, db) -> None:
    coordinator = factories.make_user(role="coordinator")
    material = materials.create_material(MODULE, coordinator)
    db.session.flush()
    version = material.version
    changes = materials.update_material(
        material, {**MODULE, "audiences": ["employee"], "title": "Works councils"}, coordinator,
        str(version),
    )  # fmt: skip
    db.session.flush()
    assert changes == {
        "title": ["Module for works councils", "Works councils"],
        "audiences": [["employee", "worker-representative"], ["employee"]],
    }
    assert material.audiences == [Audience.EMPLOYEE]
    assert material.version == version + 1
    assert [e.action for e in _entries(material)] == ["create", "update"]

    # The audiences alone are a change too: the version moves on, so a stale form conflicts.
    materials.update_material(
        material, {**MODULE, "audiences": ["employee", "manager"], "title": "Works councils"},
        coordinator, str(version + 1),
    )  # fmt: skip
    db.session.flush()
    assert material.version == version + 2
    assert _count(db, MaterialAudience) >= 2

    with pytest.raises(ConflictError) as raised:
        materials.update_material(
            material, {**MODULE, "title": "Another title"}, coordinator, str(version)
        )
    assert raised.value.differences["title"] == ("Works councils", "Another title")
    assert raised.value.differences["audiences"] == (
        [Audience.EMPLOYEE, Audience.MANAGER],
        [Audience.EMPLOYEE, Audience.WORKER_REPRESENTATIVE],
    )
    assert material.title == "Works councils"


@pytest.mark.parametrize("version", ["", "abc", "1.0", None, "99"])
def test_an_update_without_the_current_version_is_a_conflict(app, db, version) -> None:
    material = materials.create_material(GUIDE, None)
    db.session.flush()
    with pytest.raises(ConflictError):
        materials.update_material(material, {**GUIDE, "title": "New"}, None, version)


def test_an_unchanged_save_writes_no_audit_entry(app, db) -> None:
    material = materials.create_material(GUIDE, None)
    db.session.flush()
    assert materials.update_material(material, GUIDE, None, material.version) == {}
    assert len(_entries(material)) == 1


def test_an_update_is_checked_like_a_create(app, db) -> None:
    material = materials.create_material(MODULE, None)
    db.session.flush()
    with pytest.raises(ValidationError) as raised:
        materials.update_material(
            material, {**MODULE, "kind": "guidelines"}, None, material.version
        )
    assert raised.value.field == "audiences"  # a kind change must clear them, knowingly
    assert material.kind == MaterialKind.TRAINING_MODULE


def test_retire_and_reinstate_are_audited_and_never_delete(app, db) -> None:
    admin = factories.make_user(role="admin")
    material = materials.create_material(GUIDE, admin)
    outreach = factories.make_outreach(logged_by=admin)
    outreach.materials.append(material)
    db.session.flush()
    materials.retire_material(material, admin)
    assert material.is_retired
    with pytest.raises(ValidationError, match="is already retired"):
        materials.retire_material(material, admin)
    db.session.flush()
    assert material in outreach.materials  # past outreach keeps it
    materials.reinstate_material(material, admin)
    assert not material.is_retired
    with pytest.raises(ValidationError, match="is not retired"):
        materials.reinstate_material(material, admin)
    actions = [(e.action, e.actor_id) for e in _entries(material)]
    assert actions == [("create", admin.id), ("retire", admin.id), ("reinstate", admin.id)]
    assert _entries(material)[1].changes["retired_at"][0] is None


# --- What outreach is offered --------------------------------------------------------------


def test_offered_materials_are_active_ones_and_the_retired_ones_kept(app, db) -> None:
    other = materials.create_material({"kind": "other", "title": "Ábaco flyer"}, None)
    guide = materials.create_material({**GUIDE, "title": "zeta guide"}, None)
    early = materials.create_material({**GUIDE, "title": "Éco guide"}, None)
    retired = materials.create_material({**GUIDE, "title": "Old guide"}, None)
    materials.retire_material(retired, None)
    db.session.flush()

    offered = materials.offered_materials()
    assert retired not in offered
    kinds = [m.kind for m in offered]
    assert kinds == sorted(kinds, key=lambda k: materials.KIND_ORDER[k])  # by kind ...
    guides = [m for m in offered if m.kind == MaterialKind.GUIDELINES]
    assert guides.index(early) < guides.index(guide)  # ... then title, accents ignored
    assert offered[-1].kind == MaterialKind.OTHER and other in offered

    kept = materials.offered_materials(keep_ids=[retired.id])
    assert retired in kept and len(kept) == len(offered) + 1
    assert kept.index(early) < kept.index(retired) < kept.index(guide)


def test_outreach_counts_leave_deleted_outreach_out(app, db) -> None:
    guide = materials.create_material(GUIDE, None)
    unused = materials.create_material({**GUIDE, "title": "Unused"}, None)
    records = [factories.make_outreach() for _ in range(3)]
    for record in records:
        record.materials.append(guide)
    records[2].deleted_at = records[2].occurred_at
    db.session.flush()
    assert materials.outreach_counts([guide.id, unused.id]) == {guide.id: 2}
    assert materials.recent_outreach(guide) == sorted(
        records[:2], key=lambda r: (r.occurred_at, r.id), reverse=True
    )


def test_the_catalogue_filter_reads_and_refuses_parameters(app, db) -> None:
    module = materials.create_material(MODULE, None)
    guide = materials.create_material(GUIDE, None)
    retired = materials.create_material({**GUIDE, "title": "Vecchia guida"}, None)
    materials.retire_material(retired, None)
    db.session.flush()

    def listed(**args: str) -> list[Material]:
        f, errors = materials.MaterialFilter.read(args)
        assert errors == []
        return materials.list_materials(f)

    assert module in listed() and retired not in listed()
    assert listed(kind="training-module", audience="employee", language="de") == [module]
    assert module not in listed(audience="manager")
    assert set(listed(language="it")) == {guide}
    assert set(listed(language="it", retired="show")) == {guide, retired}
    assert listed(retired="only") == [retired]

    f, errors = materials.MaterialFilter.read(
        {"kind": "poster", "audience": "everyone", "language": "zz", "retired": "yes"}
    )
    assert [e.field for e in errors] == ["kind", "audience", "language", "retired"]
    assert f.kind is None and f.retired == materials.Retired.HIDE


# --- crm seed ------------------------------------------------------------------------------


def _seeded(db) -> dict[str, Material]:
    return {
        m.key: m for m in db.session.scalars(sa.select(Material).where(Material.key.is_not(None)))
    }


def test_seed_loads_the_programmes_own_materials(app, db) -> None:
    seeded = _seeded(db)  # the test database is seeded with them
    assert set(seeded) == SEEDED_KEYS
    assert seeded["module:owners-managers"].audiences == [
        Audience.EMPLOYER_OWNER, Audience.MANAGER,
    ]  # fmt: skip
    assert seeded["module:employees-worker-representatives"].audiences == [
        Audience.EMPLOYEE, Audience.WORKER_REPRESENTATIVE,
    ]  # fmt: skip
    assert seeded["module:association-staff"].audiences == [Audience.ASSOCIATION_STAFF]
    assert seeded["help-desk"].kind == MaterialKind.HELP_DESK
    assert {m.kind for m in seeded.values()} == set(MaterialKind) - {MaterialKind.OTHER}
    assert all(m.url == "http://designmts.eu/" and m.language_code == "en" for m in seeded.values())
    assert all(m.audiences == [] for m in seeded.values() if m.kind != "training-module")


def test_seeding_again_changes_nothing_and_says_so(app, db) -> None:
    before = _count(db, AuditEntry)
    report = seed_all()
    assert not report.changed
    assert report.describe() == (
        "nothing to change: the database already holds this data; "
        "materials from materials-design-mts.csv: 7 already there"
    )
    assert _count(db, AuditEntry) == before


def _file(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "materials.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def test_seeding_creates_missing_keys_and_leaves_what_admins_changed(
    app, db, tmp_path: Path
) -> None:
    seeded = _seeded(db)
    admin = factories.make_user(role="admin")
    materials.retire_material(seeded["position-paper"], admin)
    materials.update_material(
        seeded["help-desk"],
        {"kind": "help-desk", "title": "Help desk (renamed by an admin)", "language_code": "de"},
        admin,
        seeded["help-desk"].version,
    )
    db.session.flush()
    versions = {key: m.version for key, m in _seeded(db).items()}
    audited = _count(db, AuditEntry)
    path = _file(
        tmp_path,
        "guidelines,guidelines,Guidelines for MTS enterprises (2nd edition),,en,"
        "http://designmts.eu/,",
        "help-desk,help-desk,Help desk,,en,http://designmts.eu/,",
        "position-paper,position-paper,Joint position paper,,en,http://designmts.eu/,",
        "toolkit,other,Communication toolkit,,fr,https://designmts.eu/toolkit,Un kit.",
    )
    report = materials.seed_materials(path, SeedReport())
    assert report.created == {"materials": 1} and report.updated == {}
    assert report.notes == ["materials from materials.csv: 1 created, 3 already there"]
    fresh = _seeded(db)
    assert fresh["toolkit"].language_code == "fr" and fresh["toolkit"].title == (
        "Communication toolkit"
    )
    # What is there stays as it is: the file's other title, the admin's edit and retirement.
    assert (
        fresh["guidelines"].title
        == seeded["guidelines"].title
        != ("Guidelines for MTS enterprises (2nd edition)")
    )
    assert fresh["help-desk"].title == "Help desk (renamed by an admin)"
    assert fresh["help-desk"].language_code == "de"
    assert fresh["position-paper"].is_retired
    assert {key: fresh[key].version for key in versions} == versions
    assert _count(db, AuditEntry) == audited  # creating programme materials is not audited

    again = materials.seed_materials(path, SeedReport())
    assert not again.changed
    assert again.notes == ["materials from materials.csv: 4 already there"]


def test_a_file_without_materials_says_so(app, db, tmp_path: Path) -> None:
    report = materials.seed_materials(_file(tmp_path), SeedReport())
    assert not report.changed
    assert report.notes == ["materials from materials.csv: none in the file"]


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (("guidelines,guidelines,,,en,,",), 3, "title: this field is required"),
        (("a,guidelines,A,,en,,", "b,leaflet,B,,en,,"), 4, "kind: 'leaflet' is not one of"),
        (("a,guidelines,A,,xx,,",), 3, "language: 'xx' is not an ISO 639-1 language code"),
        (("a,guidelines,A,,en,javascript:alert(1),",), 3, "url: 'javascript:alert(1)' is"),
        (("a,training-module,A,,en,,",), 3, "audiences: choose whom the training module"),
        (("a,training-module,A,manager|boss,en,,",), 3, "audiences: 'boss' is not one of"),
        (("a,guidelines,A,manager,en,,",), 3, "audiences: only training modules"),
        (("a,guidelines,A,,en,,", "a,other,B,,en,,"), 4, "key: the key 'a' is already on line 3"),
        ((",guidelines,A,,en,,",), 3, "key: this field is required"),
        (("Key One,guidelines,A,,en,,",), 3, "key: 'Key One' is not a key"),
        (("a,guidelines,A,,en",), 3, "5 fields, expected 7"),
        (("a,guidelines,A,,en,,,extra",), 3, "8 fields, expected 7"),
        (('a,guidelines,"A\n\nB,,en,,',), 3, "fields, expected 7"),
    ],
)
def test_a_bad_seed_file_names_file_line_and_field_and_loads_nothing(
    app, db, tmp_path: Path, rows, line, message
) -> None:
    path = _file(tmp_path, "first,other,Loaded first if anything were,,en,,", *rows)
    before = _count(db)
    with pytest.raises(ValidationError) as raised:
        materials.seed_materials(path)
    text = str(raised.value)
    assert text.startswith(f"{path}:{line}: "), text
    assert message in text, text
    assert _count(db) == before


def test_unreadable_seed_files(app, db, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="file not found"):
        materials.seed_materials(tmp_path / "gone.csv")
    with pytest.raises(ValidationError, match="cannot be read"):
        materials.seed_materials(tmp_path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(HEADER.encode() + b"a,other,\xff\xfe,,en,,\n")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        materials.seed_materials(binary)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="the file is empty"):
        materials.seed_materials(empty)
    other = tmp_path / "other.csv"
    other.write_text("key,kind,title\na,other,A\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"{other}:1: the columns must be key, kind"):
        materials.seed_materials(other)
    nul = tmp_path / "nul.csv"
    nul.write_text(HEADER + "a,other,A\x00B,,en,,\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=rf"{nul}:2"):
        materials.seed_materials(nul)


def test_a_bad_materials_file_fails_crm_seed_and_leaves_nothing(runner, db, tmp_path) -> None:
    from crm.cli import cli

    path = _file(tmp_path, "a,other,A,,en,,", "b,other,B,,en,mailto:x@example.org,")
    before = _count(db)
    result = runner.invoke(cli, ["seed", "--materials", str(path)])
    assert result.exit_code != 0
    assert f"{path}:3: url: 'mailto:x@example.org' is not a web address" in result.output
    assert _count(db) == before
    good = _file(tmp_path, "a,other,A,,en,,")
    result = runner.invoke(cli, ["seed", "--materials", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 materials created; materials from materials.csv: 1 created" in result.output
