"""Declarative base, constraint naming convention and column types shared by every model."""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints let later (batch) migrations drop or alter them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A point in time, always tz-aware UTC in Python; naive datetimes are refused.

    PostgreSQL keeps ``timestamptz``; SQLite keeps naive UTC text, which sorts correctly.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store tz-aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = sa.orm.registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


def table_of(model: type[Base]) -> sa.Table:
    """The table a model is mapped to, typed as a Table.

    ``__table__`` is typed as any FromClause (a mapping may be to a join or a subquery);
    ours are all mapped to tables, which Core's insert/update/delete need.
    """
    table = model.__table__
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def rows_matched(result: sa.Result[*tuple[Any, ...]]) -> int:
    """How many rows an UPDATE or DELETE matched.

    ``Session.execute`` is typed to return a plain Result, but for DML it is always a
    CursorResult, which carries the rowcount.
    """
    return cast("sa.CursorResult[*tuple[Any, ...]]", result).rowcount or 0


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def enum_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    """A string column limited to the enum's values by a named CHECK constraint.

    Stored as plain strings (not native enums) so SQLite and PostgreSQL behave alike.
    """
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        name=_snake(enum_cls.__name__),
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class StrEnum(enum.StrEnum):
    """An enum whose values are its stored and URL form (``trade-fair``)."""

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic locking: a stale UPDATE raises ``StaleDataError`` instead of overwriting."""

    version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=1)

    @sa.orm.declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}
