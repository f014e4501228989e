"""Scale-out invariants with real processes: two app servers and two reminder dispatchers on one
PostgreSQL database, and a real SMTP server in this process.

Bookings race through both servers at once: a contested slot is won by exactly one client (the
others get 409 slot_unavailable), distinct slots are all booked, overlapping starts give only
201 or 409, never a server error, and the database holds no two active appointments overlapping
for a physician or a room. Then the reminders of those bookings are made due and two dispatcher
processes drain them together: every row arrives once at the SMTP server and is marked sent once.

The servers run on the suite's clock (tests/clock.py), and the slots are chosen from their own availability answer.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from bench.common import barrier_run
from clinic.extensions import db
from clinic.reminders.models import Reminder, ReminderStatus
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment
from tests.processes import dispatcher
from tests.smtp import SMTPServer

pytestmark = pytest.mark.postgres

PROCEDURE = "esi-interlaminar"
CONTESTED = 6    # slots that many clients race for
RACERS = 8       # clients per contested slot, half on each server
DISTINCT = 12    # slots booked by one client each
STORM = 12       # starts 15 minutes apart on a day of their own: every block overlaps its neighbours
REQUEST_TIMEOUT = 60
PARIS = ZoneInfo("Europe/Paris")


# ---------------------------------------------------------------- choosing the slots


def free_slots(server, committed) -> list[dict]:
    """The site's free slots over three weeks from the day after tomorrow (Paris), as a server says."""
    first = (dt.datetime.now(PARIS) + dt.timedelta(days=2)).date()
    response = requests.get(f"{server.url}/api/v1/availability", headers=committed["headers"], timeout=REQUEST_TIMEOUT,
                            params={"location": committed["code"], "procedure": PROCEDURE, "date": first.isoformat(),
                                    "days": 21})
    assert response.status_code == 200, response.text[:500]
    return response.json()["slots"]


def plan(slots: list[dict], committed) -> tuple[list[tuple[str, int]], list[tuple[str, int | None]]]:
    """Windows (start, physician) whose blocks overlap no other window's, rotating the physicians, on
    the first free days; then the storm, STORM consecutive starts on a later day, every other one
    naming a physician. Apart from the storm no booking can meet another, so each contested window
    has exactly one winner and each distinct window is booked."""
    physicians = committed["physicians"]
    offered = {(s["start"], s["physician_id"]) for s in slots}
    by_day: dict[str, list[dict]] = defaultdict(list)
    for s in sorted(slots, key=lambda s: s["start"]):
        by_day[s["start"][:10]].append(s)
    windows: list[tuple[str, int]] = []
    storm: list[tuple[str, int | None]] = []
    turnover = dt.timedelta(minutes=committed["turnover"])
    for day_slots in by_day.values():
        if len(windows) < CONTESTED + DISTINCT:
            busy_until = None
            for s in day_slots:
                start = dt.datetime.fromisoformat(s["start"])
                doctor = physicians[len(windows) % len(physicians)]
                if (busy_until is None or start >= busy_until) and (s["start"], doctor) in offered:
                    windows.append((s["start"], doctor))
                    busy_until = dt.datetime.fromisoformat(s["end"]) + turnover
                    if len(windows) == CONTESTED + DISTINCT:
                        break
            continue
        starts = sorted({s["start"] for s in day_slots if (s["start"], physicians[0]) in offered})[:STORM]
        if len(starts) == STORM:
            storm = [(start, physicians[0] if i % 2 else None) for i, start in enumerate(starts)]
            break
    assert len(windows) == CONTESTED + DISTINCT and storm, "not enough free days in three weeks"
    return windows, storm


# ---------------------------------------------------------------- firing the bookings


def fire(servers, committed, requests_planned: list[dict]) -> list[tuple[int, str, dict]]:
    """All bookings at once from threads, each to its server; (status, error code, body) in order."""
    patients = committed["patients"]
    assert len(requests_planned) <= len(patients)

    def book(i: int) -> tuple[int, str, dict]:
        wanted = requests_planned[i]
        body = {"patient_id": patients[i], "location": committed["code"], "procedure": PROCEDURE,
                "start": wanted["start"], "region": "lumbar", "side": "left"}
        if wanted["physician"] is not None:
            body["physician_id"] = wanted["physician"]
        try:
            response = requests.post(f"{servers[wanted['server']].url}/api/v1/appointments", json=body,
                                     headers=committed["headers"], timeout=REQUEST_TIMEOUT)
        except requests.RequestException as err:  # a dropped connection is a failure to report
            return 0, f"{type(err).__name__}: {err}", {}
        try:
            payload = response.json()
        except ValueError:
            payload = {"raw": response.text[:300]}
        return response.status_code, (payload.get("error") or {}).get("code", ""), payload

    answers = barrier_run(book, len(requests_planned), timeout=3 * REQUEST_TIMEOUT)
    assert None not in answers, f"{answers.count(None)} bookings never answered"
    return answers


def overlapping_pairs(site_id: int) -> list[tuple]:
    """Active appointments of the site sharing a physician or a room at overlapping times."""
    a, b = aliased(Appointment), aliased(Appointment)
    return db.session.execute(
        sa.select(a.id, b.id, a.physician_id, b.physician_id, a.room_id, b.room_id).where(
            a.site_id == site_id, b.site_id == site_id, a.id < b.id,
            a.status.in_(ACTIVE_STATUSES), b.status.in_(ACTIVE_STATUSES),
            sa.or_(a.physician_id == b.physician_id, a.room_id == b.room_id),
            a.start_at < b.block_end_at, b.start_at < a.block_end_at)).all()


