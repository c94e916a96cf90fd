"""`make run` and the instance folder: a busy port is said before anything else is done, and
the folder holding the SQLite database is readable by its owner only."""

from __future__ import annotations

import shutil
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from crm import PROJECT_ROOT, create_app


def _test_config(tmp_path: Path) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "unused.sqlite3"),
    }


def test_the_instance_folder_is_created_private(tmp_path: Path) -> None:
    folder = tmp_path / "instance"
    create_app(_test_config(tmp_path), instance_path=str(folder))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_instance_folder_open_to_others_is_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "instance"
    folder.mkdir()
    folder.chmod(0o755)
    (folder / "crm.sqlite3").write_bytes(b"")
    create_app(_test_config(tmp_path), instance_path=str(folder))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_says_at_once_that_the_port_is_busy(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # From an empty folder: nothing may be set up or loaded before the port is checked.
        result = subprocess.run(
            ["make", "-f", str(PROJECT_ROOT / "Makefile"), "run", f"PORT={port}"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode != 0
    assert f"Port {port} on 127.0.0.1 is busy" in result.stdout, result.stdout + result.stderr
    assert f"make run PORT={port + 1}" in result.stdout
    assert "demo accounts" not in result.stdout
    assert list(tmp_path.iterdir()) == []
