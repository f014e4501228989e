"""`flask clinic seed-demo`: demo sites, rooms, staff, patients and a week of appointments.

Whatever the hour or the day it runs, each site's current local day holds an appointment in every
state (booked, checked in, in procedure, completed, cancelled, no-show), with more in the coming
days; each patient is booked only at their own organisation's sites; some reminders are already
sent and one per organisation failed, for the outbox to show.

Idempotent: what exists (matched by site code, e-mail) is left as it is, and appointments are added
only to a database that has none.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
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
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling import signals
from clinic.scheduling.models import Appointment, AppointmentStatus, WorkingHours
from clinic.screening.sheet import stored_or_computed
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
            ("Hélène", "Lefèvre"), ("Zoë", "André"), ("Valérie", "Mercier")]
EN_NAMES = [("James", "Olson"), ("Linda", "Peterson"), ("Robert", "Hanson"), ("Karen", "Larson"),
            ("David", "Swanson"), ("Susan", "Carlson"), ("Thomas", "Lindquist"), ("Nancy", "Berg"),
            ("Mark", "Nygaard"), ("Betty", "Johnson"), ("Steven", "Erickson"), ("Donna", "Halvorson"),
            ("Paul", "Sorensen"), ("Zoë", "Gustafson"), ("Ngọc", "Nguyễn")]
MEDICATIONS = [None, None, ("apixaban", "atrial fibrillation"), ("warfarin", "valve"), None,
               ("clopidogrel", "stent"), ("aspirin", "secondary prevention"), None, ("ibuprofen", None), None]


# The current local day of each site, whatever the hour: one appointment per state, an hour and a
# quarter apart (the longest procedure and its turnover), each with a patient of its own that day.
TODAY = [(dt.time(8, 0), AppointmentStatus.COMPLETED), (dt.time(9, 15), AppointmentStatus.NO_SHOW),
         (dt.time(10, 30), AppointmentStatus.IN_PROCEDURE), (dt.time(11, 45), AppointmentStatus.CHECKED_IN),
         (dt.time(13, 0), AppointmentStatus.CANCELLED), (dt.time(14, 15), AppointmentStatus.BOOKED),
         (dt.time(15, 30), AppointmentStatus.BOOKED)]
ROLE_NAMES = {Role.ADMIN: "administrator", Role.FRONT_DESK: "front desk", Role.NURSE: "nurse",
              Role.PHYSICIAN: "physician"}
FAILED_ERROR = "550 5.1.1 mailbox unavailable (demo)"


def _ascii(name: str) -> str:
    """A name as the local part of a demo address: lower case, accents dropped ("Ngọc" gives "ngoc")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(c))
    return "".join(c for c in plain if c.isascii() and c.isalnum())


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


def _get_or_create_staff(sites: dict[str, Site], today: dt.date) -> list[tuple[str, str, str]]:
    """The demo accounts, created when missing: (e-mail, password, role and sites) for the printed logins."""
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
        where = ", ".join(sites[c].name for c in codes) if codes else "every site"
        printed.append((email, password, f"{ROLE_NAMES[role]} — {where}"))
    return printed


def logins_text(staff: list[tuple[str, str, str]]) -> str:
    """The demo logins, one a line: e-mail / password — role — sites."""
    lines = ["Demo logins (e-mail / password — role — sites):"]
    lines += [f"  {email} / {password} — {who}" for email, password, who in staff]
    return "\n".join(lines)


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
                email=f"{_ascii(first)}.{_ascii(last)}@example.org",
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


