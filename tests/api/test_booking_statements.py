"""What a booking costs the database: the SQL statements that POST /api/v1/appointments sends.

A booking through the API's front door (a bearer token, the test client) is counted once the
per-worker caches are warm (a first booking on another slot fills them), as a worker that has
served a while books. It is still screened and has its reminders planned, and its answer is the
contract's appointment.
"""

from __future__ import annotations

import datetime as dt
import os
import re

import sqlalchemy as sa

from clinic.reminders.models import Reminder

# The figures reached (issue 24 asks for at most 12 on PostgreSQL): the token with its user and
# sites (the site is one of them), the patient with medicines, injections and whether they wait,
# the locks with the site's reference stamp, the appointments around the slot, the patient's
# other appointments (steroid history), the INSERTs of the booking (no savepoint around it in a
# request's first run), its history row, its audit event, its manage link and its reminders (one
# statement), and the stamp upsert.
POSTGRES_LIMIT = 11
# SQLite: beside one INSERT per reminder (it inserts them one by one when it needs their ids back, and
# how many reminders a booking plans depends on the date: 7 or 8 here).
SQLITE_LIMIT = 18
SAVEPOINT = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\s+(\S+)\s*$", re.IGNORECASE)


class Statements(list):
    """The statements a worker would send. The test's session runs each of its transactions in a
    savepoint of the test's own (a commit releases it): the outermost savepoint stands for a
    worker's BEGIN and COMMIT, which the drivers send without a cursor, so it is not counted;
    savepoints within it (a guarded write) are."""

    def __init__(self):
        super().__init__()
        self.open: list[str] = []

    def __call__(self, conn, cursor, statement, *args):
        found = SAVEPOINT.match(statement)
        if found:
            verb, name = found.group(1).upper(), found.group(2)
            if verb == "SAVEPOINT":
                self.open.append(name)
                if len(self.open) == 1:
                    return
            else:
                outermost = self.open[:1] == [name]
                if name in self.open:   # released or rolled back to: SQLAlchemy is done with it either way
                    del self.open[self.open.index(name):]
                if outermost:
                    return
        self.append(statement)


def _on_postgres() -> bool:
    return os.environ.get("CLINIC_TEST_DATABASE_URL", "").startswith("postgresql")


def _two_slots(client, headers, days_ahead: int = 7) -> list[dict]:
    """Two slots free at the Paris test site at least an hour apart, from a week ahead."""
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=days_ahead)).date()
    r = client.get(f"/api/v1/availability?location=paris-test&procedure=esi-interlaminar&date={day}&days=14",
                   headers=headers)
    assert r.status_code == 200
    slots = r.get_json()["slots"]
    first = dt.datetime.fromisoformat(slots[0]["start"])
    later = [s for s in slots if dt.datetime.fromisoformat(s["start"]) >= first + dt.timedelta(hours=1)]
    assert later
    return [slots[0], later[0]]


def test_a_booking_costs_few_statements(client, db, paris, make_user, make_patient, api_token):
    make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris])
    headers = api_token(desk)
    first, second = _two_slots(client, headers)
    warm = {"patient_id": make_patient().id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": first["start"], "physician_id": first["physician_id"], "region": "lumbar", "side": "left",
            "levels": ["L4-L5"]}
    assert client.post("/api/v1/appointments", json=warm, headers=headers).status_code == 201

    patient_id = make_patient().id
    booking = {**warm, "patient_id": patient_id, "start": second["start"], "physician_id": second["physician_id"]}
    db.session.commit()     # the test's own transaction is closed: the request's is the outermost
    statements = count = Statements()
    engine = db.session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        r = client.post("/api/v1/appointments", json=booking, headers=headers)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    listing = "\n".join(f"{n:2}. {' '.join(s.split())[:300]}" for n, s in enumerate(statements, 1))
    print(f"\n{len(statements)} statements:\n{listing}")

    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["status"] == "booked" and body["start"] == second["start"] and body["patient_id"] == patient_id
    assert body["location"] == "paris-test" and body["procedure"] == "esi-interlaminar"
    assert body["physician_id"] == second["physician_id"] and body["room"] == second["room"]
    assert body["levels"] == ["L4-L5"] and body["region"] == "lumbar" and body["side"] == "left"
    assert body["preparation"] and body["reminders"]            # screened, and its reminders planned
    stored = db.session.execute(sa.select(Reminder.kind).where(Reminder.appointment_id == body["id"])).scalars().all()
    assert sorted(stored) == sorted(r["kind"] for r in body["reminders"])
    assert client.get(f"/api/v1/appointments/{body['id']}", headers=headers).get_json() == body
    # SQLite has no exclusion constraints: its overlap checks under the write lock stay, and so
    # does the write lock itself (taken first, in a transaction of its own).
    limit = POSTGRES_LIMIT if _on_postgres() else SQLITE_LIMIT + len(stored)
    assert len(statements) <= limit, listing
    if _on_postgres():      # the first run trusts its locks: no savepoint, no lock's own stamp read
        assert not any(SAVEPOINT.match(s) for s in statements), listing
        assert sum("schedule_stamps" in s for s in statements) == 2, listing   # with the locks, and the bump
