"""Sign-in needed unless public by design; headers lock pages down; roles checked on the server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crm import PROJECT_ROOT
from tests import factories
from tests.conftest import csrf_token

PUBLIC_ENDPOINTS = {
    "auth.login",
    "health.healthz",
    "static",
    # Calendar clients cannot sign in: the public feeds, and the private one behind its token.
    "calendar.events",
    "calendar.event",
    "calendar.followups",
    # The public agenda: published events for anyone.
    "agenda.index",
    "agenda.show",
}


def test_every_other_endpoint_needs_sign_in(app, client) -> None:
    token = csrf_token(client)  # a valid token, so only the missing sign-in can refuse
    checked = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        samples = {"fmt": "csv" if "export" in rule.endpoint else "json"}
        url = rule.build({arg: samples.get(arg, 1) for arg in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.headers["Location"].startswith("/login"), (method, url)
            checked.add((method, rule.endpoint))
    assert {("POST", "admin.create_user"), ("POST", "auth.logout"), ("GET", "main.home")} <= checked


@pytest.mark.parametrize("role", ["viewer", "officer", "organiser", "coordinator"])
def test_only_admins_manage_users(client, signed_in, role) -> None:
    signed_in(role)
    token = csrf_token(client, "/")
    assert client.get("/admin/users").status_code == 403
    response = client.post(
        "/admin/users", data={"email": "new@x.example", "role": "admin", "csrf_token": token}
    )
    assert response.status_code == 403
    assert (
        client.post("/admin/users/1", data={"role": "admin", "csrf_token": token}).status_code
        == 403
    )


def test_security_headers_on_every_response(client) -> None:
    for path in ("/login", "/healthz", "/static/css/app.css", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"


def _template_files() -> list[Path]:
    return sorted((PROJECT_ROOT / "templates").rglob("*.html"))


def test_templates_load_nothing_from_elsewhere_and_have_no_inline_script() -> None:
    assert _template_files()
    for path in _template_files():
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"""(src|href)=["'](https?:)?//""", text), path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), f"inline script in {path}"
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {path}"
        assert "style=" not in text, f"inline style in {path}"
    css = (PROJECT_ROOT / "static/css/app.css").read_text(encoding="utf-8")
    assert "@import" not in css and "url(http" not in css


def test_user_text_is_escaped(client, db) -> None:
    user = factories.make_user(full_name="<script>alert('x')</script>")
    db.session.commit()
    from tests.conftest import sign_in

    sign_in(client, user.email)
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
