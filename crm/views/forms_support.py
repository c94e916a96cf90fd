"""Helpers shared by views that turn service errors into messages beside the form field."""

from __future__ import annotations

from flask_wtf import FlaskForm

from crm.services.errors import ValidationError


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError beside the field it names (or at the top)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)
