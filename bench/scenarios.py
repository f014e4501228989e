"""Booking and reminder benchmarks (called by bench/run.py)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import smtplib
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

import psycopg
import requests
from aiosmtpd.controller import Controller
from common import ROOT, VENV_BIN, barrier_run, free_port


def pick_slots(slots: list[dict], count: int, turnover: int = 10) -> list[dict]:
    """Slots in bands: up to one per room starting together, each with its own physician, and the
    next band only once their blocks (with turnover) are over. The server chooses the rooms, in
    whatever order the requests arrive; within a band every room is free, so no booking meets a
    rival whatever room the others took."""
    rooms = len({slot["room_id"] for slot in slots})
    chosen: list[dict] = []
    band_start = band_end = None
    band: set[int] = set()
    for slot in slots:
        start = dt.datetime.fromisoformat(slot["start"])
        if start == band_start and len(band) < rooms and slot["physician_id"] not in band:
            band.add(slot["physician_id"])
        elif band_end is None or start >= band_end:
            band_start, band = start, {slot["physician_id"]}
            band_end = dt.datetime.fromisoformat(slot["end"]) + dt.timedelta(minutes=turnover)
        else:
            continue
        chosen.append(slot)
        if len(chosen) == count:
            break
    return chosen


def booking_patients(conninfo: str, count: int, site: str) -> list[int]:
    """`count` patients of the site's organisation for the bookings (made once, by COPY)."""
    with psycopg.connect(conninfo) as conn:
        have = conn.execute("SELECT count(*) FROM patients WHERE email LIKE '%%@booking.bench'").fetchone()[0]
        organisation = conn.execute("SELECT organisation_id FROM sites WHERE code = %s", (site,)).fetchone()[0]
        with conn.cursor() as cur, cur.copy("COPY patients (organisation_id, first_name, last_name, birth_date, email,"
                                            " phone, language, conditions, allergies, non_essential_opt_out,"
                                            " created_at) FROM STDIN") as cp:
            for i in range(have, count):
                cp.write_row((organisation, f"B{i}", f"Booking{i}", dt.date(1960, 1, 1), f"b{i}@booking.bench", "",
                              "en", "[]", "[]", False, dt.datetime.now(dt.UTC)))
        conn.commit()
        return [r[0] for r in conn.execute(
            "SELECT id FROM patients WHERE email LIKE '%%@booking.bench' ORDER BY id LIMIT %s", (count,))]


