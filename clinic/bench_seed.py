"""`flask clinic seed-scale`: a benchmark site with years of history, filled by bulk inserts.

The site has 6 physicians (Monday to Friday, 08:00-17:00) and 4 fluoroscopy rooms. Appointments
are laid on a fixed grid of cells (site, day, start, room): every 45 minutes per room, each room
with its own physician at a given start, so no physician and no room is ever booked twice at once
(the exclusion constraints hold). The k-th stored appointment always lands on the k-th cell, so
asking for more appointments adds the missing ones and asking again adds none.

History runs over the two years before today (completed). A site holds about 25,000 of them (its
two-year capacity); beyond that the cells continue at history sites `<code>-h01`, `-h02`... of
the same shape, as a multi-site database would. `--future-share` also books that share of the
site's cells over the next `--future-days` days, once, so a search meets busy physicians and rooms.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import click
import sqlalchemy as sa

from clinic.accounts.models import Role, user_sites
from clinic.accounts.services import create_user
from clinic.cli import command
from clinic.db import utcnow
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.scheduling import stamps
from clinic.scheduling.models import Appointment, WorkingHours
from clinic.sites.models import Organisation, Room, Site
from clinic.text import fold
from clinic.timeutil import local_to_utc
from clinic.unit_of_work import unit_of_work

PHYSICIANS = 6
ROOMS = 4
PROCEDURE = "esi-interlaminar"          # 30 minutes; with the 10-minute turnover a 40-minute block
SPACING = dt.timedelta(minutes=45)      # a start every 45 minutes per room: blocks never touch
TIMES = [(dt.datetime(2000, 1, 1, 8, tzinfo=dt.UTC) + i * SPACING).time() for i in range(12)]   # 08:00 ... 16:15
HISTORY_DAYS = 730
PATIENTS = 3000
CHUNK = 50_000
COLUMNS = ("organisation_id", "patient_id", "site_id", "room_id", "physician_id", "procedure_code", "start_at", "end_at",
           "block_end_at", "region", "side", "levels", "sedation", "status", "needs_reschedule",
           "screening", "warnings", "medication_holds", "preparation", "ical_sequence", "created_at", "updated_at", "version")


def bench_organisation() -> Organisation:
    """The benchmark's own organisation (its sites and patients), created once."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.code == "bench"))
    if org is None:
        org = Organisation(code="bench", name="Bench organisation", country="FR")
        db.session.add(org)
        db.session.flush()
    return org


def ensure_site(code: str, *, timezone: str = "Europe/Paris", country: str = "FR", today: dt.date) -> Site:
    """The site with its 6 physicians, their hours and 4 rooms (created once)."""
    site = db.session.execute(sa.select(Site).where(Site.code == code)).scalar_one_or_none()
    if site is not None:
        return site
    site = Site(organisation=bench_organisation(), code=code, name=f"Bench {code}", timezone=timezone, country=country, language="en",
                policy="fr" if country == "FR" else "us")
    site.rooms = [Room(name=f"Room {i + 1}", modalities=["fluoroscopy", "ct", "ultrasound"]) for i in range(ROOMS)]
    db.session.add(site)
    db.session.flush()
    for i in range(PHYSICIANS):
        user = create_user(f"dr{i + 1}@{code}.bench", f"Dr Bench {i + 1}", Role.PHYSICIAN, None, [site], "en")
        for weekday in range(5):
            db.session.add(WorkingHours(physician_id=user.id, site_id=site.id, weekday=weekday,
                                        start_time=dt.time(8), end_time=dt.time(17),
                                        valid_from=today - dt.timedelta(days=HISTORY_DAYS + 7)))
    db.session.flush()
    return site


def ensure_patients(count: int = PATIENTS) -> list[int]:
    """Bench patients (e-mail at patients.bench), created in one bulk insert when missing."""
    ids = list(db.session.execute(sa.select(Patient.id).where(Patient.email.like("%@patients.bench"))
                                  .order_by(Patient.id)).scalars())
    if len(ids) >= count:
        return ids[:count]
    org_id = bench_organisation().id
    rows = [dict(organisation_id=org_id, first_name=f"P{i}", last_name=f"Bench{i}", birth_date=dt.date(1950 + i % 40, 1 + i % 12, 1 + i % 28),
                 search_name=fold(f"P{i} Bench{i}"), email=f"p{i}@patients.bench", language="en" if i % 2 else "fr")
            for i in range(len(ids), count)]
    db.session.execute(sa.insert(Patient), rows)
    return ensure_patients(count)


