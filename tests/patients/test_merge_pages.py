"""The merge pages, through the front door: an organisation's administrator picks the duplicate,
compares the two records, chooses the values kept and merges; others are refused."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from clinic.audit.models import AuditEvent
from clinic.links.tokens import make_token
from clinic.patients.models import InjectionRecord, Patient
from clinic.scheduling.models import Appointment
from tests import factories
from tests.web import csrf_token

DAY = dt.date(2026, 6, 10)


@pytest.fixture
def org_admin(db, make_user, login):
    """Sign in as the administrator of a site's organisation (in English unless told)."""

    def do(site, language="en"):
        user = make_user("admin", language=language)
        user.organisation_id = site.organisation_id
        db.session.commit()
        return login(user)

    return do


@pytest.fixture
def records(db, paris, make_appointment):
    """Two records of one person (same birth date): the duplicate with a coming appointment and a
    completed injection."""
    kept = factories.patient(site=paris, first_name="Hélène", last_name="Dupont", email="helene@example.org",
                             birth_date=dt.date(1958, 2, 3))
    duplicate = factories.patient(site=paris, first_name="Helene", last_name="Dupont", email="dupont.h@example.org",
                                  birth_date=dt.date(1958, 2, 3), phone="+33612345678")
    coming = make_appointment(patient=duplicate, day=DAY, time=dt.time(14))
    past = make_appointment(patient=duplicate, day=dt.date(2026, 1, 5), status="completed")
    db.session.add(InjectionRecord(patient_id=duplicate.id, appointment_id=past.id, performed_on=dt.date(2026, 1, 5),
                                   procedure_code="esi-transforaminal", steroid="dexamethasone", dose_mg=8))
    db.session.commit()
    return kept, duplicate, coming


def _confirm_url(kept, duplicate) -> str:
    return f"/patients/{kept.id}/merge/confirm?duplicate={duplicate.id}"


def test_admin_merges_two_records_from_the_patient_page(client, db, paris, org_admin, records):
    """Patient page → pick → side-by-side confirmation → merge: the kept page lists the moved
    appointment and history, the old address leads there, and the audit row exists."""
    kept, duplicate, coming = records
    org_admin(paris)
    page = client.get(f"/patients/{kept.id}").get_data(as_text=True)
    assert f"/patients/{kept.id}/merge" in page and "Merge with another record…" in page

    pick = client.get(f"/patients/{kept.id}/merge").get_data(as_text=True)   # same birth date: proposed
    assert f"duplicate={duplicate.id}" in pick and "dupont.h@example.org" in pick
    assert f"duplicate={duplicate.id}" in client.get(f"/patients/{kept.id}/merge?q=dupont.h").get_data(as_text=True)

    response = client.get(_confirm_url(kept, duplicate))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "helene@example.org" in html and "dupont.h@example.org" in html       # side by side
    assert 'name="take_email"' in html and 'name="take_phone"' in html and 'name="take_birth_date"' not in html
    assert "Appointments: <strong>2</strong>" in html and "Procedure history: <strong>1</strong>" in html
    assert f"/patients/{duplicate.id}/merge/confirm?duplicate={kept.id}" in html  # keep the other instead

    response = client.post(f"/patients/{kept.id}/merge/confirm", data={
        "csrf_token": csrf_token(client, _confirm_url(kept, duplicate)), "duplicate": duplicate.id,
        "take_email": "duplicate", "take_phone": "duplicate", "take_first_name": "kept"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/patients/{kept.id}")

    page = client.get(f"/patients/{kept.id}").get_data(as_text=True)
    assert f"/appointments/{coming.id}" in page and "dexamethasone" in page and "dupont.h@example.org" in page
    assert f"Record {duplicate.id} was merged into this one" in page
    old = client.get(f"/patients/{duplicate.id}")
    assert old.status_code == 302 and old.headers["Location"].endswith(f"/patients/{kept.id}")
    db.session.expire_all()
    assert db.session.get(Patient, kept.id).first_name == "Hélène"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)
                             .where(Appointment.patient_id == kept.id)) == 2
    merged = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "patient.merged")).one()
    assert merged.patient_id == kept.id and merged.details["merged"] == duplicate.id
    assert merged.details["moved"]["appointments"] == 2
    audit = client.get(f"/audit/?patient={kept.id}").get_data(as_text=True)
    assert f'<a href="/patients/{duplicate.id}">{duplicate.id}</a>' in audit   # the merged record's events
    assert f"records merged into this patient's: {duplicate.id}." in audit
    export = client.get(f"/admin/patients/{kept.id}/export").get_json()          # and in the patient's export
    assert {"patient.merged", "patient.merged_away"} <= {e["action"] for e in export["audit_events"]}
    assert duplicate.id in {e["patient_id"] for e in export["audit_events"]}