def _appointments(sites: dict[str, Site], patients: list[Patient], now: dt.datetime) -> list[Appointment]:
    """Today's list of every state at each site, then three a day on the open days around it."""
    if db.session.execute(sa.select(sa.func.count(Appointment.id))).scalar_one():
        return []
    procedures = [p for p in load_procedures().values()]
    made: list[Appointment] = []
    times = [dt.time(9, 0), dt.time(10, 30), dt.time(14, 0)]
    for site_index, site in enumerate(sites.values()):
        tz = site.tz
        physician = site_physicians(site)[0]
        room = next(r for r in site.rooms if "fluoroscopy" in r.modalities)
        own = [p for p in patients if p.organisation_id == site.organisation_id]
        own_sites = [s for s in sites.values() if s.organisation_id == site.organisation_id]
        local_today = now.astimezone(tz).date()

        def book(day, time, proc, patient, status, site=site, room=room, physician=physician):
            start = local_to_utc(day, time, site.tz)
            end = start + dt.timedelta(minutes=proc.duration_minutes)
            appt = Appointment(
                patient=patient, site=site, room=room, physician=physician, procedure_code=proc.code,
                start_at=start, end_at=end, block_end_at=end + dt.timedelta(minutes=site.turnover_minutes),
                region=proc.regions[-1], side="bilateral" if proc.code == "esi-caudal" else "left",
                levels=[], sedation=len(made) % 5 == 2, status=status)
            db.session.add(appt)
            made.append(appt)

        # Today: the organisation's patients shared between its sites, none twice in the day.
        first = own_sites.index(site) * len(TODAY)
        for n, (time, status) in enumerate(TODAY):
            book(local_today, time, procedures[(n + site_index) % len(procedures)], own[(first + n) % len(own)], status)
        for offset in (-2, -1, 1, 2, 3, 4, 5):
            day = local_today + dt.timedelta(days=offset)
            if day.weekday() >= 5 or public_holiday(site, day):   # closed days take no booking
                continue
            for slot, time in enumerate(times):
                proc = procedures[(offset + slot + site_index) % len(procedures)]
                patient = own[(len(made) * 7 + site_index) % len(own)]
                start = local_to_utc(day, time, tz)
                book(day, time, proc, patient,
                     AppointmentStatus.COMPLETED if start < now else AppointmentStatus.BOOKED)
    db.session.flush()
    return made


def _prepare_and_remind(appointments: list[Appointment], now: dt.datetime) -> tuple[int, int]:
    """Each booking's stored preparation and holds, as booking stores them; the reminders of the
    booked ones planned as booking plans them, their confirmations sent and one per organisation
    failed. Returns (sent, failed)."""
    for appt in appointments:
        items, holds = stored_or_computed(appt)
        appt.preparation, appt.medication_holds = items, holds
        if appt.status == AppointmentStatus.BOOKED:
            signals.appointment_booked.send(appt)
    db.session.flush()
    confirmations = db.session.execute(
        sa.select(Reminder).where(Reminder.kind == "confirmation", Reminder.status == ReminderStatus.PLANNED)
        .order_by(Reminder.id)).scalars().all()
    failed_in: set[int] = set()
    sent = failed = 0
    for row in confirmations:
        row.attempts, row.claimed_by, row.claimed_at = 1, None, None
        if row.organisation_id not in failed_in:
            failed_in.add(row.organisation_id)
            row.status, row.last_error = ReminderStatus.FAILED, FAILED_ERROR
            failed += 1
        else:
            row.status, row.sent_at, row.message_id = ReminderStatus.SENT, now, f"<demo-{row.id}@clinic.example>"
            sent += 1
    db.session.flush()
    return sent, failed


def site_physicians(site: Site) -> list[User]:
    """Physicians who work only at this site, then the shared ones (so the demo has no overlap)."""
    users = db.session.execute(
        sa.select(User).where(User.role == Role.PHYSICIAN, User.sites.any(Site.id == site.id)).order_by(User.id)
    ).scalars().all()
    return sorted(users, key=lambda u: len(u.sites))[:1] or list(users)


@command("seed-demo")
def seed_demo():
    """Fill the database with demo data (safe to run again; refused in production)."""
    if not current_app.config["DEMO_SEED_ALLOWED"]:
        raise click.ClickException("seed-demo adds staff with public passwords: it runs only with "
                                   "CLINIC_ENV=development or testing, never in production.")
    now = utcnow()
    with unit_of_work():
        orgs = _get_or_create_organisations()
        sites = _get_or_create_sites(orgs)
        click.echo(f"Organisations: {', '.join(orgs)}; sites: {', '.join(sites)}")
        staff = _get_or_create_staff(sites, now.date())
        click.echo(f"Staff: {len(staff)} accounts")
        patients = _patients(15, orgs)
        click.echo(f"Patients: {len(patients)}")
        made = _appointments(sites, patients, now)
        if made:
            click.echo(f"Appointments created: {len(made)} (today at each site: one in every state)")
            sent, failed = _prepare_and_remind(made, now)
            click.echo(f"Reminders: {sent} confirmations marked sent, {failed} failed")
        else:
            click.echo("Appointments: the database already has some; left as they are")
    click.echo("\n" + logins_text(staff))


def init_app(_app) -> None:
    from clinic import bench_seed

    add_commands(seed_demo, bench_seed.seed_scale)
