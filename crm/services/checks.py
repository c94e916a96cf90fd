"""Field checks every area's services share: text, e-mails, enums, codes, numbers, periods.

Each takes the raw value (from a form, a file or an API) and the name of the field it came
from, and returns the clean value or raises ``ValidationError`` naming that field.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
import zoneinfo
from collections.abc import Collection
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal, TypeVar, overload
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from crm.extensions import db
from crm.models import StrEnum
from crm.services import reference
from crm.services.errors import ValidationError

E = TypeVar("E", bound=StrEnum)
# The largest id a record can have: primary keys are INTEGER, 32 bits on PostgreSQL (SQLite's
# driver overflows only above 2**63 - 1). Ids from URLs and forms are checked against it
# before they reach the database, which would otherwise answer with an error (a 500).
MAX_ID = 2**31 - 1
ALLOWED_CONTROLS = frozenset("\t\r\n")


def forbidden_character(text: str) -> str | None:
    """The first character no stored text may hold, or None.

    Control characters (C0 but tab and line breaks, DEL, C1), lone surrogates and the
    non-characters U+FFFE/U+FFFF: XML 1.0 forbids most of them, so one of them in any field
    would make every XLSX export of it unreadable, and none belongs in a name or a note.
    """
    for ch in text:
        code = ord(ch)
        if (
            (code < 32 and ch not in ALLOWED_CONTROLS)
            or 0x7F <= code <= 0x9F
            or 0xD800 <= code <= 0xDFFF
            or code & 0xFFFE == 0xFFFE
        ):
            return ch
    return None


# Characters that show as nothing (zero-width space and joiners, word joiner, byte-order mark,
# braille blank, Hangul fillers, Mongolian vowel separator): a name of only these is no name.
BLANK_LOOKING = frozenset("\u200b\u200c\u200d\u2060\ufeff\u2800\u3164\u115f\u1160\uffa0\u180e")
# Bidirectional controls (Unicode's Bidi_Control property: the Arabic letter mark, the
# left-to-right and right-to-left marks, the embeddings and overrides, the isolates) make text
# show in another order than it is stored ("A\u202eB" shows reversed): refused, as they can
# disguise a title, a name or an address on a public page. Right-to-left scripts show in their
# own order without them.
BIDI_CONTROLS = frozenset(
    chr(c) for c in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)


def _shows_nothing(ch: str) -> bool:
    return ch.isspace() or ch in BLANK_LOOKING or unicodedata.category(ch) == "Cf"


def visible_text(text: str) -> str:
    """The text without what shows as nothing at its ends; empty when nothing in it shows."""
    start, end = 0, len(text)
    while start < end and _shows_nothing(text[start]):
        start += 1
    while end > start and _shows_nothing(text[end - 1]):
        end -= 1
    return text[start:end]


def check_characters(text: str, field: str | None) -> None:
    """Refuse what no stored text may hold (``forbidden_character``) and the direction
    controls that would show it in another order than it is stored (``BIDI_CONTROLS``)."""
    bad = forbidden_character(text)
    if bad is not None:
        raise ValidationError(
            f"contains a control character (U+{ord(bad):04X}) that cannot be stored; "
            "remove it and save again",
            field=field,
        )
    disguise = next((ch for ch in text if ch in BIDI_CONTROLS), None)
    if disguise is not None:
        raise ValidationError(
            f"contains a direction control (U+{ord(disguise):04X}) that would show the text "
            "in another order than it is stored; remove it",
            field=field,
        )


_HUGE = 10**100


def as_text(value: object, field: str) -> str:
    """``str(value)``, except for a number too long to be anything a field means (Python
    refuses to write out an int of more than 4,300 digits at all)."""
    if isinstance(value, int) and not -_HUGE < value < _HUGE:
        raise ValidationError("this number is far too large", field=field)
    return str(value)


def years_later(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes the 28th in a year without it."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


EARLIEST_DAY = date(2000, 1, 1)  # older than the programme by far: a mistyped year
YEARS_AHEAD = 10  # a day further ahead is a mistyped year (2062 for 2026)


def plausible_day(day: date, field: str, today: date) -> date:
    """A day the programme can mean: one before 2000 or more than ten years after ``today``
    is a mistyped year."""
    if day < EARLIEST_DAY:
        raise ValidationError(
            f"{day.isoformat()} is before {EARLIEST_DAY.year}: check the year", field=field
        )
    if day > years_later(today, YEARS_AHEAD):
        raise ValidationError(
            f"{day.isoformat()} is more than {YEARS_AHEAD} years ahead: check the year",
            field=field,
        )
    return day


@overload
def clean_text(value: object, field: str, limit: int, required: Literal[True]) -> str: ...
@overload
def clean_text(value: object, field: str, limit: int, required: bool = False) -> str | None: ...
def clean_text(value: object, field: str, limit: int, required: bool = False) -> str | None:
    """Trimmed text or None; refuses over-long, (when required) empty values and control
    characters. Anything but a string or a number (a file sent in a text field) is refused."""
    if value is not None and not isinstance(value, (str, int)):
        raise ValidationError("expected text", field=field)
    text = visible_text(as_text(value, field)) if value is not None else ""
    if required and not text:
        raise ValidationError("this field is required", field=field)
    if len(text) > limit:
        raise ValidationError(f"at most {limit} characters (this has {len(text)})", field=field)
    check_characters(text, field)
    return text or None


def normalise_email(raw: str, field: str = "email") -> str:
    """A valid e-mail address, lower-cased: the form accounts and people are matched by."""
    value = (raw or "").strip()
    if not value:
        raise ValidationError("an e-mail address is required", field=field)
    if len(value) > 254:
        raise ValidationError("the e-mail address is longer than 254 characters", field=field)
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            f"{value!r} is not a valid e-mail address: {error}", field=field
        ) from None
    return checked.normalized.lower()


def clean_email(value: object, field: str = "email") -> str | None:
    """A valid e-mail address (lower-cased) or None."""
    text = clean_text(value, field, 254)
    if text is None:
        return None
    return normalise_email(text, field=field)


@overload
def clean_enum(enum_cls: type[E], value: object, field: str, required: Literal[True]) -> E: ...
@overload
def clean_enum(
    enum_cls: type[E], value: object, field: str, required: bool = False
) -> E | None: ...
def clean_enum(enum_cls: type[E], value: object, field: str, required: bool = False) -> E | None:
    """A member of ``enum_cls`` by its stored value (case and spaces ignored), or None."""
    if value in (None, ""):
        if required:
            raise ValidationError("this field is required", field=field)
        return None
    shown = as_text(value, field)[:80]
    try:
        return enum_cls(shown.strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in enum_cls)
        raise ValidationError(f"{shown!r} is not one of {choices}", field=field) from None


def clean_country(value: object, field: str = "country_code", required: bool = False) -> str | None:
    """An ISO 3166-1 alpha-2 code of the seeded countries, upper-cased, or None."""
    code = clean_text(value, field, 100) or ""
    if not code:
        if required:
            raise ValidationError("this field is required", field=field)
        return None
    code = code.upper()
    if code not in reference.country_codes():
        raise ValidationError(f"{code[:20]!r} is not an ISO 3166-1 country code", field=field)
    return code


def clean_language(value: object, field: str = "language_code") -> str | None:
    """An ISO 639-1 code of the seeded languages, lower-cased, or None."""
    code = (clean_text(value, field, 100) or "").lower()
    if not code:
        return None
    if code not in reference.language_codes():
        raise ValidationError(f"{code[:20]!r} is not an ISO 639-1 language code", field=field)
    return code


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def clean_int(value: object, field: str, minimum: int = 0, maximum: int = 10**9) -> int | None:
    """A whole number within bounds, or None for an empty value."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError("expected a whole number", field=field)
    text = as_text(value, field).strip()
    if len(text) > 20:
        raise ValidationError(f"must be between {minimum:,} and {maximum:,}", field=field)
    # Digits 0-9 with an optional sign: int() alone also takes "1_0" and other scripts' digits.
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ValidationError(f"{text!r} is not a whole number", field=field)
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValidationError(f"must be between {minimum:,} and {maximum:,}", field=field)
    return number


