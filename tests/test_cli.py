from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from crm.cli import cli
from crm.models import User
from crm.services import accounts


def _count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_users_create_reads_the_password_from_stdin(runner, db) -> None:
    result = runner.invoke(
        cli,
        ["users", "create", "Lena.Berg@Teknik.example", "--role", "officer", "--name", "Lena Berg"],
        input="a long stdin passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "created officer lena.berg@teknik.example" in result.output
    assert "password" not in result.output  # nothing printed when the caller chose it
    user = db.session.scalar(sa.select(User).where(User.email == "lena.berg@teknik.example"))
    assert accounts.verify_password(user, "a long stdin passphrase")


def test_users_create_generates_and_prints_a_password_on_a_terminal(
    runner,
    db,
    monkeypatch,
) -> None:
    monkeypatch.setattr("crm.cli.stdin_is_terminal", lambda: True)
    result = runner.invoke(cli, ["users", "create", "tty@x.example", "--role", "viewer"])
    assert result.exit_code == 0, result.output
    printed = result.output.split("password (shown once, change it under My account): ")[1]
    user = db.session.scalar(sa.select(User).where(User.email == "tty@x.example"))
    assert accounts.verify_password(user, printed.strip())


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["bad-address", "--role", "officer"], "a long stdin passphrase\n", "not a valid"),
        (["ok@x.example", "--role", "king"], "a long stdin passphrase\n", "unknown role 'king'"),
        (["ok@x.example", "--role", "officer"], "short\n", "at least 12 characters"),
        (["ok@x.example", "--role", "officer"], "\n", "at least 12 characters"),
        (["ok@x.example"], "a long stdin passphrase\n", "Missing option '--role'"),
    ],
)
def test_users_create_refuses_bad_input(runner, db, args, stdin, message) -> None:
    before = _count(db)
    result = runner.invoke(cli, ["users", "create", *args], input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert _count(db) == before


def test_seed_twice_changes_nothing(runner) -> None:
    result = runner.invoke(cli, ["seed"])
    assert result.exit_code == 0, result.output
    assert "nothing to change" in result.output


def test_seed_with_a_bad_file_says_where(runner, tmp_path: Path) -> None:
    path = tmp_path / "framework.json"
    path.write_text('{"key": "k", "name": "N", "items": [{"code": "1", "text": ""}]}')
    result = runner.invoke(cli, ["seed", "--framework", str(path)])
    assert result.exit_code != 0
    assert f"{path}: items[0].text: text must be 1 to 500 characters" in result.output


@pytest.mark.slow  # starts the crm command in subprocesses
def test_maintenance_commands_need_no_secret_but_serving_does(tmp_path: Path) -> None:
    import os

    from tests.livedb import crm_command

    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env["CRM_DATABASE_URL"] = f"sqlite:///{tmp_path}/prod.sqlite3"  # CRM_ENV unset: production
    crm_command("db", "upgrade", env=env)
    assert "15 commitment items created" in crm_command("seed", env=env)
    assert "nothing to change" in crm_command("seed", env=env)
    with pytest.raises(AssertionError, match="CRM_SECRET_KEY is not set"):
        crm_command("run", "--port", "0", env=env)
    env["CRM_SECRET_KEY"] = env["CRM_ERASURE_KEY"] = "s" * 40
    with pytest.raises(AssertionError, match="crm run is the development server"):
        crm_command("--debug", "run", "--debugger", "--port", "0", env=env)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scale", "0"], "Invalid value for '--scale'"),
        (["--scale", "1001"], "Invalid value for '--scale'"),
        (["--scale", "many"], "'many' is not a valid integer"),
        (["--password", "short"], "--password: the password must have at least 12 characters"),
    ],
)
def test_demo_refuses_bad_options_and_writes_nothing(runner, db, args, message) -> None:
    result = runner.invoke(cli, ["demo", *args])
    assert result.exit_code != 0
    assert message in result.output
    demo_users = sa.select(sa.func.count()).where(User.email.like("%@demo.example"))
    assert db.session.scalar(demo_users) == 0
