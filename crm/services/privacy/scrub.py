"""How erasure finds a person in text: whole names and identifiers, never a lone common word.

A needle is a full name (in the orders people write it: "first last", "last first",
"last, first", with or without accents), an e-mail address or a phone number. A lone first
or last name ("Georgia", "Chad", "Jordan") is a needle only in text that is about the person
(their own rows and the audit entries about them), because anywhere else it hits countries,
cities and other people.
"""

from __future__ import annotations

import json
import re
import string
from typing import Any

ERASED = "[erased]"
# Shorter needles (a two-letter word) would match too much to be replaced safely.
MIN_NEEDLE = 3
MIN_PHONE_DIGITS = 6

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def ascii_lower(value: str) -> str:
    """Lower-case the ASCII letters only, as SQLite's ``lower()`` does."""
    return value.translate(_ASCII_LOWER)


def _spaced(text: str) -> str:
    return " ".join(text.split())


def name_forms(first: str, last: str, accent_free: str = "") -> list[str]:
    """The ways a full name is written in text; empty unless both parts are known."""
    first, last = _spaced(first), _spaced(last)
    if not first or not last:
        return []
    forms = [f"{first} {last}", f"{last} {first}", f"{last}, {first}"]
    return forms + ([accent_free] if accent_free else [])


def phone_forms(phone: str) -> list[str]:
    """A phone as typed and as digits alone (``+48221234567``), if it has enough digits."""
    typed = _spaced(phone)
    compact = re.sub(r"[^\d+]", "", typed)
    if sum(ch.isdigit() for ch in compact) < MIN_PHONE_DIGITS:
        return []
    return [typed, compact]


def _pattern(needle: str) -> re.Pattern[str]:
    """Case-insensitive, any run of spaces between words, and not inside a longer word
    (``Li Wu`` stays in ``Kali Wulf``, ``li@wu.example`` in ``mali@wu.example``)."""
    before = r"(?<![\w.@+-])" if re.match(r"[\w+]", needle[0]) else ""
    after = r"(?![\w@-]|\.\w)" if re.match(r"\w", needle[-1]) else ""
    words = [re.escape(w) for w in needle.split()]
    return re.compile(before + r"\s+".join(words) + after, re.IGNORECASE)


class Scrubber:
    """Replaces needles by ``[erased]`` in text and in JSON values."""

    def __init__(self, needles: list[str]) -> None:
        cleaned = {_spaced(n) for n in needles if n and len(_spaced(n)) >= MIN_NEEDLE}
        # Longest first, so "Jürgen Müller" goes as one before a shorter overlapping needle.
        self.needles = sorted(cleaned, key=lambda n: (-len(n), n))
        self._patterns = [_pattern(n) for n in self.needles]

    def __bool__(self) -> bool:
        return bool(self.needles)

    def like_variants(self, json_text: bool) -> set[str]:
        """Lower-case substrings, one of which ``lower(column)`` contains in every row that
        may hold a needle: the longest word of each needle, in its usual spellings with only
        ASCII letters lowered (SQLite's ``lower()`` folds no other), and for JSON text also
        with non-ASCII letters escaped (``\\u00fc``). Python then decides on the whole needle.
        """
        variants = set()
        for needle in self.needles:
            word = max(needle.replace(",", " ").split(), key=len)
            for form in {word, word.upper(), word.title(), word.lower()}:
                variants.add(ascii_lower(form))
                if json_text:
                    variants.add(ascii_lower(json.dumps(form)[1:-1]))
        return variants

    def text(self, value: str) -> str:
        for pattern in self._patterns:
            value = pattern.sub(ERASED, value)
        return value

    def names(self, value: str) -> bool:
        """Whether the text holds any needle."""
        return any(p.search(value) for p in self._patterns)

    def whole(self, value: str) -> bool:
        """Whether the text is nothing but one needle (an organisation's e-mail that is
        the person's own)."""
        stripped = value.strip()
        return any(p.fullmatch(stripped) for p in self._patterns)

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.json(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.json(v) for v in value]
        return value
