"""The MTS stakeholder-engagement CRM."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent
log = logging.getLogger(__name__)


def private_folder(path: str | os.PathLike[str]) -> None:
    """Create the instance folder readable by its owner only, or tighten it to that.

    It holds the SQLite database and the demo accounts, which other users of the machine must
    not read. A folder we may not change (owned by someone else) is left as it is, with a
    warning, rather than stopping the app.
    """
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        try:
            folder.chmod(0o700)
        except OSError as error:
            log.warning("cannot make %s private (mode %o): %s", folder, mode, error)


def create_app(
    test_config: Mapping[str, Any] | None = None,
    *,
    serving: bool = True,
    instance_path: str | None = None,
) -> Flask:
    """Build the app: settings from ``CRM_*`` variables (or ``test_config``), extensions, views.

    ``serving=False`` is for maintenance commands (migrations, seed, users), which sign no
    sessions and so do not need the production secret key. ``instance_path`` replaces the
    ``instance`` folder beside the code (tests use a folder of their own).
    """
    from crm import clock
    from crm.config import build_config, check_production_safety
    from crm.database import configure_engine_events, init_request_transactions
    from crm.extensions import csrf, db, login_manager, migrate
    from crm.security import init_security
    from crm.services import mail, search_sync
    from crm.services.coverage import kept as coverage_kept
    from crm.services.events import sequence as event_sequence
    from crm.services.outreach import facets as outreach_facets
    from crm.services.reminders import planning as reminder_planning
    from crm.templating import init_templating
    from crm.views import register_blueprints

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if serving:
        check_production_safety(app.config)
    clock.configure(app.config["CRM_TIMEZONE"])
    mail.configure(mail.MailSettings.from_config(app.config))
    private_folder(app.instance_path)

    db.init_app(app)
    search_sync.install()
    outreach_facets.install()
    coverage_kept.install()
    reminder_planning.install()
    event_sequence.install()
    with app.app_context():
        configure_engine_events(db.engine)
    init_request_transactions(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    init_security(app)
    init_templating(app)
    register_blueprints(app)
    return app