def _working_days(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _site_parts(site: Site) -> tuple[list[int], list[int]]:
    physicians = list(db.session.execute(sa.select(user_sites.c.user_id).where(user_sites.c.site_id == site.id)
                                         .order_by(user_sites.c.user_id)).scalars())
    rooms = list(db.session.execute(sa.select(Room.id).where(Room.site_id == site.id).order_by(Room.id)).scalars())
    return physicians, rooms


def _cells(site: Site, days: list[dt.date]):
    """(start, physician, room) for every cell of the site over these days, in order."""
    physicians, rooms = _site_parts(site)
    tz = site.tz
    for day in days:
        for t_index, time_of_day in enumerate(TIMES):
            start = local_to_utc(day, time_of_day, tz)
            for r_index, room in enumerate(rooms):
                yield start, physicians[(t_index + r_index + day.toordinal()) % len(physicians)], room


def _row(site: Site, cell, patient: int, status: str, now: dt.datetime) -> tuple:
    start, physician, room = cell
    end = start + dt.timedelta(minutes=30)
    return (site.organisation_id, patient, site.id, room, physician, PROCEDURE, start, end, end + dt.timedelta(minutes=site.turnover_minutes),
            "lumbar", "left", "[]", False, status, False, "{}", "[]", "[]", "[]", 0, now, now, 1)


def _write(rows: list[tuple]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        raw = db.session.connection().connection.driver_connection
        if raw is None:
            raise RuntimeError("no open PostgreSQL connection to COPY into")
        with raw.cursor() as cur, cur.copy(f"COPY appointments ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    table = Appointment.__table__
    db.session.execute(table.insert(), [
        {**dict(zip(COLUMNS, row, strict=True)), "levels": [], "screening": {}, "warnings": [], "medication_holds": [],
         "preparation": []} for row in rows])


def _count(site_ids: list[int], before: dt.datetime) -> int:
    return db.session.execute(sa.select(sa.func.count(Appointment.id)).where(
        Appointment.site_id.in_(site_ids), Appointment.start_at < before)).scalar_one()


def fill_history(code: str, total: int, today: dt.date, echo=click.echo) -> int:
    """Make the history of the site and its history sites reach `total` rows; returns rows added."""
    now = utcnow()
    first = today - dt.timedelta(days=HISTORY_DAYS)
    days = _working_days(first, today - dt.timedelta(days=1))
    patients = ensure_patients()
    capacity = len(days) * len(TIMES) * ROOMS
    sites = [ensure_site(code, today=today)]
    sites += [ensure_site(f"{code}-h{i:02d}", today=today) for i in range(1, -(-total // capacity))]
    start_of_today = local_to_utc(today, dt.time(0), sites[0].tz)
    have = _count([s.id for s in sites], start_of_today)
    added, started, rows = 0, time.monotonic(), []
    for s_index, site in enumerate(sites):
        if have >= (s_index + 1) * capacity or total <= s_index * capacity:
            continue
        skip = max(0, have - s_index * capacity)
        for k, cell in enumerate(_cells(site, days)):
            index = s_index * capacity + k
            if k < skip:
                continue
            if index >= total:
                break
            rows.append(_row(site, cell, patients[index % len(patients)], "completed", now))
            if len(rows) >= CHUNK:
                _write(rows)
                added += len(rows)
                rows = []
                echo(f"  {have + added:>9,} / {total:,} appointments ({added / (time.monotonic() - started):,.0f}/s)")
    _write(rows)
    return added + len(rows)


def fill_future(code: str, days: int, share: float, today: dt.date) -> int:
    """Book `share` of the site's cells over the next `days` days, once (skipped if any exist)."""
    site = ensure_site(code, today=today)
    tomorrow = today + dt.timedelta(days=1)
    if db.session.execute(sa.select(Appointment.id).where(
            Appointment.site_id == site.id, Appointment.start_at >= local_to_utc(tomorrow, dt.time(0), site.tz))
            .limit(1)).first():
        return 0
    patients, now, rows = ensure_patients(), utcnow(), []
    step = max(1, round(1 / share)) if share > 0 else 0
    if not step:
        return 0
    for k, cell in enumerate(_cells(site, _working_days(tomorrow + dt.timedelta(days=1), today + dt.timedelta(days=days)))):
        if k % step == 0:
            rows.append(_row(site, cell, patients[-1 - (k // step) % len(patients)], "booked", now))
    _write(rows)
    return len(rows)


@command("seed-scale")
@click.option("--site", "code", default="bench", show_default=True, help="Code of the benchmark site.")
@click.option("--appointments", type=int, default=50_000, show_default=True,
              help="Past appointments to hold in total (the site, then its history sites).")
@click.option("--future-days", type=int, default=120, show_default=True)
@click.option("--future-share", type=float, default=0.4, show_default=True,
              help="Share of the site's future cells booked (once).")
def seed_scale(code: str, appointments: int, future_days: int, future_share: float) -> None:
    """Fill a benchmark site (6 physicians, 4 rooms) with N appointments over two years."""
    started = time.monotonic()
    today = utcnow().date()
    with unit_of_work():
        ensure_site(code, today=today)
    with unit_of_work():
        added = fill_history(code, appointments, today)
        future = fill_future(code, future_days, future_share, today)
        # The rows went in by COPY, past the session's listeners: the sites' stamps are bumped here.
        stamps.bump(db.session, db.session.execute(sa.select(Site.id).where(
            sa.or_(Site.code == code, Site.code.like(f"{code}-h%")))).scalars())
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE appointments"))
            conn.commit()
    click.echo(f"seed-scale {code}: {added:,} past and {future:,} future appointments added "
               f"in {time.monotonic() - started:.1f}s")
    click.echo(json.dumps({"site": code, "added": added, "future": future}))

