"""The gateway's inbound answers (POST /sms/inbound with SMS_HTTP_TOKEN): STOP stops that phone's texts.
The short link a text message carries (/m/<short token>) is the portal's (clinic/portal/manage_views.py)."""

from __future__ import annotations

import hmac

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request

from clinic.access import public
from clinic.audit.services import record
from clinic.catalog.neutral import messages_data
from clinic.errors import error_body
from clinic.extensions import csrf, db
from clinic.patients.models import Patient
from clinic.patients.phones import BadPhone, to_e164
from clinic.reminders.models import PENDING_STATUSES, Reminder, ReminderStatus

bp = Blueprint("sms", __name__)
csrf.exempt(bp)


def _authorised() -> bool:
    token = current_app.config.get("SMS_HTTP_TOKEN")
    if not token:
        abort(404)  # no gateway configured: nothing may post answers
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())


def opt_out(phone: str) -> list[int]:
    """Stop the texts of every patient with this number: sms_opt_in false (audited), pending SMS cancelled."""
    patients = list(db.session.execute(sa.select(Patient).where(Patient.phone == phone,
                                                                Patient.sms_opt_in.is_(True))).scalars())
    for patient in patients:
        patient.sms_opt_in = False
        rows = db.session.execute(sa.select(Reminder).where(
            Reminder.patient_id == patient.id, Reminder.channel == "sms",
            Reminder.status.in_((*PENDING_STATUSES, ReminderStatus.SENDING)))).scalars()
        cancelled = 0
        for row in rows:
            row.status = ReminderStatus.CANCELLED
            row.last_error = "patient answered STOP"
            cancelled += 1
        record("patient.sms_opt_out", "patient", patient.id, patient.id, {"cancelled": cancelled},
               actor="sms-gateway")
    return [p.id for p in patients]


@bp.route("/sms/inbound", methods=["POST"])
@public  # guarded by the gateway's bearer token (SMS_HTTP_TOKEN), not by a staff sign-in
def inbound():
    if not _authorised():
        return jsonify(error_body("unauthorized", "Inbound messages need the gateway's bearer token.")), 401, \
            {"WWW-Authenticate": "Bearer"}
    data = request.get_json(silent=True)
    sender = data.get("from") if isinstance(data, dict) else None
    text = data.get("body") if isinstance(data, dict) else None
    if not isinstance(sender, str) or not isinstance(text, str) or len(sender) > 40 or len(text) > 2000:
        return jsonify(error_body("invalid", 'Expected a JSON object {"from", "body"} of strings.',
                                  {"from": "a phone number in E.164", "body": "the text received"})), 422
    try:
        phone = to_e164(sender, None)
    except BadPhone:
        return jsonify(error_body("invalid", "The sender is not a phone number in E.164.",
                                  {"from": "a phone number in E.164"})), 422
    words = {w.casefold() for w in messages_data()["sms"]["stop_words"]}
    if text.strip().strip(".!").casefold() not in words:
        return jsonify({"stopped": 0})
    stopped = opt_out(phone)
    return jsonify({"stopped": len(stopped)})
