"""The case page as a working surface, through its routes: one phase in view with the phases as
steps (each done one saying who and when), answers in one tap (a button per answer), each answer
saved by the page's script and answered in JSON, or by a plain form post that brings the next item
into view, and the case's body for the script to put back in place."""

from __future__ import annotations

import re

import pytest

from clinic.procedures import services
from tests.checklists import answer
from tests.web import csrf_token

JSON = {"Accept": "application/json"}


@pytest.fixture
def case(make_case):
    appointment = make_case()
    return appointment, f"/procedures/cases/{appointment.id}"


def _sections(html: str) -> dict[str, bool]:
    """Each phase's section: whether it is shown."""
    found = re.findall(r'<section class="phase[^"]*" id="phase-(\w+)-section"[^>]*?( hidden)?>', html)
    return {code: not hidden for code, hidden in found}


def _post(client, path: str, item: str, data: dict, headers=None):
    token = csrf_token(client, path)
    payload = {f"{item}-{name}": value for name, value in data.items()} | {f"{item}-csrf_token": token}
    return client.post(f"{path}/items/{item}", data=payload, headers=headers or {})


def test_only_the_phase_in_view_is_shown(client, login_as, case):
    """The first phase with a required item open is the one shown; ?phase= shows another; an
    unknown phase falls back to the current one."""
    _appointment, path = case
    login_as("nurse")
    shown = _sections(client.get(path).get_data(as_text=True))
    assert len(shown) == 6 and [c for c, visible in shown.items() if visible] == ["sign_in"]
    html = client.get(f"{path}?phase=time_out").get_data(as_text=True)
    assert [c for c, visible in _sections(html).items() if visible] == ["time_out"]
    assert re.search(r'data-phase-link="time_out" aria-current="step"', html)
    assert [c for c, v in _sections(client.get(f"{path}?phase=nope").get_data(as_text=True)).items() if v] == ["sign_in"]


def test_a_done_phase_says_who_and_when_and_the_next_one_is_in_view(client, login, make_user, case, paris,
                                                                   complete_phase):
    appointment, path = case
    nurse, physician = make_user("nurse", sites=[paris], name="Ines Soignante"), make_user("physician", sites=[paris])
    complete_phase(appointment, "sign_in", nurse, physician)
    login(nurse)
    html = client.get(path).get_data(as_text=True)
    assert [c for c, visible in _sections(html).items() if visible] == ["time_out"]
    step = re.search(r'data-phase-link="sign_in".*?</a>', html, re.S).group(0)
    recorded = services.load_case(appointment).phase_entries("sign_in")[-1].recorded_at
    assert "Ines Soignante" in step and recorded.astimezone(paris.tz).strftime("%H:%M") in step
    assert "7 items left" in re.search(r'data-phase-link="time_out".*?</a>', html, re.S).group(0)


def test_answers_are_buttons_and_typed_values_a_small_form(client, login_as, case):
    """A yes/no is two submit buttons carrying their value, a pain score eleven, a choice one per
    choice; the vital signs are four fields and one Record button."""
    _appointment, path = case
    login_as("nurse")
    html = client.get(path).get_data(as_text=True)

    def buttons(code):
        row = re.search(rf'<li class="item[^"]*" id="item-{code}".*?</li>', html, re.S).group(0)
        return re.findall(rf'<button type="submit" name="{code}-value" value="([^"]+)"', row), row

    assert buttons("identity_confirmed")[0] == ["true", "false"]
    assert buttons("pain_before")[0] == [str(n) for n in range(11)]
    assert buttons("fever_or_infection")[0] == list(services.load_case(_appointment).item("fever_or_infection").choices)
    values, vitals = buttons("vitals_before")
    assert values == [] and vitals.count('type="number"') == 4 and 'class="small record"' in vitals


def test_an_answer_from_the_script_is_answered_in_json(client, login_as, case):
    appointment, path = case
    nurse = login_as("nurse")
    response = _post(client, path, "identity_confirmed", {"value": "true"}, JSON)
    assert response.status_code == 200 and response.is_json
    body = response.get_json()
    assert body["item"]["code"] == "identity_confirmed" and body["item"]["done"] is True
    assert body["item"]["done_by"] == nurse.id and body["state"] == "open"
    assert body["message"] == "Recorded: Identity confirmed by the patient (name and birth date)."
    case_now = services.load_case(appointment)
    assert case_now.entries["identity_confirmed"].value is True and body["version"] == case_now.version


def test_a_form_error_from_the_script_names_its_fields(client, login_as, case):
    appointment, path = case
    login_as("nurse")
    response = _post(client, path, "vitals_before", {"systolic": "120", "diastolic": "", "pulse": "70", "spo2": "98"},
                     JSON)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_value" and list(error["details"]["fields"]) == ["diastolic"]
    # A value out of range is the service's refusal, with the same body.
    response = _post(client, path, "vitals_before", {"systolic": "120", "diastolic": "80", "pulse": "70", "spo2": "140"},
                     JSON)
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_value"
    assert "vitals_before" not in services.load_case(appointment).entries


def test_a_refusal_from_the_script_reads_in_the_readers_language(client, login, make_user, case, paris):
    """A physician of French interface answering the time-out too early gets the 409 in French."""
    _appointment, path = case
    login(make_user("physician", sites=[paris], language="fr"))
    response = _post(client, path, "timeout_patient", {"value": "true"}, JSON)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "out_of_order" and error["details"]["open"]
    assert error["message"] == "Des points obligatoires d'une étape précédente restent à faire."


def test_without_the_script_an_answer_brings_the_next_item_into_view(client, login, make_user, case, paris):
    """The answer that completes a phase redirects to the next phase's first item; an update of a
    phase already complete stays on that phase."""
    appointment, path = case
    nurse = login(make_user("nurse", sites=[paris]))
    *first, last = [i for i in services.load_case(appointment).phase_items("sign_in") if i.required]
    for item in first:
        services.record(appointment, item.code, answer(item), nurse)
    assert last.type == "pain_score"
    response = _post(client, path, last.code, {"value": "7"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/procedures/cases/{appointment.id}#item-timeout_patient")
    response = _post(client, path, "identity_confirmed", {"value": "false"})
    assert response.status_code == 302 and "?phase=sign_in#item-" in response.headers["Location"]
    assert services.load_case(appointment).entries["identity_confirmed"].value is False


def test_the_body_is_the_page_without_its_frame(client, login_as, case):
    """The body the script puts in place: the case without the menu, with its version, the one the
    clock's reading gives; ?phase= as on the page; each reading is audited as the page's."""
    appointment, path = case
    login_as("nurse")
    body = client.get(f"{path}/body?phase=time_out").get_data(as_text=True)
    assert "<html" not in body and 'class="topbar' not in body
    assert [c for c, visible in _sections(body).items() if visible] == ["time_out"]
    version = re.search(r'data-case-version="([^"]+)"', body).group(1)
    assert client.get(f"{path}/clock").get_json()["version"] == version
    _post(client, path, "identity_confirmed", {"value": "true"}, JSON)
    assert client.get(f"{path}/clock").get_json()["version"] != version