def clean_decimal(
    value: object, field: str, minimum: Decimal, below: Decimal, what: str = "an amount"
) -> Decimal | None:
    """A finite decimal with ``minimum <= value < below`` (spaces and thousands commas
    ignored), or None. NaN and infinities are refused: no amount is "not a number"."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise ValidationError(f"expected {what}", field=field)
    text = str(value).strip().replace(" ", "").replace(",", "")
    try:
        number = Decimal(text[:40])
    except InvalidOperation:
        raise ValidationError(f"{str(value)[:40]!r} is not {what}", field=field) from None
    if not number.is_finite():
        raise ValidationError(f"{str(value)[:40]!r} is not {what}", field=field)
    if not minimum <= number < below:
        raise ValidationError(f"must be from {minimum:,} to below {below:,}", field=field)
    return number


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CLOCK_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def clean_date(value: object, field: str, required: bool = False) -> date | None:
    """A calendar date typed as YYYY-MM-DD (what date inputs send), or None; a day the month
    does not have (2026-02-30) is refused with the number of days it has."""
    text = clean_text(value, field, 40) or ""
    if not text:
        if required:
            raise ValidationError("give the date as YYYY-MM-DD", field=field)
        return None
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValidationError(f"{text[:40]!r} is not a date: write it as YYYY-MM-DD", field=field)
    year, month, day = (int(part) for part in match.groups())
    if year < 1:
        raise ValidationError(f"{text} is not a date: there is no year 0", field=field)
    if not 1 <= month <= 12:
        raise ValidationError(f"{text} is not a date: there is no month {month}", field=field)
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = calendar.month_name[month]
        raise ValidationError(f"{text} does not exist: {name} {year} has {days} days", field=field)
    return date(year, month, day)


def clean_clock_time(value: object, field: str, required: bool = False) -> time | None:
    """A time of day typed as HH:MM (24 hours), or None."""
    text = clean_text(value, field, 20) or ""
    if not text:
        if required:
            raise ValidationError("give the time as HH:MM", field=field)
        return None
    match = _CLOCK_TIME.fullmatch(text)
    hour, minute = (int(part) for part in match.groups()) if match else (99, 99)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise ValidationError(
            f"{text[:20]!r} is not a time of day: write it as HH:MM, e.g. 14:30", field=field
        )
    return time(hour, minute)


def local_to_utc(
    day: date, clock: time, zone: ZoneInfo, field: str, day_field: str | None = None
) -> datetime:
    """The UTC instant of a wall-clock time in ``zone``. A time the clocks skipped (the hour
    lost when summer time starts) is refused; in the hour that repeats when it ends, the
    first of the two is meant. A day whose instant falls outside the calendar (the first
    hours of year 1 east of UTC, the last ones of 9999 west of it) is refused on
    ``day_field`` (default ``field``)."""
    wall = datetime.combine(day, clock)
    local = wall.replace(tzinfo=zone, fold=0)
    try:
        instant = local.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"{day.isoformat()} is outside the calendar that can be stored: check the year",
            field=day_field or field,
        ) from None
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        raise ValidationError(
            f"{day.isoformat()} {clock:%H:%M} does not exist in {zone.key}: the clocks "
            "skipped it (a daylight-saving change); give a time outside the skipped hour",
            field=field,
        )
    return instant


# Names in the zone database that name no place a user works in: the server's own zone, the
# placeholder zone of unconfigured systems and a file of rules.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})


@cache
def _zones() -> dict[str, str]:
    """The IANA time zones this system knows, by their case-folded name."""
    names = zoneinfo.available_timezones() - _NOT_ZONES
    return {name.casefold(): name for name in names}


def clean_timezone(value: object, field: str = "timezone") -> str | None:
    """An IANA time zone name ("Europe/Berlin"), case ignored and given back as the
    database writes it, or None for an empty value."""
    text = clean_text(value, field, 64) or ""
    if not text:
        return None
    name = _zones().get(text.casefold())
    if name is None:
        raise ValidationError(
            f"{text[:64]!r} is not a known time zone: give an IANA name such as Europe/Berlin",
            field=field,
        )
    return name


def clean_period(starts_on: date | None, ends_on: date | None, field: str = "ends_on") -> None:
    """Refuse a period that ends before it starts."""
    if starts_on and ends_on and ends_on < starts_on:
        raise ValidationError("the end cannot come before the start", field=field)


# Query parameters of the lists and their exports ------------------------------------------


def clean_enum_value(enum_cls: type[Any], value: object, field: str) -> str:
    """A query parameter naming a member of ``enum_cls``, as its stored value, or ""."""
    member = clean_enum(enum_cls, value, field)
    return member.value if member is not None else ""


def clean_choice(value: object, choices: Collection[str], field: str) -> str:
    """A list's sort parameter, one of ``choices``, or ""."""
    text = clean_text(value, field, 40) or ""
    if text and text not in choices:
        known = ", ".join(sorted(choices))
        raise ValidationError(f"{text!r} is not a sort of this list ({known})", field=field)
    return text


def clean_flag(value: object, field: str) -> bool:
    """A query parameter that is 1 or 0 (or absent)."""
    text = clean_text(value, field, 5) or ""
    if text not in ("", "0", "1"):
        raise ValidationError(f"{text!r} is not 1 or 0", field=field)
    return text == "1"


def clean_record_id(model: type[Any], value: object, field: str, what: str) -> int | None:
    """The id of an existing record (one look-up by primary key)."""
    record_id = clean_int(value, field, 1, MAX_ID)
    if record_id is not None and db.session.get(model, record_id) is None:
        raise ValidationError(f"there is no {what} #{record_id}", field=field)
    return record_id
