"""Alembic environment, run through Flask-Migrate (``crm db ...``) inside the app context."""

from __future__ import annotations

import logging
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context
from flask import current_app

from crm.models.base import UTCDateTime

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write our UTC type as the plain column type, so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def skip_empty_revision(ctx: Any, revision: Any, directives: list[Any]) -> None:
    if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
        directives[:] = []
        logger.info("No changes in schema detected.")


def configure_args(**extra: Any) -> dict[str, Any]:
    args = dict(migrate_ext.configure_args)
    args.setdefault("process_revision_directives", skip_empty_revision)
    args.update(
        target_metadata=target_metadata,
        render_item=render_item,
        render_as_batch=True,
        compare_type=True,
        compare_server_default=True,
    )
    args.update(extra)
    return args


def run_migrations_offline() -> None:
    url = migrate_ext.db.engine.url.render_as_string(hide_password=False)
    context.configure(**configure_args(url=url, literal_binds=True))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine: sa.Engine = migrate_ext.db.engine
    with engine.connect() as connection:
        context.configure(**configure_args(connection=connection))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
