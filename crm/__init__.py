"""The MTS stakeholder-engagement CRM."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: Mapping[str, Any] | None = None, *, serving: bool = True) -> Flask:
    """Build the app: settings from ``CRM_*`` variables (or ``test_config``), extensions, views.

    ``serving=False`` is for maintenance commands (migrations, seed, users), which sign no
    sessions and so do not need the production secret key.
    """
    from crm import clock
    from crm.config import build_config, check_production_safety
    from crm.database import configure_engine_events, init_request_transactions
    from crm.extensions import csrf, db, login_manager, migrate
    from crm.security import init_security
    from crm.services import search_sync
    from crm.templating import init_templating
    from crm.views import register_blueprints

    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(build_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if serving:
        check_production_safety(app.config)
    clock.configure(app.config["CRM_TIMEZONE"])
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    search_sync.install()
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
