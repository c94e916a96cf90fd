"""Errors services raise for input they refuse; messages are written for the user."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


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


class NeedsConfirmation(Exception):
    """The write looks like a mistake the user must decide on; nothing was written.

    Raised before a likely duplicate or an erased person is added; the caller asks the user
    and, when they confirm, calls again with ``confirmed=True``. ``duplicates`` are the
    records it looks like, ``erased`` the erased person who had the same e-mail.
    """

    def __init__(
        self, message: str, duplicates: Sequence[Any] = (), erased: Any | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.duplicates = list(duplicates)
        self.erased = erased
