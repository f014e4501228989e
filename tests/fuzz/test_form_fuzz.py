"""Hypothesis fills every HTML form with hostile input; the app answers without a 5xx and never
shows the input back as live markup.

The forms are found on the pages themselves (every <form> but the header's language switch and
sign-out), so a field added to a form is fuzzed too. Staff pages are fuzzed as an admin on the
seeded data; the portal's pages with a genuine patient link; the sign-in page anonymously.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from clinic.accounts.models import Role, User
from clinic.links.tokens import make_token
from clinic.patients.models import Patient
from clinic.portal.services import PAIN_MOMENTS
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Site
from tests.fuzz.conftest import EXAMPLES
from tests.fuzz.forms import draw_values, forms_of, unescaped
from tests.fuzz.found import FORMS, FormCase
from tests.web import csrf_token

STAFF_PAGES = [
    "/patients/new", "/patients/{patient}/edit", "/patients/", "/appointments/book/{patient}",
    "/appointments/{appointment}/reschedule", "/appointments/{appointment}/cancel", "/appointments/",
    "/admin/users/new", "/admin/users/{user}", "/admin/physicians/{physician}/hours",
    "/admin/physicians/{physician}/time-off", "/admin/sites/{site}/edit", "/admin/sites/{site}/calendar",
    "/admin/sites/{site}/rooms/new", "/audit/", "/outcomes/", "/admin/patients/{patient}/erase",
]
PORTAL_PAGES = ["pain", "cancel", "optout"]


def _ids(db) -> dict:
    first = lambda stmt: db.session.execute(stmt.limit(1)).scalar_one()  # noqa: E731
    appointment = first(select(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
                        .order_by(Appointment.start_at.desc()))
    completed = first(select(Appointment).where(Appointment.status == AppointmentStatus.COMPLETED))
    return {
        "patient": first(select(Patient.id)), "appointment": appointment.id,
        "completed": completed.id, "completed_patient": completed.patient_id,   # pain scores follow a procedure
        "user": first(select(User.id).where(User.role == Role.FRONT_DESK)),
        "physician": appointment.physician_id, "site": first(select(Site.id)),
        "appointment_patient": appointment.patient_id,
    }


def _fuzz(client, path: str, sign_in=None) -> None:
    page = client.get(path, follow_redirects=True)
    assert page.status_code < 500, path
    forms = forms_of(page.get_data(as_text=True), path)
    assert forms, f"no form on {path}"

    @given(data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def run(data):
        form = data.draw(st.sampled_from(forms), label="form")
        values = draw_values(data, form)
        if form.method == "post":
            values["csrf_token"] = csrf_token(client, path)
            response = client.post(form.action, data=values)
        else:
            response = client.get(form.action, query_string=values)
        assert response.status_code < 500, f"{form.method} {form.action} {values!r}"
        assert unescaped(response.get_data(as_text=True), values) == []
        if sign_in and response.status_code == 302 and "/login" in response.headers.get("Location", ""):
            sign_in()  # a form may sign the user out; carry on signed in

    run()


@pytest.mark.fuzz
@pytest.mark.parametrize("template", STAFF_PAGES)
def test_staff_forms_survive_hostile_input(seeded, client, make_user, login, template):
    """Every staff form re-renders with an error or succeeds; never a 5xx, never live markup."""
    admin = make_user("admin")
    login(admin)
    _fuzz(client, template.format(**_ids(seeded)), sign_in=lambda: login(admin))


@pytest.mark.fuzz
@pytest.mark.parametrize("purpose", PORTAL_PAGES)
def test_portal_forms_survive_hostile_input(seeded, client, purpose):
    """The patient's own pages (pain score, cancel, opt out) refuse bad input without a 5xx."""
    ids = _ids(seeded)
    moment = PAIN_MOMENTS[0] if purpose == "pain" else None
    which = "completed" if purpose == "pain" else "appointment"
    _fuzz(client, f"/p/{purpose}/{make_token(purpose, ids[f'{which}_patient'], ids[which], moment)}")


@pytest.mark.fuzz
def test_login_form_survives_hostile_input(client, db):
    """The sign-in form answers hostile e-mails and passwords with the form again."""
    _fuzz(client, "/login")


@pytest.mark.fuzz
@pytest.mark.parametrize("case", FORMS, ids=[f"{c.method} {c.action} {c.why}" for c in FORMS])
def test_what_form_fuzzing_found_stays_fixed(seeded, client, make_user, login, case: FormCase):
    """Each input an earlier fuzz run found failing, sent again as it was: no 5xx, no live markup."""
    login(make_user("admin"))
    ids = _ids(seeded)
    action = case.action.format(**ids)
    if case.method == "post":
        response = client.post(action, data={**case.values, "csrf_token": csrf_token(client, case.page.format(**ids))})
    else:
        response = client.get(action, query_string=case.values)
    assert response.status_code < 500, case.why
    assert unescaped(response.get_data(as_text=True), case.values) == [], case.why
