"""The demo data at any hour: seeded into a fresh database in the morning, at local midnight and on
a Sunday, each site's current local day holds an appointment in every state, every patient is
booked only at their own organisation's sites, some confirmations are sent and one per
organisation failed, the names include accented ones, and the printed logins say each account's
role and sites. A second run adds nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from argon2 import PasswordHasher

from clinic.patients.models import Patient
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling.models import Appointment, AppointmentStatus
from clinic.sites.models import Site
from clinic.timeutil import local_day_bounds

INSTANTS = {
    "morning in Paris": dt.datetime(2026, 12, 9, 7, 30, tzinfo=dt.UTC),
    "midnight in Paris": dt.datetime(2026, 12, 9, 23, 0, tzinfo=dt.UTC),
    "midnight in Minnesota": dt.datetime(2026, 12, 10, 6, 0, tzinfo=dt.UTC),
    "Sunday": dt.datetime(2026, 12, 13, 15, 0, tzinfo=dt.UTC),
}


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    """The demo's eleven passwords hashed cheaply: the seed's own work is what these tests time."""
    from clinic.accounts import models

    monkeypatch.setattr(models, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def _seed(app, at: dt.datetime) -> str:
    with time_machine.travel(at, tick=False):
        result = app.test_cli_runner().invoke(args=["clinic", "seed-demo"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("when", list(INSTANTS))
def test_every_site_has_every_state_today_with_its_own_patients(app, db, when):
    at = INSTANTS[when]
    output = _seed(app, at)
    sites = db.session.execute(sa.select(Site)).scalars().all()
    assert {s.organisation_id for s in sites} and len(sites) >= 4
    for site in sites:
        start, end = local_day_bounds(at.astimezone(site.tz).date(), site.tz)
        today = db.session.execute(sa.select(Appointment).where(
            Appointment.site_id == site.id, Appointment.start_at >= start, Appointment.start_at < end)).scalars().all()
        assert {a.status for a in today} == set(AppointmentStatus), site.code
    crossed = db.session.execute(
        sa.select(Appointment.id).join(Patient, Patient.id == Appointment.patient_id).join(Site, Site.id == Appointment.site_id)
        .where(Patient.organisation_id != Site.organisation_id)).all()
    assert crossed == []
    assert db.session.scalar(sa.select(sa.func.count(Appointment.id)).where(
        Appointment.start_at > at + dt.timedelta(days=1))) > 0     # the coming days too
    assert "today at each site: one in every state" in output


def test_reminders_names_and_logins(app, db):
    output = _seed(app, INSTANTS["morning in Paris"])
    statuses = db.session.execute(sa.select(Reminder.organisation_id, Reminder.status)).all()
    organisations = {o for o, _s in statuses}
    assert len(organisations) == 2
    for org in organisations:
        mine = [s for o, s in statuses if o == org]
        assert mine.count(ReminderStatus.FAILED) == 1 and ReminderStatus.SENT in mine
    names = {f"{first} {last}" for first, last in db.session.execute(sa.select(Patient.first_name, Patient.last_name))}
    assert {"Hélène Lefèvre", "Ngọc Nguyễn"} <= names and "Marie Dubois" in names
    assert any(n.startswith("Zoë ") for n in names)
    emails = db.session.scalars(sa.select(Patient.email)).all()
    assert all(e.isascii() for e in emails) and "ngoc.nguyen@example.org" in emails
    assert "accueil@clinic.example / accueil-demo-2026 — front desk — Bachaumont Radiology, Clinique Drouot" in output
    assert "dr.nelson@clinic.example / doctor-demo-2026 — physician — Twin Cities Spine Injections, Maple Grove" in output
    assert "admin@clinic.example / admin-demo-2026 — administrator — every site" in output
    holds = db.session.scalars(sa.select(Appointment.medication_holds)).all()
    assert any(holds), "the blood thinners of the demo patients are on their bookings"


def test_a_second_run_adds_nothing(app, db):
    _seed(app, INSTANTS["morning in Paris"])
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Appointment, Patient, Reminder)]
    output = _seed(app, INSTANTS["morning in Paris"] + dt.timedelta(hours=3))
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Appointment, Patient, Reminder)] == counts
    assert "already has some; left as they are" in output and "Demo logins" in output
