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
