"""The ``crm`` command: Flask's CLI over the app factory plus the product's own commands.

Commands stay thin: parse, call a service, commit, report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import FlaskGroup, with_appcontext

from crm import create_app
from crm.config import ConfigError
from crm.database import refresh_statistics
from crm.extensions import db
from crm.services.errors import ValidationError


def _create_app():
    """The app for a command. Maintenance commands sign no sessions and need no secret key;
    the development server (with its debugger) is refused in production altogether."""
    context = click.get_current_context(silent=True)
    serving = context is not None and context.command.name == "run"
    try:
        app = create_app(serving=serving)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
    if serving and app.config["ENV_NAME"] == "production":
        raise click.ClickException(
            "crm run is the development server and its debugger must never face users: "
            "serve production with gunicorn (gunicorn crm.wsgi:app), or set "
            "CRM_ENV=development on your own machine"
        )
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def cli() -> None:
    """MTS stakeholder-engagement CRM."""


@cli.command("seed")
@click.option(
    "--framework",
    "framework_path",
    type=click.Path(path_type=Path),
    help="Load this framework JSON file instead of the DESIGN-MTS one.",
)
@click.option(
    "--materials",
    "materials_path",
    type=click.Path(path_type=Path),
    help="Load the programme's materials from this CSV file instead of the DESIGN-MTS one.",
)
@with_appcontext
def seed_command(framework_path: Path | None, materials_path: Path | None) -> None:
    """Load the commitment framework, vocabularies and the programme's own materials;
    running it again changes nothing (materials already there are left as admins keep them)."""
    from crm.services.seed import DEFAULT_FRAMEWORK, seed_all

    try:
        report = seed_all(framework_path or DEFAULT_FRAMEWORK, materials_path)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"seed: {report.describe()}")


def stdin_is_terminal() -> bool:
    return sys.stdin is None or sys.stdin.isatty()


@cli.group("users")
def users_group() -> None:
    """Manage user accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, help="admin, coordinator, officer, organiser or viewer")
@click.option("--name", "full_name", default="", help="Full name shown in the interface.")
@with_appcontext
def users_create(email: str, role: str, full_name: str) -> None:
    """Create a user. The password is read from standard input when it is not a terminal;
    otherwise one is generated and printed once."""
    from crm.services import accounts

    generated = stdin_is_terminal()
    if generated:
        password = accounts.generate_password()
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(email, role, password, full_name)
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"created {user.role.value} {user.email}")
    if generated:
        click.echo(f"password (shown once, change it under My account): {password}")


@cli.command("demo")
@click.option(
    "--scale",
    type=click.IntRange(1, 1000),
    default=1,
    show_default=True,
    help="Multiplies every volume; 100 gives about 100,000 people and "
    "1,000,000 outreach records for benchmarks.",
)
@click.option(
    "--seed",
    "random_seed",
    type=int,
    default=2027,
    show_default=True,
    help="Random seed; the same seed and scale always give the same data.",
)
@click.option(
    "--password",
    default=None,
    help="Password of the demo users (default: generated and printed once). "
    "At least 12 characters.",
)
@with_appcontext
def demo_command(scale: int, random_seed: int, password: str | None) -> None:
    """Fill an empty database with a deterministic, realistic demo data set."""
    from crm.demo import DemoRefused, generate_demo
    from crm.progress import TerminalProgress
    from crm.services import accounts

    generated = password is None
    password = password or accounts.generate_password()
    try:
        accounts.check_password_strength(password, field="--password")
        report = generate_demo(
            scale=scale, seed=random_seed, password=password, progress=TerminalProgress()
        )
    except (ValidationError, DemoRefused) as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(report.describe())
    if refresh_statistics(db.engine, db.metadata.tables):
        click.echo("database statistics refreshed (VACUUM ANALYZE)")
    click.echo("Sign in at the app with any of these accounts:")
    for email, role in report.users:
        click.echo(f"  {role:<12} {email}")
    click.echo(f"  password     {password}" + ("  (generated for this demo)" if generated else ""))


@cli.command("reindex")
@with_appcontext
def reindex_command() -> None:
    """Rebuild the search index of the register, the facets of the outreach list and the
    kept coverage figures (after a bulk load, a restore from backup or a change of
    CRM_TIMEZONE)."""
    from crm.services import search_index
    from crm.services.coverage import kept as coverage_kept
    from crm.services.outreach import facets

    written = search_index.rebuild()
    facet_rows = facets.rebuild()
    figure_rows = coverage_kept.rebuild()
    db.session.commit()
    refresh_statistics(db.engine, db.metadata.tables)
    click.echo(f"search index rebuilt: {written:,} terms")
    click.echo(f"outreach facets rebuilt: {facet_rows:,} rows")
    click.echo(f"coverage figures rebuilt: {figure_rows:,} rows")


@cli.group("mail")
def mail_group() -> None:
    """Mail through SMTP (CRM_MAIL_* settings)."""


@mail_group.command("test")
@click.argument("address")
@with_appcontext
def mail_test(address: str) -> None:
    """Send a test message to ADDRESS with the CRM_MAIL_* settings; says plainly what is
    wrong when that fails (exit status 1)."""
    from flask import current_app

    from crm.services import mail

    settings = mail.MailSettings.from_config(current_app.config)
    problem = mail.check_settings(settings, address)
    if problem is not None:
        raise click.ClickException(f"not sent: {problem}")
    click.echo(f"sent: a test message to {address} through {settings.describe()}")


@cli.group("reminders")
def reminders_group() -> None:
    """The outbox of reminders and digests."""


@reminders_group.command("send-due")
@with_appcontext
def reminders_send_due() -> None:
    """One pass over the outbox: send what is due (for cron or an operator; safe beside
    crm scheduler and other passes). Exit status 1 if a message failed for good."""
    from datetime import UTC, datetime

    from flask import current_app

    from crm.services import mail
    from crm.services.reminders import dispatch

    runner = dispatch.default_runner()
    started = datetime.now(UTC)
    try:
        report = dispatch.send_due(
            runner=runner, settings=mail.MailSettings.from_config(current_app.config)
        )
    except Exception as error:
        db.session.rollback()
        dispatch.record_run("send-due", runner, started, None, error=repr(error))
        db.session.commit()
        raise
    dispatch.record_run("send-due", runner, started, report)
    db.session.commit()
    click.echo(f"send-due: {report.describe()}")
    if report.failed:
        raise click.ClickException(
            f"{report.failed} message(s) failed for good: an admin can retry them at /admin/mail"
        )


@cli.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the scheduled jobs (send what is due, every minute) until SIGTERM or Ctrl-C.

    One process per database: a second one waits until the first is gone. Never run it
    inside the web server; CRM_SCHEDULER_INTERVAL_SECONDS shortens the interval."""
    import logging

    from flask import current_app

    from crm.scheduler import SchedulerError, run_scheduler

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per run
    try:
        run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchedulerError as error:
        raise click.ClickException(str(error)) from None


def main() -> None:
    cli(prog_name="crm")
