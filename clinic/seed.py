"""`flask clinic seed-demo`: demo sites, rooms, staff, patients and a week of appointments.

Idempotent: what exists (matched by site code, e-mail) is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app

from clinic.accounts.models import Role, User
from clinic.accounts.services import create_user
from clinic.catalog import load_procedures
from clinic.cli import add_commands, command
from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient, PatientMedication
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from clinic.sites.holidays import public_holiday
from clinic.sites.models import Organisation, Room, Site
from clinic.timeutil import local_to_utc
from clinic.unit_of_work import unit_of_work

# Two organisations that must never see each other's patients.
ORGANISATIONS = [
    dict(code="paris-group", name="Paris group", country="FR", privacy_contact="dpo@paris-group.example"),
    dict(code="twin-cities", name="Twin Cities group", country="US", privacy_contact="privacy@twin-cities.example"),
]
SITE_ORGANISATION = {"paris-bachaumont": "paris-group", "paris-drouot": "paris-group",
                     "chaska": "twin-cities", "maple-grove": "twin-cities"}
LANGUAGE_ORGANISATION = {"fr": "paris-group", "en": "twin-cities"}

SITES: list[dict[str, Any]] = [
    dict(code="paris-bachaumont", name="Bachaumont Radiology", address="Rue Bachaumont, 75002 Paris",
         phone="+33 1 40 00 00 02", timezone="Europe/Paris", country="FR", subdivision=None, language="fr",
         policy="fr", rooms=[("Salle 1 (radioscopie)", ["fluoroscopy"]), ("Scanner", ["ct"])]),
    dict(code="paris-drouot", name="Clinique Drouot", address="Rue Drouot, 75009 Paris",
         phone="+33 1 40 00 00 09", timezone="Europe/Paris", country="FR", subdivision=None, language="fr",
         policy="fr", rooms=[("Salle A (radioscopie)", ["fluoroscopy"]), ("Salle B (échographie)", ["ultrasound"])]),
    dict(code="chaska", name="iSpine Pain Physicians, Chaska", address="Chaska, MN 55318",
         phone="+1 952 000 0001", timezone="America/Chicago", country="US", subdivision="MN", language="en",
         policy="us", rooms=[("Procedure Room 1", ["fluoroscopy", "ultrasound"]), ("Procedure Room 2", ["fluoroscopy"])]),
    dict(code="maple-grove", name="Twin Cities Spine Injections, Maple Grove", address="Maple Grove, MN 55369",
         phone="+1 763 000 0002", timezone="America/Chicago", country="US", subdivision="MN", language="en",
         policy="us", rooms=[("Fluoro Suite", ["fluoroscopy"]), ("Ultrasound Room", ["ultrasound"])]),
]

# (email, name, role, sites, password, language)
STAFF = [
    ("admin@clinic.example", "Alex Admin", Role.ADMIN, [], "admin-demo-2026", "en"),
    ("accueil@clinic.example", "Camille Accueil", Role.FRONT_DESK, ["paris-bachaumont", "paris-drouot"], "accueil-demo-2026", "fr"),
    ("frontdesk@clinic.example", "Jordan Frontdesk", Role.FRONT_DESK, ["chaska", "maple-grove"], "frontdesk-demo-2026", "en"),
    ("infirmiere@clinic.example", "Léa Infirmière", Role.NURSE, ["paris-bachaumont", "paris-drouot"], "nurse-demo-2026", "fr"),
    ("nurse@clinic.example", "Pat Nurse", Role.NURSE, ["chaska", "maple-grove"], "nurse-demo-2026", "en"),
    ("dr.martin@clinic.example", "Dr Claire Martin", Role.PHYSICIAN, ["paris-bachaumont", "paris-drouot"], "doctor-demo-2026", "fr"),
    ("dr.bernard@clinic.example", "Dr Julien Bernard", Role.PHYSICIAN, ["paris-bachaumont"], "doctor-demo-2026", "fr"),
    ("dr.lefevre@clinic.example", "Dr Sophie Lefèvre", Role.PHYSICIAN, ["paris-drouot"], "doctor-demo-2026", "fr"),
    ("dr.johnson@clinic.example", "Dr Emily Johnson", Role.PHYSICIAN, ["chaska", "maple-grove"], "doctor-demo-2026", "en"),
    ("dr.anderson@clinic.example", "Dr Michael Anderson", Role.PHYSICIAN, ["chaska"], "doctor-demo-2026", "en"),
    ("dr.nelson@clinic.example", "Dr Sarah Nelson", Role.PHYSICIAN, ["maple-grove"], "doctor-demo-2026", "en"),
]

FR_NAMES = [("Marie", "Dubois"), ("Pierre", "Moreau"), ("Isabelle", "Laurent"), ("Nicolas", "Simon"),
            ("Nathalie", "Michel"), ("Philippe", "Garcia"), ("Catherine", "David"), ("Alain", "Bertrand"),
            ("Sylvie", "Roux"), ("François", "Vincent"), ("Monique", "Fournier"), ("Jacques", "Morel"),
            ("Hélène", "Girard"), ("Olivier", "André"), ("Valérie", "Mercier")]
EN_NAMES = [("James", "Olson"), ("Linda", "Peterson"), ("Robert", "Hanson"), ("Karen", "Larson"),
            ("David", "Swanson"), ("Susan", "Carlson"), ("Thomas", "Lindquist"), ("Nancy", "Berg"),
            ("Mark", "Nygaard"), ("Betty", "Johnson"), ("Steven", "Erickson"), ("Donna", "Halvorson"),
            ("Paul", "Sorensen"), ("Carol", "Gustafson"), ("Brian", "Lund")]
MEDICATIONS = [None, None, ("apixaban", "atrial fibrillation"), ("warfarin", "valve"), None,
               ("clopidogrel", "stent"), ("aspirin", "secondary prevention"), None, ("ibuprofen", None), None]


def _get_or_create_organisations() -> dict[str, Organisation]:
    orgs = {}
    for spec in ORGANISATIONS:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.code == spec["code"]))
        if org is None:
            org = Organisation(**spec)
            db.session.add(org)
        orgs[spec["code"]] = org
    db.session.flush()
    return orgs


def _get_or_create_sites(orgs: dict[str, Organisation]) -> dict[str, Site]:
    sites = {}
    for spec in SITES:
        site = db.session.execute(sa.select(Site).where(Site.code == spec["code"])).scalar_one_or_none()
        if site is None:
            rooms = spec["rooms"]
            site = Site(**{k: v for k, v in spec.items() if k != "rooms"},
                        organisation=orgs[SITE_ORGANISATION[spec["code"]]])
            site.rooms = [Room(name=n, modalities=m) for n, m in rooms]
            db.session.add(site)
        sites[spec["code"]] = site
    db.session.flush()
    return sites


def _get_or_create_staff(sites: dict[str, Site], today: dt.date) -> list[tuple[str, str, bool]]:
    printed = []
    for email, name, role, codes, password, lang in STAFF:
        user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one_or_none()
        created = user is None
        if created:
            user = create_user(email, name, role, password, [sites[c] for c in codes], lang)
            if role == Role.PHYSICIAN:
                for code in codes:
                    for weekday in range(5):
                        db.session.add(WorkingHours(
                            physician=user, site=sites[code], weekday=weekday, start_time=dt.time(8),
                            end_time=dt.time(17), valid_from=today - dt.timedelta(days=365)))
        printed.append((email, password, created))
    return printed


def _patients(count_per_language: int, orgs: dict[str, Organisation]) -> list[Patient]:
    existing = db.session.execute(sa.select(Patient).order_by(Patient.id)).scalars().all()
    if existing:
        return list(existing)
    rng = random.Random(7)  # noqa: S311 (repeatable demo names and dates, not a secret)
    patients = []
    for lang, names in (("fr", FR_NAMES), ("en", EN_NAMES)):
        for i, (first, last) in enumerate(names[:count_per_language]):
            med = MEDICATIONS[i % len(MEDICATIONS)]
            p = Patient(
                organisation=orgs[LANGUAGE_ORGANISATION[lang]], first_name=first, last_name=last, language=lang,
                birth_date=dt.date(1940 + rng.randrange(50), rng.randrange(1, 13), rng.randrange(1, 29)),
                email=f"{first.lower()}.{last.lower()}@example.org".replace("é", "e").replace("ç", "c"),
                phone=f"+336000000{i:02d}" if lang == "fr" else f"+1612555{i:04d}",  # E.164
                conditions=["diabetes"] if i % 4 == 1 else [],
                allergies=["iodinated_contrast"] if i % 7 == 3 else [],
            )
            if med:
                p.medications = [PatientMedication(drug=med[0], indication=med[1])]
            db.session.add(p)
            patients.append(p)
    db.session.flush()
    return patients


def _appointments(sites: dict[str, Site], patients: list[Patient], today_utc: dt.datetime) -> int:
    if db.session.execute(sa.select(sa.func.count(Appointment.id))).scalar_one():
        return 0
    procedures = list(load_procedures().values())
    created = 0
    times = [dt.time(9, 0), dt.time(10, 30), dt.time(14, 0)]
    for site_index, site in enumerate(sites.values()):
        tz = site.tz
        physicians = [u for u in site_physicians(site)]
        room = next(r for r in site.rooms if "fluoroscopy" in r.modalities)
        own = [p for p in patients if p.organisation_id == site.organisation_id]
        local_today = today_utc.astimezone(tz).date()
        for offset in range(-2, 6):
            day = local_today + dt.timedelta(days=offset)
            if day.weekday() >= 5 or public_holiday(site, day):   # closed days take no booking
                continue
            for slot, time in enumerate(times):
                proc = procedures[(offset + slot + site_index) % len(procedures)]
                # Keep the cross-site physician to one site per day so the demo never double-books.
                physician = physicians[(slot + offset) % len(physicians)]
                start = local_to_utc(day, time, tz)
                end = start + dt.timedelta(minutes=proc.duration_minutes)
                patient = own[(created * 7 + site_index) % len(own)]
                past = start < today_utc
                db.session.add(Appointment(
                    patient=patient, site=site, room=room, physician=physician, procedure_code=proc.code,
                    start_at=start, end_at=end, block_end_at=end + dt.timedelta(minutes=site.turnover_minutes),
                    region=proc.regions[-1], side="bilateral" if proc.code == "esi-caudal" else "left",
                    levels=[], sedation=False,
                    status=AppointmentStatus.COMPLETED if past else AppointmentStatus.BOOKED,
                ))
                created += 1
    db.session.flush()
    return created


def site_physicians(site: Site) -> list[User]:
    """Physicians who work only at this site, then the shared ones (so the demo has no overlap)."""
    users = db.session.execute(
        sa.select(User).where(User.role == Role.PHYSICIAN, User.sites.any(Site.id == site.id)).order_by(User.id)
    ).scalars().all()
    return sorted(users, key=lambda u: len(u.sites))[:1] or list(users)


@command("seed-demo")
def seed_demo():
    """Fill the database with demo data (safe to run again; refused in production)."""
    if not (current_app.debug or current_app.testing):
        raise click.ClickException("seed-demo adds staff with public passwords: it runs only with "
                                   "CLINIC_ENV=development or testing, never in production.")
    now = utcnow()
    with unit_of_work():
        orgs = _get_or_create_organisations()
        sites = _get_or_create_sites(orgs)
        click.echo(f"Organisations: {', '.join(orgs)}; sites: {', '.join(sites)}")
        staff = _get_or_create_staff(sites, now.date())
        patients = _patients(15, orgs)
        click.echo(f"Patients: {len(patients)}")
        created = _appointments(sites, patients, now)
        click.echo(f"Appointments created: {created}")
    click.echo("\nDemo logins (e-mail / password):")
    for email, password, _created in staff:
        click.echo(f"  {email:32} {password}")


def init_app(_app) -> None:
    from clinic import bench_seed

    add_commands(seed_demo, bench_seed.seed_scale)
