"""A patient opens the link of a received message in a real browser and gives a pain score."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from clinic.extensions import db
from clinic.outcomes.models import PainMoment, PainScore
from clinic.patients.models import Patient
from clinic.reminders.dispatcher import ROW_HEADER, dispatch_once
from clinic.reminders.planner import plan_notice
from clinic.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.browser


def sent_message(outbox: Path, row_id: int):
    for path in sorted(outbox.glob("*.eml")):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if msg[ROW_HEADER] == str(row_id):
            return msg
    raise AssertionError(f"no message for reminder {row_id} in {outbox}")


def test_patient_gives_pain_score_from_the_email_link(page, live_app, live_server, fixed_clock):
    """The day-7 message lands in the outbox folder; its link opens the form; the score is stored.
    The message is due at once, or at the end of the site's quiet hours: the clock goes there."""
    with live_app.app_context():
        appointment = db.session.execute(
            sa.select(Appointment).join(Patient, Patient.id == Appointment.patient_id)
            .where(Appointment.status == AppointmentStatus.BOOKED, Patient.language == "en")
            .order_by(Appointment.id)).scalars().first()
        appointment.status = AppointmentStatus.COMPLETED   # a pain score follows a procedure done
        row = plan_notice(appointment, "pain_score_day7")
        db.session.commit()
        row_id, appointment_id = row.id, appointment.id
        fixed_clock.move_to(row.send_at)
        counts = dispatch_once(worker_id="e2e")
        assert counts.sent >= 1, counts
        msg = sent_message(Path(live_app.config["OUTBOX_DIR"]), row_id)
    text = msg.get_body(("plain",)).get_content()
    link = re.search(r"(http://\S+/p/pain/\S+)", text).group(1)
    assert link.startswith(live_server)

    page.goto(link)
    expect(page.get_by_role("heading", name="How are you?")).to_be_visible()
    page.get_by_label("Your pain today, from 0 (none) to 10 (worst imaginable)").fill("3")
    page.get_by_label("What can you do again, or not yet? (optional)").fill("Walking 30 minutes again")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.get_by_text("your answer was sent to your care team")).to_be_visible()

    with live_app.app_context():
        score = db.session.execute(sa.select(PainScore).where(PainScore.appointment_id == appointment_id)
                                   ).scalar_one()
        assert (score.moment, score.score, score.source) == (PainMoment.DAY7, 3, "portal")
        assert score.function_note == "Walking 30 minutes again"
