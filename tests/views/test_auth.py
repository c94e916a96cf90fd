from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from crm.models import LoginFailure, User
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.views.test_admin import edit_form


def test_anonymous_home_redirects_to_sign_in(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_sign_in_and_out(client, db) -> None:
    user = factories.make_user(full_name="Ana García")
    db.session.commit()
    response = sign_in(client, user.email.upper())
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Ana García" in page and "Commitments" in page
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    response = sign_in(client, user.email, "not the password")
    assert response.status_code == 200
    assert "The e-mail address or the password is wrong." in response.get_data(as_text=True)
    assert "is wrong" in sign_in(client, "ghost@x.example", "x").get_data(as_text=True)


def test_empty_sign_in_form_says_what_is_missing(client) -> None:
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)


def test_seven_wrong_passwords_meet_a_429(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    codes = [sign_in(client, user.email, f"wrong {n}").status_code for n in range(7)]
    assert codes == [200] * 5 + [429] * 2
    response = sign_in(client, user.email)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/admin/users", "/admin/users"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_target_stays_on_this_site(client, db, target, expected) -> None:
    user = factories.make_user()
    db.session.commit()
    response = client.post(
        f"/login?next={target}",
        data={
            "email": user.email,
            "password": factories.PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_post_without_csrf_token_gets_400(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "The CSRF token is missing." in response.get_data(as_text=True)
    response = client.post(
        "/login", data={"email": user.email, "password": factories.PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 400


def test_remember_me_lasts_at_most_30_days_and_cookies_are_locked_down(app, db) -> None:
    app.config.update(SESSION_COOKIE_SECURE=True, REMEMBER_COOKIE_SECURE=True)
    try:
        client = app.test_client()
        user = factories.make_user()
        db.session.commit()
        response = sign_in(client, user.email, remember=True)
        cookies = {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}
    finally:
        app.config.update(SESSION_COOKIE_SECURE=False, REMEMBER_COOKIE_SECURE=False)
    for name in ("crm_session", "crm_remember"):
        attributes = cookies[name].lower()
        assert "secure" in attributes and "httponly" in attributes and "samesite=lax" in attributes
    expires = re.search(r"expires=([^;]+)", cookies["crm_remember"], re.IGNORECASE).group(1)
    lifetime = parsedate_to_datetime(expires) - datetime.now(UTC)
    assert timedelta(days=29) < lifetime <= timedelta(days=30)


def _second_device(app, email: str):
    other = app.test_client()
    assert sign_in(other, email).status_code == 302
    assert other.get("/").status_code == 200
    return other


def test_password_change_ends_the_other_sessions(app, client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email)
    other = _second_device(app, user.email)
    response = client.post(
        "/account",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "brand new passphrase 7",
            "confirmation": "brand new passphrase 7",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session goes on
    assert other.get("/").status_code == 302  # the other one is over


def test_bad_password_change_shows_the_error_beside_the_field(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email)
    digest = user.password_hash
    response = client.post(
        "/account",
        data={
            "current_password": factories.PASSWORD,
            "new_password": "short",
            "confirmation": "short",
            "csrf_token": csrf_token(client, "/account"),
        },
    )
    assert response.status_code == 400
    assert 'id="new_password-error"' in response.get_data(as_text=True)
    assert db.session.get(User, user.id).password_hash == digest


def test_deactivation_ends_the_users_sessions(app, client, db) -> None:
    admin, user = factories.make_user("admin"), factories.make_user()
    db.session.commit()
    other = _second_device(app, user.email)
    sign_in(client, admin.email)
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "full_name": user.full_name,
            "role": "officer",
            **edit_form(client, user.id),
        },
    )
    assert response.status_code == 302
    assert other.get("/").status_code == 302
    assert sign_in(other, user.email).status_code == 200  # the form again, not signed in
    assert other.get("/").status_code == 302


def test_sign_out_also_ends_remember_me(app, db) -> None:
    client = app.test_client()
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email, remember=True)
    assert client.get_cookie("crm_remember") is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert client.get_cookie("crm_remember") is None
    assert client.get("/").status_code == 302


def test_a_remember_me_cookie_alone_signs_in_again(app, db) -> None:
    client = app.test_client()
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email, remember=True)
    remember = client.get_cookie("crm_remember").value
    fresh = app.test_client()  # a browser restart: the session cookie is gone
    fresh.set_cookie("crm_remember", remember)
    assert fresh.get("/").status_code == 200


def _copy_of(client, name: str, app):
    """Another browser holding a copy of ``client``'s cookie ``name`` (a stolen cookie)."""
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def test_a_copied_session_cookie_is_refused_after_sign_out(app, client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email)
    assert _copy_of(client, "crm_session", app).get("/").status_code == 200  # the copy works
    thief = _copy_of(client, "crm_session", app)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/").status_code == 302  # ended on the server, not only in the browser


def test_a_copied_remember_me_cookie_is_refused_after_sign_out(app, client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email, remember=True)
    thief = _copy_of(client, "crm_remember", app)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/").status_code == 302


def test_a_session_ends_on_the_server_when_its_time_is_up(app, client, db) -> None:
    from crm.models.users import UserSession

    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email, remember=True)
    row = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id)).one()
    assert row.is_remembered
    assert timedelta(days=29) < row.expires_at - datetime.now(UTC) <= timedelta(days=30)
    row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/").status_code == 302
    fresh = _copy_of(client, "crm_remember", app)
    assert fresh.get("/").status_code == 302


def _sign_in_from(client, address: str, email: str, password: str = factories.PASSWORD):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_failures_from_one_address_do_not_lock_the_owner_out_elsewhere(app, db) -> None:
    user = factories.make_user()
    db.session.commit()
    attacker, owner = app.test_client(), app.test_client()
    codes = [
        _sign_in_from(attacker, "203.0.113.7", user.email, f"guess {n}").status_code
        for n in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert _sign_in_from(attacker, "203.0.113.7", user.email).status_code == 429
    response = _sign_in_from(owner, "198.51.100.20", user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_current_password_check_is_throttled(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email)

    def change(current: str):
        return client.post(
            "/account",
            data={
                "current_password": current,
                "new_password": "brand new passphrase 7",
                "confirmation": "brand new passphrase 7",
                "csrf_token": csrf_token(client, "/account"),
            },
        )

    assert [change(f"guess {n}").status_code for n in range(5)] == [400] * 5
    response = change(factories.PASSWORD)  # even the right one waits now
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many wrong passwords" in response.get_data(as_text=True)
    digest = user.password_hash
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash == digest


def test_a_refused_new_password_does_not_count_as_a_wrong_current_one(client, db) -> None:
    user = factories.make_user()
    db.session.commit()
    sign_in(client, user.email)
    for _ in range(6):
        response = client.post(
            "/account",
            data={
                "current_password": factories.PASSWORD,
                "new_password": "short",
                "confirmation": "short",
                "csrf_token": csrf_token(client, "/account"),
            },
        )
        assert response.status_code == 400
    counted = sa.select(sa.func.count()).where(LoginFailure.email == user.email)
    assert db.session.scalar(counted) == 0
