"""Cases for the procedure-day browser tests, made in the live server's database: an appointment of
a demo site's physician for a new patient, its checklist walked through the services up to a phase."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from clinic.accounts.models import User
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.procedures import services
from clinic.scheduling.models import AppointmentStatus
from clinic.sites.models import Site
from tests import factories
from tests.checklists import answer
from tests.e2e.conftest import DEMO

# The demo's clinicians of each language, and one of their sites.
STAFF = {"fr": ("paris-bachaumont", "nurse_fr", "physician_fr"), "en": ("chaska", "nurse_en", "physician_en")}


def user(who: str) -> User:
    return db.session.execute(sa.select(User).where(User.email == DEMO[who][0])).scalar_one()


def site(code: str) -> Site:
    return db.session.execute(sa.select(Site).where(Site.code == code)).scalar_one()


def make_case(language: str, start: dt.datetime, last_name: str, status=AppointmentStatus.CHECKED_IN,
              room=None, physician=None, minutes: int = 30):
    """A checked-in appointment (male patient: no pregnancy item) at the language's demo site, in a
    room of its own with a physician of its own unless given (the demo's cases keep theirs)."""
    code, _nurse, _physician = STAFF[language]
    where = site(code)
    patient = Patient(organisation_id=where.organisation_id, first_name="Test", last_name=last_name,
                      birth_date=dt.date(1968, 3, 14), email=f"{last_name.lower()}@example.org",
                      language=language, sex="male")
    db.session.add(patient)
    db.session.flush()
    return factories.appointment(where, patient, start=start, room=room or factories.new_room(where),
                                 physician=physician or factories.user("physician", sites=[where], hours=False),
                                 procedure_code="esi-interlaminar", turnover=10, levels=["L4-L5"], status=status,
                                 minutes=minutes)


def walk(appointment, language: str, phases: dict[str, dt.datetime]) -> None:
    """Record every required item of the phases, each phase at its instant."""
    nurse, physician = user(STAFF[language][1]), appointment.physician
    for phase, at in phases.items():
        case = services.load_case(appointment)
        for item in case.phase_items(phase):
            if case.is_required(item) or item.required:
                who = nurse if "nurse" in item.roles else physician
                services.record(appointment, item.code, answer(item), who, now=at)
