"""Register search: words typed are prefixes of words of names, e-mails and organisations."""

from __future__ import annotations

import sqlalchemy as sa

from crm.models import SearchTerm
from crm.services import register, search_index
from crm.services.search import RegisterFilter, organisations_query, people_query
from tests import factories


def _people(db, **args: str) -> list[str]:  # noqa: ANN001
    query = people_query(RegisterFilter.from_args(args))
    return [p.full_name for p in db.session.scalars(query)]


def test_terms_split_names_and_emails() -> None:
    assert search_index.terms_of(
        "Jürgen Müller-Lüdenscheidt", "j.mueller+csr@vdw-online.example"
    ) == {"jurgen", "muller", "ludenscheidt", "j", "mueller", "csr", "vdw", "online", "example"}
    assert search_index._after_prefix("mull") == "mulm"
    assert search_index._after_prefix("abz") == "ac"
    assert search_index._after_prefix("a9") == "aa"
    assert search_index._after_prefix("zz") is None


def test_search_by_prefix_accent_free_and_by_organisation(app, db) -> None:  # noqa: ANN001
    officer = factories.make_user()
    works = register.create_organisation(
        {"name": "Präzisionswerk Łódź Sp. z o.o.", "kind": "enterprise", "country_code": "PL"},
        officer,
    )
    for first, last, email in (
        ("Jürgen", "Müller", "jm@vdw.example"),
        ("Zofia", "Wójcik", "zofia@lodz.example"),
        ("Anna", "Mullins", None),
    ):
        register.create_person(
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "lawful_basis": "consent",
                "lawful_basis_source": "Form",
            },
            officer,
            position={"organisation_id": works.id, "role": "manager"} if last == "Wójcik" else None,
        )
    assert _people(db, q="muller") == ["Jürgen Müller"]
    assert sorted(_people(db, q="MUL")) == ["Anna Mullins", "Jürgen Müller"]
    assert _people(db, q="wojc") == ["Zofia Wójcik"]
    assert _people(db, q="lodz prazisions") == ["Zofia Wójcik"]  # both words, via the employer
    assert _people(db, q="vdw") == ["Jürgen Müller"]  # e-mail domain
    assert _people(db, q="zz-top") == []
    found = db.session.scalars(organisations_query(RegisterFilter.from_args({"q": "lodz"})))
    assert [o.name for o in found] == ["Präzisionswerk Łódź Sp. z o.o."]


def test_edits_reindex_and_rebuild_matches(app, db) -> None:  # noqa: ANN001
    officer = factories.make_user()
    person = register.create_person(
        {
            "first_name": "Ana",
            "last_name": "García",
            "lawful_basis": "consent",
            "lawful_basis_source": "Form",
        },
        officer,
    )
    register.update_person(
        person,
        {
            "first_name": "Ana",
            "last_name": "García-Ruiz",
            "lawful_basis": "consent",
            "lawful_basis_source": "Form",
        },
        officer,
        expected_version=person.version,
    )
    assert _people(db, q="ruiz") == ["Ana García-Ruiz"]
    before = set(
        db.session.execute(sa.select(SearchTerm.entity, SearchTerm.entity_id, SearchTerm.term))
    )
    search_index.rebuild()
    after = set(
        db.session.execute(sa.select(SearchTerm.entity, SearchTerm.entity_id, SearchTerm.term))
    )
    assert before == after


def test_counts_stop_at_the_cap(app, db, monkeypatch) -> None:  # noqa: ANN001
    from crm.services import search

    for n in range(7):
        factories.make_organisation(name=f"Werkzeugbau {n} GmbH")
    monkeypatch.setattr(search, "COUNT_CAP", 5)
    query = organisations_query(RegisterFilter.from_args({"q": "werkzeugbau"}))
    page = search.paginate(query, 1, size=2)
    assert (page.total, page.is_capped, len(page.items)) == (5, True, 2)
    page = search.paginate(query, 4, size=2)  # past the counted pages, still records
    assert (page.page, len(page.items)) == (4, 1)
    exact = search.paginate(query, 1, size=10)
    assert exact.is_capped and exact.total == 5
    small = search.paginate(organisations_query(RegisterFilter.from_args({"q": "nothing"})), 1)
    assert (small.total, small.is_capped, small.pages) == (0, False, 1)
