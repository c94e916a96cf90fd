"""The direction of dependencies: models <- services <- (views, forms, CLI, importers).

Read from the source with ``ast``, so that a forbidden import anywhere in a module (at the top
or inside a function) fails here, not only one that happens to run in a test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CRM = ROOT / "crm"

# package -> module prefixes it must never import
FORBIDDEN = {
    "crm.models": ("crm.services", "crm.views", "crm.forms", "crm.cli", "flask", "importers"),
    "crm.services": ("crm.views", "crm.forms", "crm.cli", "flask", "importers"),
    "crm.demo": ("crm.views", "crm.forms", "flask"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _is_forbidden(name: str, forbidden: tuple[str, ...]) -> bool:
    """``name`` is one of the prefixes or a module below one ("flaskish" is not "flask")."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in forbidden)


def _violations(package: str, forbidden: tuple[str, ...]) -> list[str]:
    folder = ROOT / Path(*package.split("."))
    files = sorted(folder.rglob("*.py")) if folder.is_dir() else []
    bad = []
    for path in files:
        for line, name in _imports(path):
            if _is_forbidden(name, forbidden):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return bad


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    assert _violations(package, FORBIDDEN[package]) == []


def test_the_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The scanner itself: an import inside a function is found, a similar name is not."""
    module = tmp_path / "example.py"
    module.write_text(
        "import flaskish\n\ndef f():\n    from flask import request\n    return request\n"
    )
    names = [name for _, name in _imports(module)]
    assert "flask.request" in names and "flaskish" in names
    found = [name for name in names if _is_forbidden(name, ("flask",))]
    assert found == ["flask", "flask.request"]  # the import in the function; not flaskish


def test_every_package_is_checked() -> None:
    assert (CRM / "models").is_dir() and (CRM / "services").is_dir()
    assert _module_name(CRM / "models" / "__init__.py") == "crm.models"


def _calls_of_today(path: Path) -> list[int]:
    """Lines calling ``date.today()`` or ``datetime.date.today()``: the server's date."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
            if node.func.attr == "today" and owner_name == "date":
                lines.append(node.lineno)
    return lines


def test_no_code_asks_the_server_for_its_date() -> None:
    """Every "today" is the programme's (crm.clock.local_today), not the server's."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(CRM.rglob("*.py"))
        if path.name != "clock.py"
        for line in _calls_of_today(path)
    ]
    assert found == []


def test_local_today_follows_the_configured_zone() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from crm import clock

    before = clock.programme_zone()
    try:
        dates = {}
        for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):  # UTC+14 and UTC-11
            clock.configure(zone)
            dates[zone] = clock.local_today()
            assert dates[zone] == datetime.now(ZoneInfo(zone)).date()
        assert dates["Pacific/Kiritimati"] != dates["Pacific/Pago_Pago"]  # 25 hours apart
    finally:
        clock.configure(before.key)
