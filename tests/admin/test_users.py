"""Users: create, change role and sites, deactivate at once (sessions and tokens), passwords, tokens."""

import re

from clinic.accounts.models import ApiToken, User
from clinic.audit.models import AuditEvent
from tests.factories import PASSWORD
from tests.web import csrf_token


def test_deactivated_users_token_and_session_end_at_once(app, db, client, login_as, make_user, api_token, post_form):
    """After deactivation the next API call answers 401 and the open session is signed out."""
    login_as("admin")
    target = make_user("front_desk")
    headers = api_token(target)
    other = app.test_client()
    other.post("/login", data={"email": target.email, "password": PASSWORD, "csrf_token": csrf_token(other)})
    assert other.get("/").status_code == 200
    assert client.get("/api/v1/locations", headers=headers).status_code == 200
    path = f"/admin/users/{target.id}/deactivate"
    assert "Deactivate" in client.get(path).get_data(as_text=True)
    assert post_form(path, token_from=path).status_code == 302
    assert client.get("/api/v1/locations", headers=headers).status_code == 401
    assert other.get("/").status_code == 302
    assert target.active is False
    assert db.session.query(User).filter_by(id=target.id).count() == 1  # never deleted
    assert db.session.query(AuditEvent).filter_by(action="user.deactivate", object_id=str(target.id)).count() == 1


def test_admin_cannot_deactivate_themselves(db, client, login_as, post_form):
    admin = login_as("admin")
    db.session.commit()
    path = f"/admin/users/{admin.id}/deactivate"
    post_form(path, token_from=path)
    db.session.refresh(admin)
    assert admin.active is True
    assert client.get("/admin/").status_code == 200


def test_create_user_with_role_and_sites(db, client, login_as, paris, post_form):
    login_as("admin")
    path = "/admin/users/new"
    data = {"name": "Nina Nurse", "email": "nina@test.example", "role": "nurse", "sites": [str(paris.id)],
            "language": "fr", "password": "long-enough-1"}
    assert post_form(path, data, token_from=path).status_code == 302
    user = db.session.query(User).filter_by(email="nina@test.example").one()
    assert user.role.value == "nurse" and [s.id for s in user.sites] == [paris.id]


def test_create_user_with_weak_password_keeps_form(db, client, login_as, paris, post_form):
    login_as("admin")
    db.session.commit()
    path = "/admin/users/new"
    data = {"name": "Nina Nurse", "email": "nina2@test.example", "role": "nurse", "sites": [str(paris.id)],
            "language": "", "password": "short"}
    response = post_form(path, data, token_from=path)
    assert response.status_code == 422
    assert 'value="nina2@test.example"' in response.get_data(as_text=True)


def test_change_role_and_sites(db, client, login_as, make_user, paris, minnesota, post_form):
    login_as("admin")
    target = make_user("front_desk", sites=[paris])
    path = f"/admin/users/{target.id}"
    data = {"name": target.name, "role": "nurse", "sites": [str(minnesota.id)], "language": ""}
    assert post_form(path, data, token_from=path).status_code == 302
    assert target.role.value == "nurse" and [s.code for s in target.sites] == [minnesota.code]


def test_reset_password_ends_sessions_and_new_password_works(app, db, client, login_as, make_user, post_form):
    login_as("admin")
    target = make_user("nurse")
    other = app.test_client()
    other.post("/login", data={"email": target.email, "password": PASSWORD, "csrf_token": csrf_token(other)})
    path = f"/admin/users/{target.id}"
    data = {"password": "brand-new-pass-7", "repeat": "brand-new-pass-7"}
    assert post_form(f"{path}/password", data, token_from=path).status_code == 302
    assert other.get("/").status_code == 302
    assert target.check_password("brand-new-pass-7")


def test_token_issued_once_listed_and_revoked(db, client, login_as, make_user, post_form):
    """The raw token is shown once; it works; revoking it (with confirmation) makes it answer 401."""
    login_as("admin")
    target = make_user("front_desk")
    path = f"/admin/users/{target.id}"
    html = post_form(f"{path}/tokens", {"name": "rota"}, token_from=path).get_data(as_text=True)
    raw = re.search(r'<code class="token">(clk_[^<]+)</code>', html).group(1)
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/locations", headers=headers).status_code == 200
    assert raw not in client.get(path).get_data(as_text=True)
    token = db.session.query(ApiToken).filter_by(user_id=target.id).one()
    revoke = f"{path}/tokens/{token.id}/revoke"
    assert post_form(revoke, token_from=revoke).status_code == 302
    assert client.get("/api/v1/locations", headers=headers).status_code == 401


def test_user_list_searches_and_paginates(db, client, login_as, make_user):
    login_as("admin")
    for i in range(30):
        make_user("nurse", name=f"Zébulon {i:02d}")
    html = client.get("/admin/users?q=z%C3%A9bulon").get_data(as_text=True)
    assert "Zébulon 00" in html and "Page 1 of 2" in html
    assert "Zébulon 29" in client.get("/admin/users?q=z%C3%A9bulon&page=2").get_data(as_text=True)
