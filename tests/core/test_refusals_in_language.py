"""A refusal of the services reads in the reader's language on a page, and in English in the API.

The services raise their refusals with a lazy translation: the page shows it in French for a French
desk, the API answers the same refusal's English `message` to the same person, as the contract
gives it."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from flask_babel import force_locale

from clinic.errors import Conflict
from clinic.scheduling.models import AppointmentStatus
from clinic.scheduling.status import change_status
from tests.web import csrf_token


def test_a_check_in_too_early_is_refused_in_french_on_the_page_and_in_english_in_the_api(
        client, db, paris, make_user, make_appointment, login, api_token):
    desk = make_user("front_desk", sites=[paris], language="fr")
    appointment = make_appointment(site=paris, day=dt.date(2026, 12, 16))   # a week after the test clock
    db.session.commit()
    login(desk)
    # The page offers no check-in a week ahead; a form kept from elsewhere is refused in French.
    answer = client.post(f"/appointments/{appointment.id}/check-in", follow_redirects=True, data={
        "csrf_token": csrf_token(client, f"/appointments/{appointment.id}"), "form_key": secrets.token_urlsafe(24)})
    page = answer.get_data(as_text=True)
    assert "L&#39;accueil du patient n&#39;est possible que le jour du rendez-vous." in page
    assert "Check-in is only possible" not in page

    api = client.post(f"/api/v1/appointments/{appointment.id}/check-in", headers=api_token(desk), json={})
    assert api.status_code == 409
    assert api.get_json()["error"]["message"] == "Check-in is only possible on the day of the appointment."


def test_a_refusal_with_values_says_them_in_each_language(app, db, make_appointment):
    """The values inside a sentence follow its language too (a status is a word, not a code)."""
    appointment = make_appointment(status=AppointmentStatus.COMPLETED)
    with app.test_request_context(), pytest.raises(Conflict) as refused:
        change_status(appointment, AppointmentStatus.CHECKED_IN, None)
    err = refused.value
    with app.test_request_context():
        assert err.message == "The appointment is “Completed”: it cannot become “Checked in”."
        with force_locale("fr"):
            assert err.text == "Le rendez-vous est « Terminé » : il ne peut pas devenir « Arrivé »."
            assert err.message.startswith("The appointment is “Completed”")
