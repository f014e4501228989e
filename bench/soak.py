"""`make soak`: the clinic under mixed load with faults on PostgreSQL, then integrity checks; one table.

Creates its own database (SOAK_DATABASE_URL, default clinic_soak on 127.0.0.1:5432; dropped and
created again), migrates it and seeds one site (6 physicians, 4 rooms). Then, for SOAK_MINUTES
(default 20): gunicorn with 3 gthread workers, two dispatchers (`flask clinic scheduler`, every 5 s)
and an SMTP server (aiosmtpd, in this process, 20 ms a message) on free loopback ports; SOAK_CLIENTS
(default 6) clients doing availability, registrations, bookings (some rounds of 4 at one start,
half of them for one patient), cancels, reschedules, a reschedule racing a cancel, check-ins and
reads. Faults: a worker killed with SIGKILL every 5 minutes (once at a third of a shorter run), a
dispatcher killed with SIGKILL and restarted, the SMTP server down for a minute (a tenth of a
shorter run). RSS of every process every 30 s. After a drain of the outbox: overlapping
physicians, rooms and patients; due reminders not sent, skipped or cancelled; Message-IDs; mail
sent after a cancel, a reschedule or the appointment's start. Every loop is bounded in time.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from email import message_from_bytes, policy
from pathlib import Path

import psycopg
import requests
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, VENV_BIN, env_for, flask, free_port, pct  # noqa: E402
from run import conninfo, recreate, token  # noqa: E402

URL = os.environ.get("SOAK_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/clinic_soak")
MINUTES = float(os.environ.get("SOAK_MINUTES", "20"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "6"))
THINK = float(os.environ.get("SOAK_THINK_SECONDS", "0.2"))
SITE = "soak"
PROCEDURE = "esi-interlaminar"
RSS_EVERY = 30.0
STARTED = time.monotonic()


def now_s() -> float:
    return time.monotonic() - STARTED


# ---------------------------------------------------------------- the SMTP server


class Mailbox:
    """aiosmtpd handler: notes each message's row, Message-ID and arrival (UTC); SMTP_DELAY each."""

    def __init__(self, delay: float = 0.02):
        self.delay = delay
        self.got: list[tuple[int | None, str, dt.datetime]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        row = msg.get("X-Clinic-Reminder")
        with self.lock:
            self.got.append((int(row) if row else None, str(msg.get("Message-ID", "")), dt.datetime.now(dt.UTC)))
        return "250 OK"


class Smtp:
    def __init__(self):
        self.port = free_port()
        self.box = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


# ---------------------------------------------------------------- processes


class Processes:
    """gunicorn (3 workers) and two dispatchers; every one started here is stopped here, by pid."""

    def __init__(self, env: dict):
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.master: subprocess.Popen | None = None
        self.dispatchers: dict[str, subprocess.Popen] = {}
        self.log = open(ROOT / "instance" / "soak-processes.log", "a")  # noqa: SIM115 (closed in stop)

    def start(self) -> None:
        self.master = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--workers", "3", "--worker-class", "gthread", "--threads", "4",
             "--log-level", "warning", "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)
        for name in ("d1", "d2"):
            self.start_dispatcher(name)

    def start_dispatcher(self, name: str) -> None:
        self.dispatchers[name] = subprocess.Popen(
            [str(VENV_BIN / "flask"), "--app", "wsgi", "clinic", "scheduler", "--worker-id", name],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log)

    def workers(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.master.pid}/task/{self.master.pid}/children").read_text().split()
        except OSError:
            return []
        return [int(pid) for pid in children]

    def wait(self, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.base + "/login", timeout=5)
                if len(self.workers()) == 3:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        for proc in [*self.dispatchers.values(), self.master]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in [*self.dispatchers.values(), self.master]:
            if proc is None:
                continue
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        self.log.close()


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- the load


class Load:
    def __init__(self, base: str, headers: dict, until: float):
        self.base, self.headers, self.until = base, headers, until
        self.results: dict[str, list[tuple[int, float, str]]] = defaultdict(list)
        self.patients: list[int] = []
        self.booked: list[int] = []
        self.lock = threading.Lock()
        self.rng = random.Random(18)  # noqa: S311 (a repeatable load mix, not a secret)
        self.days = self._weekdays(10)

    @staticmethod
    def _weekdays(count: int) -> list[dt.date]:
        day, out = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2), []
        while len(out) < count:
            if day.weekday() < 5:
                out.append(day)
            day += dt.timedelta(days=1)
        return out

    def call(self, session: requests.Session, op: str, method: str, path: str, **kw) -> tuple[int, dict]:
        t0 = time.perf_counter()
        try:
            r = session.request(method, self.base + path, headers=self.headers, timeout=60, **kw)
            status, body = r.status_code, (r.json() if r.content and r.headers.get("Content-Type", "").startswith(
                "application/json") else {})
        except (requests.RequestException, ValueError):
            status, body = 0, {}
        ms = (time.perf_counter() - t0) * 1000
        code = (body.get("error") or {}).get("code", "") if isinstance(body, dict) else ""
        with self.lock:
            self.results[op].append((status, ms, code))
        return status, body

    def register(self, s: requests.Session) -> None:
        n = self.rng.randrange(10**9)
        status, body = self.call(s, "POST /patients", "POST", "/api/v1/patients", json={
            "first_name": f"Soak{n}", "last_name": f"Patient{n}", "birth_date": "1965-04-03",
            "email": f"soak{n}@patients.soak", "language": self.rng.choice(("fr", "en")), "location": SITE})
        if status == 201:
            with self.lock:
                self.patients.append(body["id"])

    def free(self, s: requests.Session, days: int = 1) -> list[dict]:
        day = self.rng.choice(self.days)
        status, body = self.call(s, f"GET /availability days={days}", "GET", "/api/v1/availability", params={
            "location": SITE, "procedure": PROCEDURE, "date": day.isoformat(), "days": days})
        return body.get("slots", []) if status == 200 else []

    def patient(self) -> int | None:
        with self.lock:
            return self.rng.choice(self.patients) if self.patients else None

    def appointment(self, take: bool = False) -> int | None:
        with self.lock:
            if not self.booked:
                return None
            i = self.rng.randrange(len(self.booked))
            return self.booked.pop(i) if take else self.booked[i]

    def book(self, s: requests.Session, slot: dict, patient: int, op: str = "POST /appointments") -> int:
        status, body = self.call(s, op, "POST", "/api/v1/appointments", json={
            "patient_id": patient, "location": SITE, "procedure": PROCEDURE, "start": slot["start"]})
        if status == 201:
            with self.lock:
                self.booked.append(body["id"])
        return status

    def contested(self, s: requests.Session) -> None:
        """Four bookings of one start at once: for one patient (one 201, patient_busy), or four."""
        slots, patient = self.free(s), self.patient()
        if not slots or patient is None:
            return
        slot = self.rng.choice(slots)
        one = self.rng.random() < 0.5
        patients = [patient] * 4 if one else [self.patient() for _ in range(4)]
        op = "POST /appointments (contested, one patient)" if one else "POST /appointments (contested)"
        barrier = threading.Barrier(4, timeout=30)

        def go(p: int) -> None:
            with requests.Session() as own:
                barrier.wait()
                self.book(own, slot, p, op)

        threads = [threading.Thread(target=go, args=(p,)) for p in patients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)

    def reschedule(self, s: requests.Session) -> None:
        appt, slots = self.appointment(), self.free(s)
        if appt and slots:
            self.call(s, "POST …/reschedule", "POST", f"/api/v1/appointments/{appt}/reschedule",
                      json={"start": self.rng.choice(slots)["start"]})

    def cancel(self, s: requests.Session) -> None:
        appt = self.appointment(take=True)
        if appt:
            self.call(s, "POST …/cancel", "POST", f"/api/v1/appointments/{appt}/cancel", json={"reason": "soak"})

    def race(self, s: requests.Session) -> None:
        """A reschedule and a cancel of one appointment at once: 200 and 409, never a 5xx."""
        appt, slots = self.appointment(take=True), self.free(s)
        if not appt or not slots:
            return
        start = self.rng.choice(slots)["start"]
        barrier = threading.Barrier(2, timeout=30)

        def go(kind: str) -> None:
            with requests.Session() as own:
                barrier.wait()
                if kind == "cancel":
                    self.call(own, "race: cancel", "POST", f"/api/v1/appointments/{appt}/cancel", json={"reason": "race"})
                else:
                    self.call(own, "race: reschedule", "POST", f"/api/v1/appointments/{appt}/reschedule",
                              json={"start": start})

        threads = [threading.Thread(target=go, args=(k,)) for k in ("cancel", "reschedule")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)

    def step(self, s: requests.Session) -> None:
        r = self.rng.random()
        if r < 0.30:
            self.free(s, self.rng.choice((1, 1, 7)))
        elif r < 0.38:
            self.register(s)
        elif r < 0.52:
            slots, patient = self.free(s), self.patient()
            if slots and patient:
                self.book(s, self.rng.choice(slots), patient)
        elif r < 0.56:
            self.contested(s)
        elif r < 0.63:
            self.cancel(s)
        elif r < 0.70:
            self.reschedule(s)
        elif r < 0.72:
            self.race(s)
        elif r < 0.75:
            appt = self.appointment()
            if appt:
                self.call(s, "POST …/check-in", "POST", f"/api/v1/appointments/{appt}/check-in")
        elif r < 0.90:
            appt = self.appointment()
            if appt:
                self.call(s, "GET /appointments/{id}", "GET", f"/api/v1/appointments/{appt}")
        else:
            patient = self.patient()
            if patient:
                self.call(s, "GET /patients/{id}", "GET", f"/api/v1/patients/{patient}")

    def client(self) -> None:
        with requests.Session() as s:
            while time.monotonic() < self.until:
                self.step(s)
                time.sleep(self.rng.uniform(0, 2 * THINK))


