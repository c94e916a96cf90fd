"""The targets service: its checks (every refusal naming its field), one target per item,
period, metric and narrowing, who may write, and the audit log."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage

from crm.extensions import db
from crm.models import AuditAction, AuditEntry, OrganisationKind, Role, SizeClass, Target
from crm.models.targets import SMES, TargetMetric
from crm.services.coverage import targets
from crm.services.errors import ConflictError, ValidationError
from tests import factories

TODAY = date(2027, 3, 15)


def _data(**override: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "commitment_item_id": str(factories.subitem("1.3a").id),
        "metric": "organisations-engaged",
        "organisation_kind": "national-association",
        "size_classes": [],
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "target_value": "12",
        "description": "National associations engaged in 2027",
    }
    values.update(override)
    return values


def _refused(data: dict[str, Any], user: Any = None) -> ValidationError:
    actor = user or factories.make_user(Role.COORDINATOR)
    with pytest.raises(ValidationError) as caught:
        targets.create_target(actor, data, today=TODAY)
    return caught.value


def _audit(target_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "target", AuditEntry.entity_id == target_id)
            .order_by(AuditEntry.id)
        )
    )


def test_a_coordinator_sets_a_target_and_the_audit_log_names_it(app) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    target = targets.create_target(coordinator, _data(), today=TODAY)
    assert target.metric == TargetMetric.ORGANISATIONS_ENGAGED
    assert target.organisation_kind == OrganisationKind.NATIONAL_ASSOCIATION
    assert target.size_classes == frozenset()
    assert (target.period_start, target.period_end) == (date(2027, 1, 1), date(2027, 12, 31))
    (entry,) = _audit(target.id)
    assert entry.action == AuditAction.CREATE and entry.actor_id == coordinator.id
    assert entry.changes["target_value"] == [None, 12]
    assert "12 national associations engaged, 1.3a, 2027" in entry.summary


def test_an_sme_target_defaults_to_micro_small_and_medium(app) -> None:
    user = factories.make_user(Role.ADMIN)
    target = targets.create_target(
        user, _data(metric="smes-reached", organisation_kind=""), today=TODAY
    )
    db.session.expire(target)
    assert target.size_classes == SMES
    chosen = targets.create_target(
        user,
        _data(metric="smes-reached", organisation_kind="", size_classes=["micro", "large"]),
        today=TODAY,
    )
    db.session.expire(chosen)
    assert chosen.size_classes == {SizeClass.MICRO, SizeClass.LARGE}


@pytest.mark.parametrize("role", [Role.OFFICER, Role.ORGANISER, Role.VIEWER])
def test_other_roles_may_not_write_targets(app, role: Role) -> None:
    with pytest.raises(PermissionError):
        targets.create_target(factories.make_user(role), _data(), today=TODAY)


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"target_value": "0"}, "target_value", "zero"),
        ({"target_value": 0}, "target_value", "zero"),
        ({"target_value": "-3"}, "target_value", "at least 1"),
        ({"target_value": "NaN"}, "target_value", "not a number"),
        ({"target_value": "inf"}, "target_value", "not a number"),
        ({"target_value": "1.5"}, "target_value", "not a whole number"),
        ({"target_value": "1e9"}, "target_value", "not a whole number"),
        ({"target_value": "1000001"}, "target_value", "at most 1,000,000"),
        ({"target_value": "9" * 400}, "target_value", "at most 1,000,000"),
        ({"target_value": 10**5000}, "target_value", "far too large"),
        ({"target_value": ""}, "target_value", "give the number"),
        ({"target_value": FileStorage(filename="x.csv")}, "target_value", "whole number"),
        ({"commitment_item_id": ""}, "commitment_item_id", "choose"),
        ({"commitment_item_id": "999999"}, "commitment_item_id", "no item #999999"),
        ({"commitment_item_id": "abc"}, "commitment_item_id", "not a whole number"),
        ({"commitment_item_id": str(2**40)}, "commitment_item_id", "between"),
        ({"metric": ""}, "metric", "required"),
        ({"metric": "smiles-reached"}, "metric", "not one of"),
        ({"organisation_kind": "guild"}, "organisation_kind", "not one of"),
        ({"organisation_kind": ["affiliate"]}, "organisation_kind", ""),
        ({"size_classes": ["giant"]}, "size_classes", "not one of"),
        ({"size_classes": ["micro"]}, "size_classes", "only a target of SMEs"),
        ({"size_classes": {"a": 1}}, "size_classes", "list of size classes"),
        (
            {"metric": "smes-reached", "organisation_kind": "enterprise"},
            "organisation_kind",
            "leave the kind empty",
        ),
        (
            {"metric": "countries-covered", "organisation_kind": "affiliate"},
            "organisation_kind",
            "",
        ),
        ({"metric": "events-attended"}, "organisation_kind", "leave the kind empty"),
        ({"period_start": ""}, "period_start", "YYYY-MM-DD"),
        ({"period_start": "2027-02-30"}, "period_start", "February 2027 has 28 days"),
        ({"period_end": "31/12/2027"}, "period_end", "not a date"),
        ({"period_end": "2026-12-31"}, "period_end", "cannot come before the start"),
        ({"period_start": "1999-01-01"}, "period_start", "before 2000"),
        ({"period_end": "2099-12-31"}, "period_end", "years ahead"),
        ({"period_end": "9999-12-31"}, "period_end", "years ahead"),
        ({"period_start": FileStorage(filename="x.csv")}, "period_start", "expected text"),
        ({"description": "x" * 301}, "description", "at most 300"),
        ({"description": "Engage\x00them"}, "description", "control character"),
        ({"description": FileStorage(filename="x.txt")}, "description", "expected text"),
    ],
)
def test_bad_input_is_refused_naming_its_field(
    app, override: dict[str, Any], field: str, words: str
) -> None:
    error = _refused(_data(**override))
    assert error.field == field, error
    assert words in error.message


def test_nothing_is_written_when_refused(app) -> None:
    before = db.session.scalar(sa.select(sa.func.count(Target.id)))
    _refused(_data(target_value="0"))
    assert db.session.scalar(sa.select(sa.func.count(Target.id))) == before


def test_a_second_target_for_the_same_narrowing_is_refused_naming_the_first(app) -> None:
    user = factories.make_user(Role.COORDINATOR)
    first = targets.create_target(user, _data(), today=TODAY)
    error = _refused(_data(target_value="20"), user)
    assert error.field == "metric"
    assert f"#{first.id}" in error.message
    assert "12 national associations engaged, 1.3a, 2027" in error.message
    # Another narrowing, period, metric or item is another target.
    targets.create_target(user, _data(organisation_kind="affiliate"), today=TODAY)
    targets.create_target(user, _data(organisation_kind=""), today=TODAY)
    targets.create_target(user, _data(period_end="2027-06-30"), today=TODAY)
    targets.create_target(user, _data(metric="people-reached"), today=TODAY)
    targets.create_target(
        user, _data(commitment_item_id=str(factories.subitem("1.3b").id)), today=TODAY
    )
    # With no kind, a second is refused too (the index a NULL would slip through).
    assert _refused(_data(organisation_kind="", target_value="3"), user).field == "metric"


def test_sme_targets_differ_by_their_size_classes(app) -> None:
    user = factories.make_user(Role.COORDINATOR)
    sme = {"metric": "smes-reached", "organisation_kind": ""}
    targets.create_target(user, _data(**sme), today=TODAY)
    targets.create_target(user, _data(**sme, size_classes=["micro"]), today=TODAY)
    # The default classes spelled out are the same target as the default.
    error = _refused(_data(**sme, size_classes=["small", "micro", "medium"]), user)
    assert error.field == "metric"
    assert "SMEs reached (micro, small, medium)" in error.message


def test_an_edit_is_saved_audited_and_refused_when_stale(app) -> None:
    user = factories.make_user(Role.COORDINATOR)
    target = targets.create_target(user, _data(), today=TODAY)
    version = target.version
    changes = targets.update_target(user, target, _data(target_value="15"), version, today=TODAY)
    assert changes == {"target_value": [12, 15]}
    db.session.flush()
    assert target.target_value == 15 and target.version == version + 1
    assert [e.action for e in _audit(target.id)] == [AuditAction.CREATE, AuditAction.UPDATE]
    with pytest.raises(ConflictError) as conflict:
        targets.update_target(user, target, _data(target_value="18"), version, today=TODAY)
    assert conflict.value.differences == {"target_value": (15, 18)}
    with pytest.raises(ConflictError):  # a version that is no number is no version
        targets.update_target(user, target, _data(target_value="16"), "x", today=TODAY)
    unchanged = targets.update_target(user, target, _data(target_value="15"), target.version)
    assert unchanged == {}


def test_an_edit_into_another_target_is_refused_naming_it(app) -> None:
    user = factories.make_user(Role.COORDINATOR)
    first = targets.create_target(user, _data(), today=TODAY)
    second = targets.create_target(user, _data(organisation_kind="affiliate"), today=TODAY)
    with pytest.raises(ValidationError) as caught:
        targets.update_target(user, second, _data(), second.version, today=TODAY)
    assert f"#{first.id}" in caught.value.message
    # Saving a target unchanged is not a duplicate of itself.
    assert targets.update_target(user, first, _data(), first.version, today=TODAY) == {}


def test_delete_removes_it_and_keeps_its_history(app) -> None:
    user = factories.make_user(Role.COORDINATOR)
    target = targets.create_target(user, _data(), today=TODAY)
    target_id = target.id
    with pytest.raises(ConflictError):
        targets.delete_target(user, target, target.version + 1)
    with pytest.raises(PermissionError):
        targets.delete_target(factories.make_user(Role.OFFICER), target, target.version)
    targets.delete_target(user, target, target.version)
    assert db.session.get(Target, target_id) is None
    actions = [e.action for e in _audit(target_id)]
    assert actions == [AuditAction.CREATE, AuditAction.DELETE]
    assert _audit(target_id)[-1].changes["target_value"] == [12, None]


def test_a_target_on_a_commitment_is_allowed(app) -> None:
    commitment = factories.subitem("1")
    target = targets.create_target(
        factories.make_user(Role.COORDINATOR),
        _data(commitment_item_id=str(commitment.id), organisation_kind=""),
        today=TODAY,
    )
    assert target.commitment_item_id == commitment.id
