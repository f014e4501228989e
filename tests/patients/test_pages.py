"""Patient pages: register, validation that keeps what was typed, edit, view, audit."""

import re

from clinic.audit.models import AuditEvent
from clinic.patients.models import Patient


def _form(**over):
    data = {"first_name": "Jean", "last_name": "Valjean", "birth_date": "1950-01-31", "email": "jean@example.org",
            "phone": "", "language": "fr", "conditions": ["diabetes"], "medications-0-drug": "Warfarin",
            "medications-0-indication": "valve"}
    data.update(over)
    return data


def test_front_desk_registers_a_patient(client, login_as, post_form, db):
    login_as("front_desk")
    response = post_form("/patients/new", _form(), token_from="/patients/new")
    assert response.status_code == 302
    patient = db.session.execute(db.select(Patient).where(Patient.last_name == "Valjean")).scalar_one()
    assert patient.conditions == ["diabetes"] and patient.medications[0].drug == "Warfarin"   # as typed; matched by substance
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Valjean" in page and "Warfarin" in page


def test_error_keeps_what_was_typed(client, login_as, post_form, db):
    login_as("front_desk")
    response = post_form("/patients/new", _form(email="nope", first_name="Cosette"), token_from="/patients/new")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="Cosette"' in html and 'value="nope"' in html and 'aria-invalid="true"' in html
    assert db.session.execute(db.select(Patient).where(Patient.first_name == "Cosette")).first() is None


def test_future_birth_date_refused_by_service(client, login_as, post_form):
    login_as("front_desk")
    response = post_form("/patients/new", _form(birth_date="2999-01-01"), token_from="/patients/new")
    assert response.status_code == 422
    assert "future" in response.get_data(as_text=True)


def test_text_is_escaped(client, login_as, post_form, db):
    login_as("front_desk")
    # Such a name is refused (no < > in names), and the form shown again escapes what was typed.
    response = post_form("/patients/new", _form(last_name="<script>alert(1)</script>"), token_from="/patients/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_edit_patient(client, login_as, post_form, make_patient, db):
    patient = make_patient(last_name="Before", medications=["aspirin"])
    login_as("front_desk")
    page = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="aspirin"' in page
    response = post_form(f"/patients/{patient.id}/edit", _form(last_name="After"), token_from=f"/patients/{patient.id}/edit")
    assert response.status_code == 302
    db.session.refresh(patient)
    assert patient.last_name == "After"
    actions = db.session.execute(
        db.select(AuditEvent.action).where(AuditEvent.patient_id == patient.id)
    ).scalars().all()
    assert "patient.update" in actions and "patient.read_for_edit" in actions


def test_search_page_and_empty_state(client, login_as, make_patient):
    make_patient(last_name="Findable")
    login_as("nurse")
    assert "Findable" in client.get("/patients/?q=findable").get_data(as_text=True)
    html = client.get("/patients/?q=zzzznothing").get_data(as_text=True)
    assert "No patient matches" in html


def test_viewing_a_patient_is_audited(client, login_as, make_patient, db):
    patient = make_patient()
    user = login_as("physician")
    client.get(f"/patients/{patient.id}")
    event = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.action == "patient.read", AuditEvent.patient_id == patient.id)
    ).scalar_one()
    assert event.user_id == user.id and event.channel == "web"


def test_form_post_without_csrf_is_refused(client, login_as, db):
    login_as("front_desk")
    response = client.post("/patients/new", data=_form())
    assert response.status_code == 400
    assert db.session.execute(db.select(Patient).where(Patient.last_name == "Valjean")).first() is None


def test_medicine_pick_list_with_free_text(client, login_as, post_form, db):
    """The form offers the vocabulary as a datalist; brands with accents and doses are kept as typed."""
    login_as("front_desk")
    html = client.get("/patients/new").get_data(as_text=True)
    assert '<datalist id="drugs">' in html and '<option value="Kardégic">' in html and 'list="drugs"' in html
    response = post_form("/patients/new", _form(**{"medications-0-drug": "Kardégic 75 mg",
                                                   "medications-1-drug": "Something unheard of"}))
    assert response.status_code == 302
    patient = db.session.execute(db.select(Patient).where(Patient.last_name == "Valjean")).scalar_one()
    assert [m.drug for m in patient.medications] == ["Kardégic 75 mg", "Something unheard of"]


def test_patient_page_marks_unknown_medicines(client, login_as, make_patient):
    login_as("front_desk")
    patient = make_patient(medications=["Kardégic 75", "Zorglub"])
    html = client.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert html.count("not recognised") == 1 and "Zorglub — not recognised" in html


def test_edit_form_offers_a_row_beyond_three_medicines(client, login_as, make_patient):
    """Three medicines on file: the edit form shows them and an empty fourth row to add one."""
    login_as("front_desk")
    patient = make_patient(medications=["Eliquis", "Doliprane", "Kardégic 75 mg"])
    html = client.get(f"/patients/{patient.id}/edit").get_data(as_text=True)
    assert 'value="Kardégic 75 mg"' in html and re.search(r'name="medications-3-drug"[^>]*value=""', html)