# ---------------------------------------------------------------- faults and memory


def faults(procs: Processes, smtp: Smtp, begin: float, total: float, stop: threading.Event, log: list[str]) -> None:
    """The fault schedule, scaled to the run: worker kills, a dispatcher killed and restarted, SMTP down."""
    kills = list(range(300, int(total), 300)) or [int(total / 3)]
    events = [(t, "kill worker") for t in kills]
    events += [(total * 0.25, "kill dispatcher"), (total * 0.25 + min(30.0, total * 0.1), "restart dispatcher")]
    events += [(total * 0.5, "smtp down"), (total * 0.5 + min(60.0, total * 0.1), "smtp up")]
    for at, what in sorted(events):
        if stop.wait(max(0.0, begin + at - now_s())):
            return
        if what == "kill worker" and procs.workers():
            pid = procs.workers()[0]
            os.kill(pid, signal.SIGKILL)
            log.append(f"{now_s():6.0f}s  worker {pid} killed (SIGKILL)")
        elif what == "kill dispatcher":
            procs.dispatchers["d2"].kill()
            procs.dispatchers["d2"].wait(10)
            log.append(f"{now_s():6.0f}s  dispatcher d2 killed (SIGKILL)")
        elif what == "restart dispatcher":
            procs.start_dispatcher("d2")
            log.append(f"{now_s():6.0f}s  dispatcher d2 restarted")
        elif what == "smtp down":
            smtp.stop()
            log.append(f"{now_s():6.0f}s  SMTP server stopped")
        elif what == "smtp up":
            smtp.start()
            log.append(f"{now_s():6.0f}s  SMTP server started")


