"""One factory per model the tests build: plain functions on the test's session (the `db` fixture's).

Organisations are right by construction: a site belongs to the test organisation of its country
unless given one, a patient to the organisation of the site they are registered at, and an
appointment takes its patient from its site's organisation. Each factory flushes or commits what it
made (a commit is a savepoint of the test's transaction), so none depends on a service committing.
"""

from __future__ import annotations

import datetime as dt
import itertools

import sqlalchemy as sa

from clinic.accounts.models import Role, User
from clinic.extensions import db
from clinic.patients.models import Patient, PatientMedication
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from clinic.sites.models import Organisation, Room, Site
from clinic.timeutil import local_to_utc

PASSWORD = "correct-horse-9"
_counter = itertools.count(1)

# A valid body for POST /api/v1/patients.
PATIENT_JSON = {
    "first_name": "Marie", "last_name": "Dubois", "birth_date": "1961-04-02", "email": "marie@example.org",
    "phone": "+33 6 00 00 00 01", "language": "fr", "conditions": ["diabetes"], "allergies": ["iodinated_contrast"],
    "medications": [{"drug": "apixaban", "indication": "atrial fibrillation"}],
}

ORGANISATIONS = {"FR": ("paris-group", "Paris group"), "US": ("twin-cities", "Twin Cities group")}


def organisation_for(country: str) -> Organisation:
    """The test organisation of a country (the Paris group, the Twin Cities group), made on first use."""
    code, name = ORGANISATIONS.get(country, (f"org-{country.lower()}", f"Organisation {country}"))
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == code))
    if org is None:
        org = Organisation(code=code, name=name, country=country, privacy_contact=f"privacy@{code}.test")
        db.session.add(org)
        db.session.flush()
    return org


def organisation(code=None, country="FR", name=None) -> Organisation:
    n = next(_counter)
    org = Organisation(code=code or f"org-{n}", name=name or f"Organisation {n}", country=country)
    db.session.add(org)
    db.session.commit()
    return org


def site(code=None, tz="Europe/Paris", country="FR", subdivision=None, language="fr", rooms=None,
         organisation=None, **kw) -> Site:
    """A site of `organisation` (default: the test organisation of its country), with its rooms."""
    n = next(_counter)
    made = Site(
        organisation=organisation or organisation_for(country),
        code=code or f"site-{n}", name=kw.pop("name", f"Site {n}"), timezone=tz, country=country,
        subdivision=subdivision, language=language, address=kw.pop("address", f"{n} Test Street"),
        phone=kw.pop("phone", "+33 1 00 00 00 00"), policy=kw.pop("policy", "fr" if country == "FR" else "us"),
        **kw,
    )
    for name, modalities in rooms or [("Room 1", ["fluoroscopy"])]:
        made.rooms.append(Room(name=name, modalities=modalities))
    db.session.add(made)
    db.session.commit()
    return made


def room(site, name=None, modalities=None) -> Room:
    """Another room of the site (the imaging of its first room unless given)."""
    made = Room(site=site, name=name or f"Room {next(_counter) + 100}",
                modalities=list(modalities if modalities is not None else site.rooms[0].modalities))
    db.session.add(made)
    db.session.flush()
    return made


new_room = room  # the names `room` and `patient` are also appointment()'s parameters


def working_hours(physician, site, weekday, start=dt.time(8), end=dt.time(17), valid_from=dt.date(2020, 1, 1),
                  valid_until=None) -> WorkingHours:
    row = WorkingHours(physician_id=physician.id, site_id=site.id, weekday=weekday, start_time=start, end_time=end,
                       valid_from=valid_from, valid_until=valid_until)
    db.session.add(row)
    db.session.flush()
    return row


def user(role="front_desk", sites=(), email=None, name=None, password=PASSWORD, hours=True, language="en") -> User:
    """A user; English interface unless `language` says otherwise (None: the site's language).
    A physician works 08:00-17:00 on weekdays at each of their sites unless `hours` is false."""
    n = next(_counter)
    made = User(email=email or f"user{n}@test.example", name=name or f"User {n}", role=Role(role),
                sites=list(sites), language=language)
    made.set_password(password)
    db.session.add(made)
    db.session.flush()
    if hours and made.role == Role.PHYSICIAN:
        for at in sites:
            for weekday in range(5):
                working_hours(made, at, weekday)
    db.session.commit()
    return made


def _default_organisation() -> Organisation:
    """A patient given no site is registered at the newest site's organisation (the site the test
    is about, in practice), or the Paris group when there is no site yet."""
    newest = db.session.scalar(sa.select(Site).order_by(Site.id.desc()).limit(1))
    return newest.organisation if newest is not None else organisation_for("FR")


def patient(language="en", conditions=(), allergies=(), medications=(), site=None, organisation=None, **kw) -> Patient:
    """A patient registered at `site` (or of `organisation`; default: see _default_organisation).
    `medications` are drug names or (drug, indication) pairs."""
    n = next(_counter)
    org = organisation or (site.organisation if site is not None else _default_organisation())
    made = Patient(
        organisation_id=org.id,
        first_name=kw.pop("first_name", f"Pat{n}"), last_name=kw.pop("last_name", f"Patient{n}"),
        birth_date=kw.pop("birth_date", dt.date(1960, 5, 17)), email=kw.pop("email", f"patient{n}@test.example"),
        language=language, conditions=list(conditions), allergies=list(allergies), **kw,
    )
    made.medications = [PatientMedication(drug=d, indication=i) for d, i in
                        ((m, None) if isinstance(m, str) else m for m in medications)]
    db.session.add(made)
    db.session.commit()
    return made


new_patient = patient


def build_appointment(site, patient=None, *, start=None, day=None, time=dt.time(10), minutes=30, turnover=None,
                      room=None, physician=None, procedure_code="esi-transforaminal", status="booked",
                      region="lumbar", side="left", **fields) -> Appointment:
    """An appointment row not yet added to the session (for a test of the code that writes it).

    It starts at `start` (UTC) or at the site's local `day` and `time`, lasts `minutes`, and keeps
    its room for the site's turnover (or `turnover` minutes) after. Unless given, the patient is a
    new one registered at the site (in the site's language), and the room and physician are new
    ones of the site, so that no overlap constraint is ever in play.
    """
    if start is None:
        if day is None:
            raise TypeError("an appointment needs a start (UTC) or a local day")
        start = local_to_utc(day, time, site.tz)
    end = start + dt.timedelta(minutes=minutes)
    return Appointment(
        patient=patient if patient is not None else new_patient(language=site.language, site=site),
        site=site, room=room or new_room(site),
        physician=physician or user("physician", sites=[site], hours=False),
        procedure_code=procedure_code, start_at=start, end_at=end,
        block_end_at=end + dt.timedelta(minutes=site.turnover_minutes if turnover is None else turnover),
        region=region, side=side, status=AppointmentStatus(status), **fields,
    )


def appointment(site, patient=None, **kw) -> Appointment:
    """An appointment row made directly (see build_appointment), added and flushed: no booking
    rule runs and no signal is sent (a test that needs either books through the service or the routes)."""
    made = build_appointment(site, patient, **kw)
    db.session.add(made)
    db.session.flush()
    return made
