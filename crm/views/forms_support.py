"""Helpers shared by views that turn service errors into messages beside the form field."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_wtf import FlaskForm

from crm.services.errors import ConflictError, ValidationError


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    """Show a service's ValidationError beside the field it names (or at the top)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def conflict_in_words(
    conflict: ConflictError, labels: Mapping[str, str], shown: Callable[[object], str]
) -> ConflictError:
    """The differences of a refused edit under the form's labels, each value as the page
    shows it."""
    return ConflictError(
        conflict.message,
        {
            labels.get(name, name): (shown(stored), shown(yours))
            for name, (stored, yours) in conflict.differences.items()
        },
    )
