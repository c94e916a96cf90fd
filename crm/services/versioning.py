"""Optimistic locking shared by every area: refuse a save made on an old version."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from crm.services.errors import ConflictError

# A version as forms send it: ASCII digits only (int() would also take "١" or " 1_0 ").
_VERSION = re.compile(r"[0-9]{1,18}")


class Versioned(Protocol):
    version: int


def parse_version(value: object) -> int | None:
    """The version number a form or a caller sent, or None when it is not one.

    Anything that is not a whole number (text, NaN, infinities, booleans, lists) gives None,
    which no stored record has, so the save becomes a conflict instead of an error page.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _VERSION.fullmatch(value.strip()):
        return int(value.strip())
    return None


def check_version(
    record: Versioned, expected: object, submitted: Mapping[str, object], label: str
) -> None:
    """Refuse a save based on another version of ``record`` than the stored one.

    ``submitted`` holds the values the user saved; the conflict lists those that differ from
    the stored ones, so the page can show both. ``label`` names the record for the message.
    """
    if parse_version(expected) == record.version:
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
