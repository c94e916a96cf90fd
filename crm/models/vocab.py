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


class SearchTerm(Base):
    """A word of a record's name, e-mail or organisation, for fast prefix search.

    Searching "mull" becomes an index range scan over ``term`` instead of a substring scan
    of every person; the register service rewrites a record's terms whenever it changes.
    """

    __tablename__ = "search_terms"

    entity: Mapped[str] = mapped_column(sa.String(20), primary_key=True)  # person, organisation
    entity_id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(60), primary_key=True)

    __table_args__ = (sa.Index("ix_search_terms_lookup", "entity", "term", "entity_id"),)
