"""The fast run (``pytest -m "not slow"``) leaves out the slow tests, and only those."""

from __future__ import annotations

import importlib

import pytest

# A live gunicorn or a browser: tens of seconds of start-up each.
LIVE_FIXTURES = {"server", "live_url", "page"}
# Subprocesses, the demo generated twice, a scratch database migrated step by step.
SLOW_BY_NAME = [
    ("tests.test_cli", "test_maintenance_commands_need_no_secret_but_serving_does"),
    ("tests.demo.test_demo", "test_the_same_seed_gives_the_same_data"),
    ("tests.test_migrations", "test_search_index_migration_gives_what_a_rebuild_gives"),
    ("tests.views.test_live_throttle", "test_seven_wrong_passwords_meet_a_429_across_two_workers"),
]


def _marks(module_name: str, test_name: str) -> set[str]:
    module = importlib.import_module(module_name)
    names: set[str] = set()
    for owner in (module, getattr(module, test_name)):
        marks = getattr(owner, "pytestmark", [])
        names.update(mark.name for mark in (marks if isinstance(marks, list) else [marks]))
    return names


@pytest.mark.parametrize(("module_name", "test_name"), SLOW_BY_NAME)
def test_the_slow_tests_are_marked(module_name: str, test_name: str) -> None:
    assert "slow" in _marks(module_name, test_name)


def test_every_test_on_a_live_server_or_browser_is_marked(request: pytest.FixtureRequest) -> None:
    unmarked = [
        item.nodeid
        for item in request.session.items
        if LIVE_FIXTURES & set(getattr(item, "fixturenames", ()))
        and item.get_closest_marker("slow") is None
    ]
    assert unmarked == []
    assert any(line.startswith("slow:") for line in request.config.getini("markers"))
