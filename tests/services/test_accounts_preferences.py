"""A user's time zone and digest hour: refused values name their field and change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crm.models import AuditEntry, User
from crm.services import accounts
from crm.services.checks import clean_timezone
from crm.services.errors import ValidationError
from tests import factories


def _entries(db, user: User) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == user.id)
            .order_by(AuditEntry.id)
        )
    )


def test_a_new_account_has_no_zone_and_a_digest_at_eight(app, db) -> None:
    user = factories.make_user()
    db.session.expire(user)
    assert user.timezone is None and user.digest_hour == 8


def test_preferences_are_stored_and_audited(app, db) -> None:
    user = factories.make_user()
    accounts.update_preferences(user, timezone="europe/berlin", digest_hour="7")
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (stored.timezone, stored.digest_hour) == ("Europe/Berlin", 7)
    [entry] = _entries(db, stored)
    assert (entry.action, entry.actor_id) == ("update", user.id)
    assert entry.changes == {"timezone": [None, "Europe/Berlin"], "digest_hour": [8, 7]}


@pytest.mark.parametrize("off", ["", None, "  "])
def test_an_empty_hour_turns_the_digest_off_and_an_empty_zone_is_the_programme_s(
    app, db, off
) -> None:
    user = factories.make_user()
    accounts.update_preferences(user, timezone="Asia/Tokyo", digest_hour=0)
    accounts.update_preferences(user, timezone=off, digest_hour=off)
    assert user.timezone is None and user.digest_hour is None
    assert _entries(db, user)[-1].changes == {
        "timezone": ["Asia/Tokyo", None],
        "digest_hour": [0, None],
    }


def test_an_unchanged_save_writes_nothing(app, db) -> None:
    user = factories.make_user()
    accounts.update_preferences(user, timezone="UTC", digest_hour=23)
    version = user.version
    accounts.update_preferences(user, timezone="utc", digest_hour="23")
    db.session.flush()
    assert user.version == version and len(_entries(db, user)) == 1


@pytest.mark.parametrize(
    ("timezone", "hour", "field", "words"),
    [
        ("Mars/Olympus_Mons", 8, "timezone", "'Mars/Olympus_Mons' is not a known time zone"),
        ("Europe/Berlinn", 8, "timezone", "not a known time zone"),
        ("CEST", 8, "timezone", "not a known time zone"),
        ("localtime", 8, "timezone", "not a known time zone"),
        ("../../etc/passwd", 8, "timezone", "not a known time zone"),
        ("Europe/" + "x" * 80, 8, "timezone", "at most 64 characters"),
        ("Europe/Berlin\x00", 8, "timezone", "control character"),
        (["Europe/Berlin"], 8, "timezone", "expected text"),
        ("Europe/Berlin", 25, "digest_hour", "must be between 0 and 23"),
        ("Europe/Berlin", "24", "digest_hour", "must be between 0 and 23"),
        ("Europe/Berlin", -1, "digest_hour", "must be between 0 and 23"),
        ("Europe/Berlin", "8.5", "digest_hour", "is not a whole number"),
        ("Europe/Berlin", 8.5, "digest_hour", "expected a whole number"),
        ("Europe/Berlin", float("nan"), "digest_hour", "expected a whole number"),
        ("Europe/Berlin", "NaN", "digest_hour", "is not a whole number"),
        ("Europe/Berlin", "eight", "digest_hour", "is not a whole number"),
        ("Europe/Berlin", True, "digest_hour", "expected a whole number"),
        ("Europe/Berlin", "9" * 40, "digest_hour", "must be between 0 and 23"),
    ],
)
def test_bad_preferences_are_refused_by_field(app, db, timezone, hour, field, words) -> None:
    user = factories.make_user()
    user.timezone = "Europe/Lisbon"
    db.session.flush()
    version = user.version
    with pytest.raises(ValidationError) as caught:
        accounts.update_preferences(user, timezone=timezone, digest_hour=hour)
    assert caught.value.field == field, caught.value
    assert words in caught.value.message, caught.value.message
    db.session.flush()
    assert (user.timezone, user.digest_hour, user.version) == ("Europe/Lisbon", 8, version)
    assert _entries(db, user) == []


def test_a_whole_number_given_as_a_float_is_taken(app, db) -> None:
    user = factories.make_user()
    accounts.update_preferences(user, timezone=None, digest_hour=6.0)
    assert user.digest_hour == 6


def test_zone_names_come_back_as_the_database_writes_them(app) -> None:
    assert clean_timezone("america/argentina/buenos_aires") == "America/Argentina/Buenos_Aires"
    assert clean_timezone(" Etc/GMT+3 ") == "Etc/GMT+3"
    assert clean_timezone("") is None
