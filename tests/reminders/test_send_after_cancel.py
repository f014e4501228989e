"""A cancel during a dispatch pass over a slow mail server, on PostgreSQL with real commits: the
appointment's pending message goes out before the cancel commits, or never.

The pass reads (and composes) its rows ahead of sending them; a cancel that commits after that
read must still stop the message (the dispatcher re-checks the row holding the appointment FOR
SHARE), and a cancel arriving while the message is being handed over waits for the hand-over.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from clinic.accounts.models import ApiToken, Role, User
from clinic.extensions import db
from clinic.patients.models import Patient
from clinic.reminders import dispatcher
from clinic.reminders.models import Reminder
from clinic.sites.models import Organisation, Room, Site
from tests import factories
from tests.cleanup import purge
from tests.smtp import ROW_HEADER, Recorder, SMTPServer, sending_to

pytestmark = pytest.mark.postgres
DELAY = 0.6  # seconds the mail server takes over each message


class TimedRecorder(Recorder):
    """Also notes when each message's DATA began and when it was accepted (monotonic clock)."""

    def __init__(self, delay: float):
        super().__init__(delay)
        self.began: list[float] = []
        self.accepted: dict[int, float] = {}

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.began.append(time.monotonic())
        answer = await super().handle_DATA(server, session, envelope)
        with self.lock:
            for msg in self.messages:
                self.accepted.setdefault(int(msg[ROW_HEADER]), time.monotonic())
        return answer


@pytest.fixture
def four_due(app):
    """Four booked appointments of four patients in a month, each with one due reminder; a token."""
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        organisation = Organisation(code=f"cancel-{tag}", name="Test group", country="FR")
        site = Site(organisation=organisation, code=f"cancel-{tag}", name="Cancel", timezone="Europe/Paris", country="FR", language="fr",
                    address="1 rue Test", phone="+33 1")
        site.rooms = [Room(name=f"R{n}", modalities=["fluoroscopy"]) for n in range(4)]
        doc = User(email=f"doc-{tag}@test.example", name="Dr Cancel", role=Role.PHYSICIAN, sites=[site])
        desk = User(email=f"desk-{tag}@test.example", name="Desk", role=Role.FRONT_DESK, sites=[site])
        for user in (doc, desk):
            user.set_password("x-long-password-1")
        patients = [Patient(organisation=organisation, first_name="Can", last_name=f"{tag}-{n}", birth_date=dt.date(1970, 1, 1),
                            email=f"cancel-{tag}-{n}@patient.example", language="fr") for n in range(4)]
        db.session.add_all([site, doc, desk, *patients])
        db.session.flush()
        start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=30)
        appts = [factories.appointment(site, patient, start=start + dt.timedelta(hours=n), turnover=10,
                                       room=site.rooms[n], physician=doc, procedure_code="facet-joint", region=None,
                                       side=None) for n, patient in enumerate(patients)]
        due = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        rows = [Reminder(appointment_id=a.id, patient_id=a.patient_id, site_id=site.id, kind="day_before",
                         essential=True, language="fr", send_at=due + dt.timedelta(seconds=n),
                         next_attempt_at=due + dt.timedelta(seconds=n), status="planned", attempts=0,
                         payload={"phase": "before", "anchor": "start"}) for n, a in enumerate(appts)]
        db.session.add_all(rows)
        token, raw = ApiToken.issue(desk, "cancel")
        db.session.add(token)
        db.session.commit()
        made = {"site": site.id, "users": [doc.id, desk.id], "patients": [p.id for p in patients],
                "appointments": [a.id for a in appts], "rows": [r.id for r in rows],
                "headers": {"Authorization": f"Bearer {raw}"}}
    yield made
    with app.app_context():
        purge(site_ids=[made["site"]], user_ids=made["users"], patient_ids=made["patients"])


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_cancel_during_a_slow_pass_never_lets_the_pending_message_out(app, four_due):
    """While the pass sends its first message, appointment 3 is cancelled: its message, already read
    and composed, is not sent. While it sends appointment 2's message, appointment 2 is cancelled:
    the cancel waits for the hand-over, so that message was accepted before the cancel answered."""
    server = SMTPServer()
    server.recorder = TimedRecorder(DELAY)
    server.controller.handler = server.recorder
    server.start()
    counts: list = []

    def run_pass() -> None:
        with app.app_context():
            counts.append(dispatcher.dispatch_once(batch_size=10, worker_id="slow-pass"))

    def cancel(appointment_id: int) -> tuple[int, float]:
        response = app.test_client().post(f"/api/v1/appointments/{appointment_id}/cancel",
                                          json={"reason": "Patient called"}, headers=four_due["headers"])
        return response.status_code, time.monotonic()

    first, second, third, fourth = four_due["rows"]
    try:
        with sending_to(app, server.port):
            thread = threading.Thread(target=run_pass)
            thread.start()
            recorder = server.recorder
            wait_for(lambda: len(recorder.began) >= 1)   # the pass has read its rows and is sending
            third_cancel = cancel(four_due["appointments"][2])
            wait_for(lambda: len(recorder.began) >= 2)   # appointment 2's message is being handed over
            second_cancel = cancel(four_due["appointments"][1])
            thread.join(60)
    finally:
        server.stop()
    assert third_cancel[0] == 200 and second_cancel[0] == 200
    sent = recorder.row_ids()
    assert third not in sent  # closed after the read, before the hand-over: never sent
    assert sorted(sent) == sorted([first, second, fourth])
    assert recorder.accepted[second] <= second_cancel[1]  # sent before the cancel committed
    with app.app_context():
        status = dict(db.session.execute(sa.select(Reminder.id, Reminder.status).where(
            Reminder.id.in_(four_due["rows"]))).tuples().all())
        db.session.commit()
    assert {k: v.value for k, v in status.items()} == {first: "sent", second: "sent", third: "cancelled",
                                                       fourth: "sent"}
    assert counts and counts[0].sent == 3 and counts[0].lost_claims == 1

