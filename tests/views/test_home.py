from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests import factories


def _counts(page: str, code: str) -> tuple[int, int]:
    row = re.search(
        rf'<span class="code">{re.escape(code)}</span>.*?<span class="num">([\d,]+)</span> outreach'
        rf'.*?<span class="num">([\d,]+)</span> events',
        page,
        re.S,
    )
    assert row, f"no row for {code}"
    return int(row.group(1).replace(",", "")), int(row.group(2).replace(",", ""))


def test_home_shows_the_framework_tree_with_live_counts(client, signed_in, db) -> None:
    officer = signed_in("viewer")
    baseline = client.get("/").get_data(as_text=True)
    before = {code: _counts(baseline, code) for code in ("1", "1.3", "1.3a", "1.3b", "2.2", "3")}
    organisation = factories.make_organisation()
    # One outreach serving two sub-items of 1.3 counts once for 1.3 and once for 1.
    factories.make_outreach(("1.3a", "1.3b"), logged_by=officer, organisations=[organisation])
    factories.make_outreach(("2.2",), logged_by=officer)
    deleted = factories.make_outreach(("1.3a",))
    deleted.deleted_at = datetime.now(UTC)
    factories.make_event(("1.3c", "1.3a"))
    db.session.commit()

    page = client.get("/").get_data(as_text=True)
    after = {code: _counts(page, code) for code in before}
    delta = {
        code: (after[code][0] - before[code][0], after[code][1] - before[code][1])
        for code in before
    }
    assert delta == {
        "1": (1, 1),
        "1.3": (1, 1),
        "1.3a": (1, 1),
        "1.3b": (1, 0),
        "2.2": (1, 0),
        "3": (0, 0),
    }
    for code in ("1.1", "1.2", "1.3c", "2.1", "2.3", "3.1", "3.2", "3.3"):
        assert f'<span class="code">{code}</span>' in page
    assert "Participate in strategic sectoral events" in page


def _figures(page: str, code: str) -> dict[str, int]:
    row = re.search(
        rf'<span class="code">{re.escape(code)}</span>(.*?)</div>',
        page,
        re.S,
    )
    assert row, f"no row for {code}"
    found = dict(re.findall(r'data-figure="([a-z-]+)">([\d,]+)<', row.group(1)))
    return {name: int(value.replace(",", "")) for name, value in found.items()}


def test_home_shows_organisations_reached_and_people_from_the_kept_figures(
    client, signed_in, db
) -> None:
    from crm.models import LinkType, OrganisationKind, OrganisationLink

    signed_in("viewer")
    before = {code: _figures(client.get("/").get_data(as_text=True), code) for code in ("1", "3.1")}
    association = factories.make_organisation(kind=OrganisationKind.NATIONAL_ASSOCIATION)
    member = factories.make_organisation()
    db.session.add(
        OrganisationLink(
            source_id=member.id, target_id=association.id, link_type=LinkType.MEMBER_OF
        )
    )
    person = factories.make_person(organisation=member)  # counts for the member: direct
    other = factories.make_organisation()
    factories.make_outreach(("1.3a",), organisations=[association], people=[person])
    db.session.add(
        OrganisationLink(
            source_id=other.id, target_id=association.id, link_type=LinkType.AFFILIATE_OF
        )
    )
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    after = _figures(page, "1")
    assert {k: after[k] - before["1"][k] for k in after} == {
        "orgs-direct": 2,  # the association, and the member its person counted for
        "orgs-indirect": 1,  # the affiliate, through the association
        "people": 1,
    }
    assert _figures(page, "3.1") == before["3.1"]


@pytest.mark.parametrize("role", ["coordinator", "admin", "officer", "organiser", "viewer"])
def test_coordinators_and_admins_see_the_gaps_others_do_not(client, signed_in, role) -> None:
    signed_in(role)
    page = client.get("/").get_data(as_text=True)
    narrowed = client.get("/?days=7")
    assert narrowed.status_code == 200
    if role in ("coordinator", "admin"):
        assert 'id="coverage-gaps-title"' in page
        # Nothing logged yet: every sub-item is quiet in the window the page names.
        assert "no outreach in the last 30 days" in page
        assert "no outreach in the last 7 days" in narrowed.get_data(as_text=True)
    else:
        assert "coverage-gaps" not in page  # and ?days means nothing to them


def test_a_bad_number_of_days_is_a_400_naming_it(client, signed_in) -> None:
    signed_in("coordinator")
    for query in ("days=0", "days=-3", "days=abc", "days=NaN", "days=1e9", "days=7&days=8"):
        answer = client.get(f"/?{query}")
        assert answer.status_code == 400, query
        assert "days" in answer.get_data(as_text=True), query
