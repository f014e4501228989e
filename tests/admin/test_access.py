"""Who may open the administration pages: admins everywhere; the front desk its list and weeks."""

import pytest

ADMIN_ONLY = ["/admin/", "/admin/sites", "/admin/users", "/admin/users/new", "/admin/physicians",
              "/admin/sites/{site}/edit", "/admin/sites/{site}/calendar", "/admin/sites/{site}/rooms",
              "/admin/physicians/{physician}/hours", "/admin/physicians/{physician}/time-off",
              "/admin/users/{physician}"]


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_admin_pages_forbidden_to_other_roles(db, client, login_as, make_user, paris, role):
    login_as(role)
    physician = make_user("physician", sites=[paris])
    for path in ADMIN_ONLY:
        assert client.get(path.format(site=paris.id, physician=physician.id)).status_code == 403, path


def test_admin_pages_open_to_admin(db, client, login_as, make_user, paris):
    login_as("admin")
    physician = make_user("physician", sites=[paris])
    for path in ADMIN_ONLY + ["/admin/to-reschedule", "/admin/physicians/{physician}/week"]:
        assert client.get(path.format(site=paris.id, physician=physician.id)).status_code == 200, path


def test_signed_out_visitor_is_sent_to_login(client):
    response = client.get("/admin/sites")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role,status", [("front_desk", 200), ("physician", 403), ("nurse", 403)])
def test_to_reschedule_list_for_front_desk(db, client, login_as, role, status):
    login_as(role)
    assert client.get("/admin/to-reschedule").status_code == status


def test_front_desk_sees_weeks_only_at_own_sites(db, client, login_as, make_user, make_site, paris, minnesota):
    """Own site: 200; another site of the organisation: 403; another organisation's physician does
    not exist for this user: 404."""
    login_as("front_desk", sites=[paris])
    here = make_user("physician", sites=[paris])
    next_door = make_user("physician", sites=[make_site(organisation=paris.organisation)])
    there = make_user("physician", sites=[minnesota])
    assert client.get(f"/admin/physicians/{here.id}/week").status_code == 200
    assert client.get(f"/admin/physicians/{next_door.id}/week").status_code == 403
    assert client.get(f"/admin/physicians/{there.id}/week").status_code == 404


def test_unknown_ids_are_404(db, client, login_as):
    login_as("admin")
    for path in ("/admin/sites/999999/edit", "/admin/physicians/999999/hours", "/admin/users/999999"):
        assert client.get(path).status_code == 404, path


def test_admin_pages_in_french(db, client, login_as, paris, post_form):
    """The administration speaks French when the user chooses it (catalog compiled by make)."""
    login_as("admin")
    post_form("/language/fr", {"next": "/"}, token_from="/")
    html = client.get(f"/admin/sites/{paris.id}/calendar").get_data(as_text=True)
    assert "Jours fériés à venir" in html and "Lundi de Pâques" in html
