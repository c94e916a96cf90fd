"""Text normalisation for search and duplicate detection (``Müller`` matches ``muller``)."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Letters NFKD does not decompose into a base letter and a mark.
_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th", "ı": "i"}
)


def normalise_text(value: str) -> str:
    """Lower-case, accent-free, punctuation collapsed to single spaces."""
    folded = unicodedata.normalize("NFKD", value.casefold().translate(_FOLD))
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", stripped).strip()


def person_name_keys(first_name: str, last_name: str) -> dict[str, str]:
    """The derived name columns of a person: ``name_normalised`` ("first last", for search
    and duplicates) and ``sort_name`` ("last first", the order of lists)."""
    return {
        "name_normalised": normalise_text(f"{first_name} {last_name}")[:210],
        "sort_name": normalise_text(f"{last_name} {first_name}")[:210],
    }


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC, e.g. ``2026-03-10T08:30:00+00:00`` (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")