# ---------------------------------------------------------------- the reminders


def make_due(site_id: int) -> list[int]:
    """Every reminder row of the site is planned and unsent; move them all into the past."""
    t = Reminder.__table__.c
    statuses = dict(db.session.execute(sa.select(t.status, sa.func.count()).where(t.site_id == site_id)
                                       .group_by(t.status)).all())
    assert set(statuses) == {ReminderStatus.PLANNED}, statuses
    past = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    ids = list(db.session.execute(sa.update(Reminder.__table__).where(t.site_id == site_id)
                                  .values(send_at=past, next_attempt_at=past).returning(t.id)).scalars())
    db.session.commit()
    return sorted(ids)


def run_dispatchers(database_url: str, port: int, tmp_path, timeout: float = 90) -> list[tuple[int, str, str]]:
    """Two `send-due --all` processes at once, small batches so that both take turns; killed if late."""
    procs = []
    try:
        for n in (1, 2):
            procs.append(dispatcher(database_url, port, f"scale-{n}", tmp_path, batch=5))
        deadline = time.monotonic() + timeout
        outputs = [p.communicate(timeout=max(1.0, deadline - time.monotonic())) for p in procs]
        return [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)


# ---------------------------------------------------------------- the test


def test_two_app_servers_and_two_dispatchers_keep_the_invariants(app, database_url, committed, app_servers, tmp_path):
    windows, storm = plan(free_slots(app_servers[0], committed), committed)
    contested, distinct = windows[:CONTESTED], windows[CONTESTED:]
    planned = [{"group": ("contested", start), "start": start, "physician": doc, "server": r % 2}
               for start, doc in contested for r in range(RACERS)]
    planned += [{"group": ("distinct", start), "start": start, "physician": doc, "server": i % 2}
                for i, (start, doc) in enumerate(distinct)]
    planned += [{"group": ("storm", None), "start": start, "physician": doc, "server": i % 2}
                for i, (start, doc) in enumerate(storm)]

    answers = fire(app_servers, committed, planned)

    # Only 201 or 409 slot_unavailable, from both servers; nothing else, above all no 5xx.
    unexpected = [(p, a) for p, a in zip(planned, answers, strict=True) if a[0] != 201 and a[:2] != (409, "slot_unavailable")]
    assert not unexpected, unexpected
    by_group: dict = defaultdict(list)
    for p, (status, _code, body) in zip(planned, answers, strict=True):
        by_group[p["group"]].append((status, body, p))
    for start, _doc in contested:
        statuses = Counter(status for status, _b, _p in by_group[("contested", start)])
        assert statuses == {201: 1, 409: RACERS - 1}, (start, statuses)
    assert all(status == 201 for start, _doc in distinct for status, _b, _p in by_group[("distinct", start)])
    storm_statuses = Counter(status for status, _b, _p in by_group[("storm", None)])
    assert storm_statuses[201] >= 1, storm_statuses
    served = Counter(p["server"] for p, a in zip(planned, answers, strict=True) if a[0] == 201)
    assert served[0] and served[1], served  # both servers booked

    # Each 201 is what was asked for, and the database holds exactly those, without overlaps.
    won = {body["id"]: p for p, (status, _c, body) in zip(planned, answers, strict=True) if status == 201}
    with app.app_context():
        rows = db.session.execute(sa.select(Appointment).where(Appointment.site_id == committed["site"])).scalars().all()
        assert {r.id for r in rows} == set(won)
        for row in rows:
            wanted = won[row.id]
            assert row.start_at == dt.datetime.fromisoformat(wanted["start"]), (row.id, row.start_at, wanted)
            assert wanted["physician"] in (None, row.physician_id), (row.id, row.physician_id, wanted)
            assert row.status in ACTIVE_STATUSES
        assert overlapping_pairs(committed["site"]) == []
        confirmations = Counter(db.session.execute(sa.select(Reminder.appointment_id).where(
            Reminder.site_id == committed["site"], Reminder.kind == "confirmation")).scalars())
        assert confirmations == {appointment_id: 1 for appointment_id in won}
        due = make_due(committed["site"])

    # Two dispatcher processes drain the due rows together through the real SMTP server.
    smtp = SMTPServer().start()
    try:
        results = run_dispatchers(database_url, smtp.port, tmp_path)
    finally:
        smtp.stop()
    assert all(code == 0 for code, _out, _err in results), results
    sent_by = [int(out.split("sent=")[1].split()[0]) for _code, out, _err in results]
    assert sum(sent_by) == len(due) and all(sent_by), sent_by  # both took part, none skipped or failed

    assert len(smtp.messages) == len(due), len(smtp.messages)
    received = smtp.recorder.counts()
    assert sorted(received) == due  # none lost, none foreign
    assert set(received.values()) == {1}  # none twice
    message_ids = {int(m["X-Clinic-Reminder"]): m["Message-ID"] for m in smtp.messages}
    with app.app_context():
        t = Reminder.__table__.c
        stored = db.session.execute(sa.select(t.id, t.status, t.attempts, t.message_id, t.sent_at)
                                    .where(t.site_id == committed["site"])).all()
        db.session.commit()
    assert sorted(r.id for r in stored) == due
    assert all(r.status == ReminderStatus.SENT and r.attempts == 1 and r.sent_at is not None for r in stored), \
        [r for r in stored if r.status != ReminderStatus.SENT or r.attempts != 1]
    assert {r.id: r.message_id for r in stored} == message_ids
