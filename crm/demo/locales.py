"""Vocabulary of the demo: people's names, company-name words and places per language and country.

The lists live in crm/demo/data/locales.json (per language) and countries.json (per country:
time zone, phone pattern, legal forms and cities by language, share of the enterprises, the
officer who looks after it); here they become typed records, with the rules that are code
(feminine surnames, ASCII folding for e-mail addresses). Compact, hand-written lists: enough
variety for 100,000 people, no dependency. The GB phone pattern is in the range Ofcom keeps
free for drama (0121 496 0xxx): those numbers reach nobody.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from crm.demo.errors import DemoDataError
from crm.demo.files import integer, mapping, member, read_json, text, texts


def _feminine_cs(surname: str) -> str:
    """Czech surnames take a feminine form: Novák -> Nováková, Černý -> Černá."""
    if surname.endswith("ý"):
        return surname[:-1] + "á"
    if surname.endswith("a"):
        return surname[:-1] + "ová"
    if surname.endswith("ek"):
        return surname[:-2] + "ková"
    if surname.endswith("ec"):
        return surname[:-2] + "cová"
    return surname + "ová"


def _feminine_pl(surname: str) -> str:
    """Polish adjectival surnames agree in gender: Kowalski -> Kowalska; Nowak stays."""
    for masculine, feminine in (("dzki", "dzka"), ("cki", "cka"), ("ski", "ska")):
        if surname.endswith(masculine):
            return surname[: -len(masculine)] + feminine
    return surname


@dataclass(frozen=True)
class _Locale:
    name: str  # the language's name in English ("German"), for subjects
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    # Words for company names by line of business: machine (tool builders), component,
    # supplier, distributor, user (industry), service, training.
    trades: dict[str, tuple[str, ...]]
    orders: tuple[str, ...]  # "ST": surname first ("Müller Präzisionstechnik"), "TS" the reverse
    affiliates: tuple[str, ...]  # chamber, cluster, regional association; {c} is the city
    town_hall: str
    school: str
    info: str = "info"
    feminine: Callable[[str], str] | None = None


@dataclass(frozen=True)
class _Country:
    code: str
    language: str
    timezone: str
    phone: str  # "#" stands for a digit
    forms: tuple[tuple[str, str], ...]  # legal form and the language it goes with
    cities: tuple[tuple[str, str], ...]  # city and its language
    weight: int  # share of the generated enterprises
    officer: int  # which demo officer looks after the country (0, 1, 2)


_TRANSLITERATION = {
    "de": str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}),
    "da": str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"}),
}
_TRANSLITERATE_ANY = str.maketrans(
    {"ß": "ss", "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "ı": "i", "đ": "d"}
)
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def ascii_fold(text: str, language: str = "") -> str:
    """Lower-case ASCII as people write their names in e-mail addresses (Müller -> mueller)."""
    lowered = text.lower()
    if language in _TRANSLITERATION:
        lowered = lowered.translate(_TRANSLITERATION[language])
    lowered = lowered.translate(_TRANSLITERATE_ANY)
    decomposed = unicodedata.normalize("NFKD", lowered)
    return decomposed.encode("ascii", "ignore").decode("ascii")


# Rules of the languages whose surnames change with gender, by their name in locales.json.
FEMININE_RULES: dict[str, Callable[[str], str]] = {"czech": _feminine_cs, "polish": _feminine_pl}
DEMO_OFFICERS = 3  # officer1 to officer3 of the demo accounts
TRADES = ("machine", "component", "supplier", "distributor", "user", "service", "training")


@cache
def locales() -> dict[str, _Locale]:
    """The locales of locales.json by language code, read once."""
    data = mapping(read_json("locales.json"), "locales.json")
    result = {}
    for code, entry in data.items():
        where = f"locales.json: {code}"
        entry = mapping(entry, where)
        trades = mapping(member(entry, "trades", where), f"{where}.trades")
        feminine = entry.get("feminine")
        if feminine is not None and feminine not in FEMININE_RULES:
            raise DemoDataError(
                f"{where}.feminine: {feminine!r} is not a known rule ({', '.join(FEMININE_RULES)})"
            )
        result[code] = _Locale(
            name=text(member(entry, "name", where), f"{where}.name"),
            male=texts(member(entry, "male", where), f"{where}.male"),
            female=texts(member(entry, "female", where), f"{where}.female"),
            surnames=texts(member(entry, "surnames", where), f"{where}.surnames"),
            trades={
                trade: texts(member(trades, trade, f"{where}.trades"), f"{where}.trades.{trade}")
                for trade in TRADES
            },
            orders=texts(member(entry, "orders", where), f"{where}.orders"),
            affiliates=texts(member(entry, "affiliates", where), f"{where}.affiliates"),
            town_hall=text(member(entry, "town_hall", where), f"{where}.town_hall"),
            school=text(member(entry, "school", where), f"{where}.school"),
            info=text(entry.get("info", "info"), f"{where}.info"),
            feminine=FEMININE_RULES[feminine] if feminine is not None else None,
        )
    return result


def _by_language(value: object, where: str) -> tuple[tuple[str, str], ...]:
    """``{"de": ["AG", "GmbH"], "fr": ["SA"]}`` as (value, language) pairs, in file order."""
    groups = mapping(value, where)
    return tuple(
        (item, language)
        for language, items in groups.items()
        for item in texts(items, f"{where}.{language}")
    )


@cache
def countries() -> dict[str, _Country]:
    """The countries of countries.json by ISO code, in file order (it weighs draws), read once."""
    data = mapping(read_json("countries.json"), "countries.json")
    known = locales()
    result = {}
    for code, entry in data.items():
        where = f"countries.json: {code}"
        entry = mapping(entry, where)
        country = _Country(
            code=code,
            language=text(member(entry, "language", where), f"{where}.language"),
            timezone=text(member(entry, "timezone", where), f"{where}.timezone"),
            phone=text(member(entry, "phone", where), f"{where}.phone"),
            forms=_by_language(member(entry, "forms", where), f"{where}.forms"),
            cities=_by_language(member(entry, "cities", where), f"{where}.cities"),
            weight=integer(member(entry, "weight", where), f"{where}.weight"),
            officer=integer(member(entry, "officer", where), f"{where}.officer"),
        )
        languages = {country.language} | {lang for _, lang in country.forms + country.cities}
        for language in sorted(languages - set(known)):
            raise DemoDataError(f"{where}: the language {language!r} is not in locales.json")
        if not 0 <= country.officer < DEMO_OFFICERS:
            raise DemoDataError(f"{where}.officer: expected 0 to {DEMO_OFFICERS - 1}")
        result[code] = country
    return result
