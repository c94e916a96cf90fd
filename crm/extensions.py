"""Extensions, created unbound and bound to an app in ``create_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from crm.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True)
login_manager = LoginManager()
csrf = CSRFProtect()


def database_key() -> str:
    """The URL (password hidden) of the database the session talks to: the key of what a
    process remembers of one database (``services.reference``, ``services.pagination``)."""
    return str(db.session.get_bind().engine.url)
