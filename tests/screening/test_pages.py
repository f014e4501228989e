"""Screening pages: the printable preparation sheet (staff, site access, audited) and the outbox."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage

import sqlalchemy as sa

from clinic.audit.models import AuditEvent


def _appointment(make_appointment, patient, site, **kw):
    """The patient's epidural at the site on Monday 15 June 2026, 09:00 local time."""
    return make_appointment(site, dt.date(2026, 6, 15), dt.time(9, 0), patient, procedure_code="esi-interlaminar", **kw)


def test_sheet_in_patient_language_with_stored_preparation(db, client, login_as, make_appointment, make_patient,
                                                             paris):
    """A front-desk user at the site sees the sheet in the patient's language; the read is audited."""
    patient = make_patient(language="fr")
    appt = _appointment(make_appointment, patient, paris,
                        preparation=[{"code": "bring", "text": "Apportez <votre> carte"}],
                        medication_holds=[{"drug": "warfarin", "stop_on": "2026-06-10",
                                           "restart_after": "2026-06-15T15:30:00+02:00", "note": "", "action": "stop"}],
                        warnings=[{"code": "inr_check", "message": "INR check", "source": "ASRA"}])
    login_as("front_desk")
    response = client.get(f"/appointments/{appt.id}/preparation")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Préparer votre rendez-vous" in html and "Apportez &lt;votre&gt; carte" in html
    assert "mercredi 10 juin 2026" in html and "lundi 15 juin 2026 à 15:30" in html
    assert "inr_check" in html and "<script>" not in html
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.object_id == str(appt.id))).all()
    assert any(e.action == "appointment.preparation_sheet" and e.patient_id == patient.id for e in events)


def test_sheet_refused_at_another_site(db, client, login_as, make_appointment, make_patient, paris, minnesota):
    """Staff of another organisation get 404 (its appointments are not shown to exist), as for an
    unknown appointment; signed-out users go to sign-in."""
    appt = _appointment(make_appointment, make_patient(site=minnesota), minnesota)
    assert client.get(f"/appointments/{appt.id}/preparation").status_code == 302
    login_as("nurse")
    assert client.get(f"/appointments/{appt.id}/preparation").status_code == 404
    assert client.get("/appointments/999999/preparation").status_code == 404


def test_catalog_page_lists_rules_with_sources(client, login_as):
    """Admins read procedures, every drug, steroids and both policies with their sources."""
    login_as("admin")
    html = client.get("/admin/catalog/").get_data(as_text=True)
    for text in ("esi-transforaminal", "fondaparinux", "dexamethasone", "sfr-cervical-interlaminar", "SFAR",
                 "CMS LCD L33906", "unconfirmed"):
        assert text in html or text.lower() in html.lower(), text


def test_catalog_page_is_admin_only(client, login_as):
    """A physician may not open the catalog page."""
    login_as("physician")
    assert client.get("/admin/catalog/").status_code == 403


def _write_eml(folder, name, subject, to="a@b.example"):
    msg = EmailMessage()
    msg["Subject"], msg["To"], msg["From"] = subject, to, "clinic@clinic.example"
    msg.set_content("Hello <b>there</b>")
    msg.add_attachment(b"BEGIN:VCALENDAR", maintype="application", subtype="ics", filename="invite.ics")
    (folder / name).write_bytes(bytes(msg))


def test_outbox_lists_newest_first_paginated_and_shows_escaped(app, client, login_as, tmp_path):
    """The outbox page lists .eml files newest first, 20 a page, and shows one with everything escaped."""
    import os

    for n in range(23):
        _write_eml(tmp_path, f"m{n:02d}.eml", f"Subject {n:02d}")
        os.utime(tmp_path / f"m{n:02d}.eml", (1_700_000_000 + n, 1_700_000_000 + n))
    _write_eml(tmp_path, "evil.eml", "<script>alert(1)</script>", to="<x@y>")
    os.utime(tmp_path / "evil.eml", (1_600_000_000, 1_600_000_000))
    saved = app.config["OUTBOX_DIR"]
    app.config["OUTBOX_DIR"] = str(tmp_path)
    try:
        login_as("admin")
        first = client.get("/admin/mail-folder").get_data(as_text=True)
        assert first.index("Subject 22") < first.index("Subject 21") and "Subject 02" not in first
        second = client.get("/admin/mail-folder?page=2").get_data(as_text=True)
        assert "Subject 02" in second and "&lt;script&gt;" in second and "<script>alert" not in second
        shown = client.get("/admin/mail-folder/evil.eml").get_data(as_text=True)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "Hello &lt;b&gt;there&lt;/b&gt;" in shown
        assert "invite.ics" in shown
        assert client.get("/admin/mail-folder/nope.eml").status_code == 404
        assert client.get("/admin/mail-folder/..%2Fsecret.eml").status_code == 404
        assert client.get("/admin/mail-folder?page=abc").status_code == 200
    finally:
        app.config["OUTBOX_DIR"] = saved


def test_outbox_is_admin_only(client, login_as):
    """Front desk users may not read the outbox."""
    login_as("front_desk")
    assert client.get("/admin/mail-folder").status_code == 403


def test_the_appointment_page_links_its_preparation_sheet(client, login_as, make_appointment, make_patient, paris):
    appt = _appointment(make_appointment, make_patient(language="fr"), paris)
    login_as("front_desk")
    html = client.get(f"/appointments/{appt.id}").get_data(as_text=True)
    assert f'href="/appointments/{appt.id}/preparation"' in html
