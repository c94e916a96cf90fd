"""Reading the demo's data files (crm/demo/data/): JSON for nested tables, CSV for flat ones.

Each file is read once per process (``functools.cache``); a missing or malformed file raises
``DemoDataError`` naming the file and where in it, never a bare ``KeyError`` deep inside a
stage. The helpers below check the shape of what a file holds while the vocabulary is built.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from crm.demo.errors import DemoDataError

DATA_DIRECTORY: Traversable = resources.files("crm.demo") / "data"


def _read_text(source: Traversable | Path, label: str) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DemoDataError(
            f"the demo data file {label} is missing: reinstall the package "
            "(its data files are package data)"
        ) from None
    except UnicodeDecodeError as error:
        raise DemoDataError(
            f"the demo data file {label} is not UTF-8 text (byte {error.start})"
        ) from None


def parse_json(source: Traversable | Path, label: str) -> Any:
    """The value a JSON file holds; ``label`` names the file in error messages."""
    text = _read_text(source, label)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise DemoDataError(
            f"the demo data file {label} is not valid JSON: {error.msg} "
            f"(line {error.lineno}, column {error.colno})"
        ) from None


def parse_csv(
    source: Traversable | Path, label: str, columns: tuple[str, ...]
) -> tuple[dict[str, str], ...]:
    """The rows of a CSV file whose header must be exactly ``columns``; every field is text."""
    reader = csv.reader(io.StringIO(_read_text(source, label), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise DemoDataError(f"the demo data file {label} is empty")
        if tuple(header) != columns:
            raise DemoDataError(
                f"the demo data file {label} has the columns {', '.join(header)}; "
                f"expected {', '.join(columns)}"
            )
        rows = []
        for row in reader:
            if len(row) != len(columns):
                raise DemoDataError(
                    f"the demo data file {label}, line {reader.line_num}: {len(row)} fields, "
                    f"expected {len(columns)} ({', '.join(columns)})"
                )
            rows.append(dict(zip(columns, row, strict=True)))
    except csv.Error as error:
        raise DemoDataError(
            f"the demo data file {label}, line {reader.line_num}: {error}"
        ) from None
    return tuple(rows)


@cache
def read_json(name: str) -> Any:
    """A JSON file of crm/demo/data/, read once."""
    return parse_json(DATA_DIRECTORY / name, name)


@cache
def read_csv(name: str, columns: tuple[str, ...]) -> tuple[dict[str, str], ...]:
    """A CSV file of crm/demo/data/, read once."""
    return parse_csv(DATA_DIRECTORY / name, name, columns)


# Shape checks: ``where`` is "file: path.in.it", so a message points at the entry to fix. --------
def mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise DemoDataError(f"{where}: expected an object, found {_kind(value)}")
    return value


def member(value: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in value:
        raise DemoDataError(f"{where}: {key} is missing")
    return value[key]


def text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DemoDataError(f"{where}: expected text, found {_kind(value)}")
    return value


def texts(value: Any, where: str) -> tuple[str, ...]:
    """A non-empty list of texts (the stages draw from it at random)."""
    if not isinstance(value, list) or not value:
        raise DemoDataError(f"{where}: expected a non-empty list of texts, found {_kind(value)}")
    return tuple(text(item, f"{where}[{n}]") for n, item in enumerate(value))


def integer(value: Any, where: str) -> int:
    """A whole number of a JSON file (``7``, not ``"7"``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise DemoDataError(f"{where}: expected a whole number, found {_kind(value)}")
    return value


def integer_text(value: str, where: str) -> int:
    """A whole number in a CSV field."""
    try:
        return int(value)
    except ValueError:
        raise DemoDataError(f"{where}: expected a whole number, found {value!r}") from None


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if isinstance(value, dict):
        return "an object"
    return "null"