def memory(procs: Processes, stop: threading.Event, samples: dict[str, list[tuple[float, float]]]) -> None:
    while True:
        pids = {f"worker {pid}": pid for pid in procs.workers()}
        pids["master"] = procs.master.pid
        pids.update({f"dispatcher {n} ({p.pid})": p.pid for n, p in procs.dispatchers.items()})
        pids["load + SMTP (this process)"] = os.getpid()
        for name, pid in pids.items():
            mb = rss_mb(pid)
            if mb is not None:
                samples[name].append((now_s(), mb))
        if stop.wait(RSS_EVERY):
            return


# ---------------------------------------------------------------- checks


def drain(conn: psycopg.Connection, limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        left = conn.execute("SELECT count(*) FROM reminders WHERE (status IN ('planned', 'retrying') AND "
                            "next_attempt_at <= now()) OR status = 'sending'").fetchone()[0]
        conn.commit()
        if not left:
            return
        time.sleep(2)


OVERLAP = """SELECT count(*) FROM appointments a JOIN appointments b ON a.{col} = b.{col} AND a.id < b.id
  AND a.start_at < b.{end} AND b.start_at < a.{end}
  WHERE a.status IN ('booked', 'checked_in', 'in_procedure') AND b.status IN ('booked', 'checked_in', 'in_procedure')"""


def checks(conn: psycopg.Connection, got: list[tuple[int | None, str, dt.datetime]], ended: dt.datetime
           ) -> list[tuple[str, int, str]]:
    out = []
    for col, end in (("physician_id", "block_end_at"), ("room_id", "block_end_at"), ("patient_id", "end_at")):
        n = conn.execute(OVERLAP.format(col=col, end=end)).fetchone()[0]
        out.append((f"overlapping active appointments, same {col.split('_')[0]}", n, ""))
    rows = dict(conn.execute("SELECT status::text, count(*) FROM reminders WHERE send_at <= %s GROUP BY 1",
                             (ended,)).fetchall())
    stuck = sum(rows.get(s, 0) for s in ("planned", "sending", "failed"))
    out.append(("due reminders not sent, skipped or cancelled (planned/sending/failed)", stuck,
                ", ".join(f"{k} {v}" for k, v in sorted(rows.items()))))
    per_row = Counter(row for row, _, _ in got if row is not None)
    ids = Counter(mid for _, mid, _ in got)
    sent = dict(conn.execute("SELECT id, message_id FROM reminders WHERE status = 'sent'").fetchall())
    out.append(("Message-IDs received more than once", sum(1 for n in ids.values() if n > 1), ""))
    out.append(("rows received more than once", sum(1 for n in per_row.values() if n > 1),
                "at least once: a crash between acceptance and commit"))
    out.append(("rows marked sent but never received", sum(1 for r in sent if r not in per_row), ""))
    changes = defaultdict(list)
    for appt, at in conn.execute("SELECT appointment_id, at FROM appointment_changes "
                                 "WHERE action IN ('cancelled', 'rescheduled')").fetchall():
        changes[appt].append(at)
    info = {r[0]: r[1:] for r in conn.execute(
        "SELECT r.id, r.appointment_id, r.kind, r.created_at, a.start_at, r.payload->>'phase' FROM reminders r "
        "LEFT JOIN appointments a ON a.id = r.appointment_id").fetchall()}
    after_change = after_start = 0
    for row, _, received in got:
        if row not in info:
            continue
        appt, kind, created, start, phase = info[row]
        if kind != "cancellation" and any(created < at < received for at in changes.get(appt, ())):
            after_change += 1
        if phase == "before" and start is not None and received > start:
            after_start += 1
    out.append(("messages received after their appointment's cancel or reschedule", after_change, ""))
    out.append(("before-procedure messages received after the start", after_start, ""))
    conn.commit()
    return out


# ---------------------------------------------------------------- the table


def table(load: Load, fault_log: list[str], samples: dict, found: list, minutes: float, total: int) -> str:
    lines = [f"# Soak: {minutes:g} minutes, {CLIENTS} clients, {total:,} requests "
             f"({total / max(1.0, minutes * 60):.1f}/s)", "",
             "| what | n | statuses | p50 / p95 / p99 / max ms |", "|---|---|---|---|"]
    for op in sorted(load.results):
        res = load.results[op]
        statuses = Counter(f"{s} {c}".strip() for s, _, c in res)
        ms = [m for _, m, _ in res]
        lines.append(f"| {op} | {len(res):,} | {', '.join(f'{k}: {v}' for k, v in statuses.most_common())} | "
                     f"{pct(ms, 50):.0f} / {pct(ms, 95):.0f} / {pct(ms, 99):.0f} / {max(ms):.0f} |")
    five = sum(1 for res in load.results.values() for s, _, _ in res if s >= 500)
    lines.append(f"| **5xx in all** | {five} | | |")
    lines += ["", "| fault | |", "|---|---|", *[f"| {e} | |" for e in fault_log]]
    lines += ["", "| integrity check | failures | notes |", "|---|---|---|",
              *[f"| {name} | {n} | {note} |" for name, n, note in found]]
    lines += ["", "| process RSS (MB, every 30 s) | first | +5 min | last | growth after +5 min |", "|---|---|---|---|---|"]
    for name, series in sorted(samples.items()):
        first, last = series[0][1], series[-1][1]
        five_min = next((mb for t, mb in series if t - series[0][0] >= 300), None)
        base = five_min if five_min is not None else first
        lines.append(f"| {name} | {first:.1f} | {'' if five_min is None else f'{five_min:.1f}'} | {last:.1f} | "
                     f"{(last - base) / base * 100:+.1f}% |")
    return "\n".join(lines)


def main() -> int:
    total = MINUTES * 60
    recreate(URL)
    smtp = Smtp()
    env = env_for(URL, SMTP_PORT=str(smtp.port), SMTP_STARTTLS="0", DISPATCH_INTERVAL_SECONDS="5",
                  DISPATCH_BACKOFF_BASE_SECONDS="10", DISPATCH_CLAIM_TIMEOUT_SECONDS="60")
    env["SMTP_HOST"] = "127.0.0.1"  # after env_for, which drops any SMTP_HOST of the caller's
    (ROOT / "instance").mkdir(exist_ok=True)
    flask(env, "db", "upgrade")
    flask(env, "clinic", "seed-scale", "--site", SITE, "--appointments", "100", "--future-share", "0")
    with psycopg.connect(conninfo(URL)) as conn:  # mail goes out at any hour during the run
        conn.execute("UPDATE sites SET quiet_start = '03:00', quiet_end = '03:01' WHERE code = %s", (SITE,))
    headers = token(env)
    smtp.start()
    procs = Processes(env)
    stop = threading.Event()
    fault_log: list[str] = []
    samples: dict[str, list[tuple[float, float]]] = defaultdict(list)
    try:
        procs.start()
        procs.wait()
        load = Load(procs.base, headers, time.monotonic() + total)
        with requests.Session() as s:
            for _ in range(40):
                load.register(s)
        helpers = [threading.Thread(target=faults, args=(procs, smtp, now_s(), total, stop, fault_log)),
                   threading.Thread(target=memory, args=(procs, stop, samples))]
        for t in helpers:
            t.start()
        clients = [threading.Thread(target=load.client) for _ in range(CLIENTS)]
        for t in clients:
            t.start()
        for t in clients:
            t.join(total + 120)
        ended = dt.datetime.now(dt.UTC)
        stop.set()
        for t in helpers:
            t.join(60)
        if smtp.controller is None:
            smtp.start()
        with psycopg.connect(conninfo(URL)) as conn:
            drain(conn, 90)
            found = checks(conn, list(smtp.box.got), ended)
    finally:
        stop.set()
        procs.stop()
        smtp.stop()
    requests_made = sum(len(v) for v in load.results.values())
    print(table(load, fault_log, samples, found, MINUTES, requests_made), flush=True)
    five = sum(1 for res in load.results.values() for s, _, _ in res if s >= 500)
    if not load.patients:   # nothing registered means nothing booked: the run proved nothing
        print("FAILED: no patient could be registered, so no booking, cancel or reminder was exercised", flush=True)
        return 1
    return 1 if five or any(n for name, n, _ in found if "more than once" not in name) else 0


if __name__ == "__main__":
    sys.exit(main())