def test_the_merge_is_offered_in_french(client, paris, org_admin, records):
    kept, duplicate, _coming = records
    org_admin(paris, language="fr")
    assert "Fusionner avec un autre dossier…" in client.get(f"/patients/{kept.id}").get_data(as_text=True)
    html = client.get(_confirm_url(kept, duplicate)).get_data(as_text=True)
    assert "Fusionner les dossiers" in html and "Rendez-vous" in html


@pytest.mark.parametrize("role", ["front_desk", "physician", "nurse"])
def test_other_roles_get_403_and_no_button(client, login_as, records, role):
    kept, duplicate, _coming = records
    login_as(role)
    assert "/merge" not in client.get(f"/patients/{kept.id}").get_data(as_text=True)
    assert client.get(f"/patients/{kept.id}/merge").status_code == 403
    assert client.get(_confirm_url(kept, duplicate)).status_code == 403
    response = client.post(f"/patients/{kept.id}/merge/confirm",
                           data={"csrf_token": csrf_token(client), "duplicate": duplicate.id})
    assert response.status_code == 403


def test_another_organisations_admin_gets_404_on_every_route(client, db, minnesota, paris, org_admin, records):
    """The records do not exist for the Twin Cities' administrator: 404 everywhere, nothing moves."""
    kept, duplicate, _coming = records
    org_admin(minnesota)
    assert client.get(f"/patients/{kept.id}/merge").status_code == 404
    assert client.get(_confirm_url(kept, duplicate)).status_code == 404
    response = client.post(f"/patients/{kept.id}/merge/confirm",
                           data={"csrf_token": csrf_token(client), "duplicate": duplicate.id})
    assert response.status_code == 404
    own = factories.patient(site=minnesota)   # their own record, the other organisation's as duplicate
    assert client.get(_confirm_url(own, duplicate)).status_code == 404
    response = client.post(f"/patients/{own.id}/merge/confirm",
                           data={"csrf_token": csrf_token(client), "duplicate": duplicate.id})
    assert response.status_code == 404
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Appointment)
                             .where(Appointment.patient_id == duplicate.id)) == 2


def test_refusals_are_said(client, db, paris, org_admin, records, make_appointment):
    """Itself, overlapping active appointments (both named), an erased record: said, with no merge button;
    a merge sent anyway is refused (409)."""
    kept, duplicate, coming = records
    org_admin(paris)
    response = client.get(_confirm_url(kept, kept))        # a page that explains: 200, without the button
    assert response.status_code == 200 and "cannot be merged with itself" in response.get_data(as_text=True)
    clash = make_appointment(patient=kept, day=DAY, time=dt.time(14, 15))
    db.session.commit()
    response = client.get(_confirm_url(kept, duplicate))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "overlapping times" in html
    assert f"/appointments/{clash.id}" in html and f"/appointments/{coming.id}" in html
    assert "Merge the records" not in html
    response = client.post(f"/patients/{kept.id}/merge/confirm",
                           data={"csrf_token": csrf_token(client), "duplicate": duplicate.id})
    assert response.status_code == 409 and "overlapping times" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "patient.merged")) == 0
    erased = factories.patient(site=paris, pseudonymised_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    response = client.get(_confirm_url(kept, erased))
    assert "was erased" in response.get_data(as_text=True) and "Merge the records" not in response.get_data(as_text=True)


def test_confirmation_without_a_duplicate_goes_back_to_the_pick(client, paris, org_admin, records):
    kept, _duplicate, _coming = records
    org_admin(paris)
    response = client.get(f"/patients/{kept.id}/merge/confirm")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/patients/{kept.id}/merge")


def test_a_link_sent_for_the_merged_record_still_opens(client, db, paris, records):
    """The preparation link a patient received for the duplicate's appointment opens after the merge;
    a link naming another patient still does not."""
    from clinic.patients import merge

    kept, duplicate, coming = records
    sent = f"/p/prepare/{make_token('prepare', duplicate.id, coming.id)}"
    merge.merge_patients(kept, duplicate)
    db.session.commit()
    assert client.get(sent).status_code == 200
    stranger = factories.patient(site=paris)
    assert client.get(f"/p/prepare/{make_token('prepare', stranger.id, coming.id)}").status_code == 403

