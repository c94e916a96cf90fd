"""Reference vocabularies loaded by ``crm seed``: countries and languages."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base


class Country(Base):
    """ISO 3166-1 alpha-2 country."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    is_eu: Mapped[bool] = mapped_column(default=False)


class Language(Base):
    """ISO 639-1 language."""

    __tablename__ = "languages"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
