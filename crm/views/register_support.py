"""What the organisation and people views share: choices of select fields, form values."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from crm.extensions import db
from crm.models import Country, Language, Role, User
from crm.services.search import RegisterFilter

STEWARD_ROLES = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER, Role.ORGANISER)


@cache
def _vocabulary(model: type[Country] | type[Language]) -> tuple[tuple[str, str], ...]:
    # Reference data changes only with `crm seed`; a restart picks that up.
    rows = db.session.execute(sa.select(model.code, model.name).order_by(model.name)).all()
    return tuple((code, f"{name} ({code})") for code, name in rows)


def country_choices(blank: str = "—") -> list[SelectChoice]:
    return [SelectChoice("", blank)] + [SelectChoice(c, n) for c, n in _vocabulary(Country)]


@lru_cache(maxsize=512)
def country_options(selected: str, blank: str) -> Markup:
    """The <option>s of a country filter, rendered once per selection: 250 options rendered
    by the template on every list view were a fifth of the page's time."""
    option = Markup('<option value="{}"{}>{}</option>')
    rows = [("", blank), *_vocabulary(Country)]
    return Markup("").join(
        option.format(code, Markup(" selected") if code == selected else "", label)
        for code, label in rows
    )


def language_choices() -> list[SelectChoice]:
    return [SelectChoice("", "—")] + [SelectChoice(c, n) for c, n in _vocabulary(Language)]


def officer_choices() -> list[SelectChoice]:
    users = db.session.execute(
        sa.select(User.id, User.full_name, User.email)
        .where(User.is_active.is_(True), User.role.in_(STEWARD_ROLES))
        .order_by(User.full_name, User.email)
    ).all()
    return [SelectChoice("", "—")] + [SelectChoice(str(i), n or e) for i, n, e in users]


def fill_choices(form: FlaskForm) -> None:
    """Give the select fields of a register form their current options."""
    for name, options in (
        ("country_code", country_choices),
        ("language_code", language_choices),
        ("responsible_officer_id", officer_choices),
    ):
        if hasattr(form, name):
            getattr(form, name).choices = options()


def tag_list(raw: str | None) -> list[str]:
    return [t.strip() for t in (raw or "").split(",") if t.strip()]


def form_data(form: FlaskForm, *names: str) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in names}


def list_context(f: RegisterFilter) -> dict[str, Any]:
    return {
        "filter": f,
        "country_options": country_options,
        "officers": officer_choices(),
    }
