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
    """A word of a live record's name or e-mail, for fast prefix search; a person also has
    the words of the organisations they hold a position at.

    Searching "mull" becomes an index range scan over ``term`` instead of a substring scan
    of every person. With the record's sort key beside each term, a search's page and count
    come from the index alone, without reading the matching people. A session hook
    rewrites a record's terms whenever a flush changes them (``crm.services.search_sync``).
    """

    __tablename__ = "search_terms"

    entity: Mapped[str] = mapped_column(sa.String(20), primary_key=True)  # person, organisation
    entity_id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    # The record's place in its list: Person.sort_name or Organisation.name_normalised.
    sort_key: Mapped[str] = mapped_column(sa.String(210))

    __table_args__ = (
        sa.Index("ix_search_terms_lookup", "entity", "term", "sort_key", "entity_id"),
    )
