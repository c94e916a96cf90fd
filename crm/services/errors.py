"""Errors services raise for input they refuse; messages are written for the user."""

from __future__ import annotations


class ValidationError(ValueError):
    """Bad input. ``field`` names the form field or column, ``where`` a file and line."""

    def __init__(self, message: str, field: str | None = None, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.where = where

    def __str__(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        field = f"{self.field}: " if self.field else ""
        return f"{prefix}{field}{self.message}"


class ConflictError(Exception):
    """Someone else saved the record since the user loaded it; nothing was overwritten.

    ``differences`` maps each field where the stored value and the user's differ to
    ``(stored, yours)``.
    """

    def __init__(self, message: str, differences: dict[str, tuple[object, object]]) -> None:
        super().__init__(message)
        self.message = message
        self.differences = differences


def check_version(
    record: object, expected: object, submitted: dict[str, object], label: str
) -> None:
    """Refuse a save based on an old version of ``record`` (optimistic locking)."""
    try:
        expected_version = int(expected)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        expected_version = None
    if expected_version == record.version:  # type: ignore[attr-defined]
        return
    differences = {
        field: (getattr(record, field), value)
        for field, value in submitted.items()
        if getattr(record, field) != value
    }
    raise ConflictError(
        f"{label} was changed by someone else while you were editing it, so nothing was "
        "saved. The form now shows the current values; apply your changes again.",
        differences,
    )