def statements_per_booking(env: dict, headers: dict, bodies: list[dict]) -> dict:
    """One booking's SQL statements, counted in a process of its own on the bench database (bench/count_booking.py)."""
    done = subprocess.run([str(VENV_BIN / "python"), "bench/count_booking.py", json.dumps(bodies)], cwd=ROOT,
                          env={**env, "BENCH_AUTHORIZATION": headers["Authorization"]}, capture_output=True,
                          text=True, timeout=300)
    if done.returncode:
        return {"status": None, "statements": None, "list": [done.stderr.strip()[-300:]]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def bookings(base: str, headers: dict, site: str, conninfo: str, count: int = 1000, clients: int = 20,
             env: dict | None = None) -> dict:
    days = 120
    start = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    r = requests.get(f"{base}/api/v1/availability", params=dict(location=site, procedure="esi-interlaminar",
                     date=start, days=days), headers=headers, timeout=120)
    r.raise_for_status()
    slots = pick_slots(r.json()["slots"], count + 3)   # the last two: the booking whose statements are counted
    patients = booking_patients(conninfo, count + 103, site)
    todo = slots[:count]

    samples: dict[int, str] = {}

    def book(i: int, slot: dict, session: requests.Session) -> int:
        body = {"patient_id": patients[i], "location": site, "procedure": "esi-interlaminar", "start": slot["start"],
                "physician_id": slot["physician_id"], "region": "lumbar", "side": "left"}
        r = session.post(f"{base}/api/v1/appointments", json=body, headers=headers, timeout=60)
        samples.setdefault(r.status_code, r.text[:300])
        return r.status_code

    local = threading.local()

    def job(i: int) -> int:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return book(i, todo[i], local.s)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        codes = list(pool.map(job, range(len(todo))))
    elapsed = time.perf_counter() - t0
    last = slots[count]
    race = barrier_run(lambda i: book(count + i, last, requests.Session()), 100)
    counted = statements_per_booking(env, headers, [
        {"patient_id": patients[count + 100 + k], "location": site, "procedure": "esi-interlaminar",
         "start": slots[count + 1 + k]["start"], "physician_id": slots[count + 1 + k]["physician_id"],
         "region": "lumbar", "side": "left"} for k in (0, 1)]) if env is not None else None
    return {"bookings": len(todo), "created": codes.count(201), "other_codes": sorted(set(codes) - {201}),
            "per_second": codes.count(201) / elapsed, "seconds": elapsed,
            "race_201": race.count(201), "race_409": race.count(409), "race_other": sorted(set(race) - {201, 409}),
            "samples": {k: v for k, v in samples.items() if k != 201}, "statements": counted}


class _Sink:
    def __init__(self):
        self.ids: list[str] = []
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        row = None
        for line in envelope.content.split(b"\r\n"):
            if line.startswith(b"X-Clinic-Reminder:"):
                row = line.split(b":", 1)[1].strip().decode()
                break
            if not line:
                break
        with self.lock:
            self.count += 1
            if row:
                self.ids.append(row)
        return "250 OK"


def _message(i: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "bench@clinic.example", f"p{i}@example.org", "Your appointment"
    msg.set_content("Your appointment is tomorrow at 09:00.\n" * 20)
    return msg


def smtp_baseline(port: int, n: int) -> dict:
    """Bare smtplib loops to the same server: a connection per message (the reminders target's baseline),
    and one connection for all (as a dispatcher pass sends)."""
    t0 = time.perf_counter()
    for i in range(n):
        with smtplib.SMTP("127.0.0.1", port) as s:
            s.send_message(_message(i))
    per_message = n / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as s:
        for i in range(n):
            s.send_message(_message(i))
    one_connection = n / (time.perf_counter() - t0)
    return {"per_connection": per_message, "one_connection": one_connection}


def make_reminders(conninfo: str, site: str, count: int) -> None:
    """`count` day-before reminders due now, over the site's booked appointments, each of which gets
    the manage link a booking makes (the seeded appointments have none, and a message without one
    would take the path of appointments booked before such links existed)."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with psycopg.connect(conninfo) as conn:
        appts = conn.execute(
            "SELECT a.id, a.patient_id, a.site_id, a.organisation_id, l.id IS NOT NULL FROM appointments a "
            "JOIN sites s ON s.id = a.site_id LEFT JOIN manage_links l ON l.appointment_id = a.id "
            "WHERE s.code = %s AND a.status = 'booked' AND a.start_at > now() + interval '2 days' ORDER BY a.id",
            (site,)).fetchall()
        with conn.cursor() as cur, cur.copy("COPY manage_links (token, short_token, appointment_id, patient_id, "
                                            "organisation_id, created_at) FROM STDIN") as cp:
            for a in appts:
                if not a[4]:
                    cp.write_row((secrets.token_urlsafe(24), secrets.token_urlsafe(8), a[0], a[1], a[3], now))
        payload = json.dumps({"phase": "before", "anchor": "start"})
        with conn.cursor() as cur, cur.copy("COPY reminders (organisation_id, appointment_id, patient_id, site_id, kind, essential, "
                                            "language, send_at, next_attempt_at, status, attempts, payload, created_at)"
                                            " FROM STDIN") as cp:
            for i in range(count):
                a = appts[i % len(appts)]
                cp.write_row((a[3], a[0], a[1], a[2], "day_before", True, "en", now, now, "planned", 0, payload, now))
        conn.commit()


def reminders(env: dict, conninfo: str, site: str, count: int = 20_000, baseline_n: int = 2000) -> dict:
    sink = _Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        base = smtp_baseline(port, baseline_n)
        sink.ids.clear()
        make_reminders(conninfo, site, count)
        denv = dict(env, SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
        t0 = time.perf_counter()
        procs = [subprocess.Popen([str(VENV_BIN / "flask"), "--app", "wsgi", "clinic", "send-due", "--all",
                                   "--batch-size", "200", "--worker-id", f"bench-{k}"], cwd=ROOT, env=denv,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in range(2)]
        outs = [p.communicate(timeout=600)[0].strip() for p in procs]
        elapsed = time.perf_counter() - t0
    finally:
        controller.stop()
    with psycopg.connect(conninfo) as conn:
        # The rows made above: the bench site's day-before reminders (the booking bench's own wait at
        # their site for their day; its confirmations, due at once, are sent too but not counted).
        mine = "FROM reminders r JOIN sites s ON s.id = r.site_id WHERE r.kind = 'day_before' AND s.code = %s"
        statuses = dict(conn.execute(f"SELECT r.status::text, count(*) {mine} GROUP BY r.status", (site,)).fetchall())
        wanted = {str(r[0]) for r in conn.execute(f"SELECT r.id {mine}", (site,))}
    ids = [i for i in sink.ids if i in wanted]
    return {"count": count, "seconds": elapsed, "per_second": len(ids) / elapsed, "received": len(ids),
            "others": len(sink.ids) - len(ids),
            "duplicates": len(ids) - len(set(ids)), "sent_rows": statuses.get("sent", 0),
            "lost": len(wanted - set(ids)), "statuses": statuses, "dispatchers": outs, "baseline": base}
