"""OpenAPI fragments for availability and appointments."""

from clinic.api.openapi import errors, json_response, path_id, query, ref
from clinic.screening.results import REFUSAL_CODES, WARNING_CODES

STR = {"type": "string"}
NSTR = {"type": "string", "nullable": True}
INSTANT = {"type": "string", "format": "date-time"}
STATUSES = ["booked", "checked_in", "in_procedure", "completed", "cancelled", "no_show"]
IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200},
               "description": "A retry with the same key and body replays the first answer; another body answers 422 idempotency_key_reused."}


def _obj(required, **props):
    return {"type": "object", "required": list(required), "properties": props}


SCHEMAS = {
    "Slot": _obj(("start", "end", "physician_id", "room"), start=INSTANT, end=INSTANT,
                 physician_id={"type": "integer"}, room=STR, room_id={"type": "integer"}),
    "Warning": {**_obj(("code", "message", "source"), code={"type": "string", "enum": [*WARNING_CODES, *REFUSAL_CODES]},
                       message=STR, message_fr=STR, source=STR, unconfirmed={"type": "boolean"},
                       details={"type": "object"}),
                "description": "medication_unrecognised: details.drug (as written) and details.closest (known names); "
                               "hold_not_achievable: details.drug, details.hold, details.stop_on and "
                               "details.earliest_date (local YYYY-MM-DD, the earliest date with the hold kept); "
                               "medication_caution: a substance that raises bleeding modestly (continued); "
                               "a refusal overridden by a physician is kept as a warning."},
    "MedicationHold": _obj(("drug", "stop_on", "restart_after", "note"), drug=STR, stop_on=NSTR, restart_after=NSTR, note=STR,
                           action={"type": "string", "enum": ["stop", "continue", "shared_decision"]},
                           drug_fr=STR, as_written={"type": "string", "description": "the medicine as the record names it"}),
    "PreparationItem": _obj(("code", "text"), code=STR, text=STR),
    "Reminder": _obj(("id", "kind", "channel", "send_at", "status", "sent_at", "attempts"),
                     id={"type": "integer"}, kind=STR, channel={"type": "string", "enum": ["email", "sms"]},
                     send_at=INSTANT, sent_at={**INSTANT, "nullable": True}, attempts={"type": "integer", "minimum": 0},
                     status={"type": "string", "enum": ["planned", "sending", "sent", "retrying", "failed",
                                                        "cancelled", "skipped"]}),
    "AppointmentReminder": _obj(("kind", "channel", "send_at", "status"), kind=STR,
                                channel={"type": "string", "enum": ["email", "sms"]}, send_at=INSTANT, status=STR),
    "Screening": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "possible_pregnancy": {"type": "boolean"},
            "active_infection": {"type": "boolean"},
            "fever": {"type": "boolean"},
            "conservative_care_weeks": {"type": "number", "minimum": 0, "maximum": 520},
            "recent_imaging": {"type": "boolean"},
        },
    },
    "BookingInput": {
        "type": "object",
        "required": ["patient_id", "location", "procedure", "start"],
        "properties": {
            "patient_id": {"type": "integer"},
            "location": STR,
            "procedure": STR,
            "start": INSTANT,
            "physician_id": {"type": "integer"},
            "region": {"type": "string", "enum": ["cervical", "thoracic", "lumbar", "sacral"]},
            "side": {"type": "string", "enum": ["left", "right", "bilateral", "midline"]},
            "levels": {"type": "array", "maxItems": 6, "items": {"type": "string", "pattern": "^[CTLS][0-9]{1,2}(-[CTLS][0-9]{1,2})?$"}},
            "sedation": {"type": "boolean"},
            "screening": ref("Screening"),
            "override": _obj(("reason",), reason={"type": "string", "minLength": 1, "maxLength": 1000}),
        },
    },
    "Appointment": {
        "type": "object",
        "required": ["id", "patient_id", "status", "start", "end", "location", "procedure", "physician_id", "room",
                     "region", "side", "levels", "sedation", "needs_reschedule", "warnings", "medication_holds",
                     "preparation", "reminders"],
        "properties": {
            "id": {"type": "integer"},
            "patient_id": {"type": "integer"},
            "status": {"type": "string", "enum": STATUSES},
            "start": INSTANT,
            "end": INSTANT,
            "location": STR,
            "procedure": STR,
            "physician_id": {"type": "integer"},
            "room": STR,
            "room_id": {"type": "integer"},
            "region": NSTR,
            "side": NSTR,
            "levels": {"type": "array", "items": STR},
            "sedation": {"type": "boolean"},
            "needs_reschedule": {"type": "boolean"},
            "warnings": {"type": "array", "items": ref("Warning")},
            "medication_holds": {"type": "array", "items": ref("MedicationHold")},
            "preparation": {"type": "array", "items": ref("PreparationItem")},
            "reminders": {"type": "array", "items": ref("AppointmentReminder")},
            "screening": {"type": "object"},
            "override_reason": NSTR,
            "cancel_reason": NSTR,
            "ical_sequence": {"type": "integer"},
        },
    },
}

APPT = json_response("The appointment", ref("Appointment"))
RACE = ("409 conflict_retry, with the appointment as it now stands in details.appointment, when a "
        "concurrent change of the same appointment won (look again, then retry); never a 5xx for a race.")


def _post(summary, body_schema, ok, codes, idempotent=True, ok_code="200"):
    op = {"summary": summary, "parameters": [path_id()] if "{id}" in summary else [],
          "responses": {ok_code: ok, **errors(*codes)}}
    if body_schema is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body_schema}}}
    if idempotent:
        op["parameters"] = [*op["parameters"], IDEMPOTENCY]
    return op


def _action(summary, body_schema, codes, idempotent=False):
    op = {"summary": summary, "parameters": [path_id(), *([IDEMPOTENCY] if idempotent else [])],
          "responses": {"200": APPT, **errors(*codes)}}
    if body_schema is not None:
        op["requestBody"] = {"required": body_schema.get("required") is not None,
                             "content": {"application/json": {"schema": body_schema}}}
    return op


PATHS = {
    "/api/v1/availability": {
        "get": {
            "summary": "Free slots for a procedure at a site, one per free physician and room",
            "parameters": [
                query("location", STR, True), query("procedure", STR, True),
                query("date", {"type": "string", "format": "date"}, True, "First local date"),
                query("days", {"type": "integer", "minimum": 1, "maximum": 120}),
                query("physician", {"type": "integer"}),
                query("group", {"type": "string", "enum": ["start"]}, False,
                      "start: one entry per start with its free physicians and room ids (a compact answer)"),
            ],
            "responses": {
                "200": json_response("Slots by start", {"oneOf": [
                    _obj(("slots",), slots={"type": "array", "items": ref("Slot")}),
                    _obj(("starts", "room_names"), starts={"type": "array", "items": _obj(
                        ("start", "end", "physicians", "rooms"),
                        start=INSTANT, end=INSTANT,
                        physicians={"type": "array", "items": {"type": "integer"}},
                        rooms={"type": "array", "items": {"type": "integer"}})},
                        room_names={"type": "object", "additionalProperties": STR}),
                ]}),
                **errors(401, 403, 404, 422),
            },
        }
    },
    "/api/v1/appointments": {
        "post": {**_post("Book an appointment", ref("BookingInput"), APPT, (401, 403, 404, 409, 422), ok_code="201"),
                 "description": "409 slot_unavailable when the time is not free; 409 patient_busy when the patient "
                                "has another active appointment at an overlapping time (at any site)."},
        "get": {
            "summary": "A local day's appointments at a site, in start order, cancelled ones included",
            "parameters": [query("location", STR, True), query("date", {"type": "string", "format": "date"}, True),
                           query("physician", {"type": "integer"})],
            "responses": {
                "200": json_response("Appointments", _obj(("appointments",), appointments={"type": "array", "items": ref("Appointment")})),
                **errors(401, 403, 404, 422),
            },
        },
    },
    "/api/v1/appointments/{id}": {
        "get": {"summary": "An appointment", "parameters": [path_id()],
                "responses": {"200": APPT, **errors(401, 403, 404)}},
    },
    "/api/v1/appointments/{id}/reminders": {
        "get": {"summary": "An appointment's messages: every outbox row, by due time", "parameters": [path_id()],
                "responses": {"200": json_response("Reminders", _obj(("reminders",), reminders={
                    "type": "array", "items": ref("Reminder")})), **errors(401, 403, 404)}},
    },
    "/api/v1/appointments/{id}/reschedule": {
        "post": {**_action("Move an appointment, keeping its id and history",
                           _obj(("start",), start=INSTANT, physician_id={"type": "integer"}), (401, 403, 404, 409, 422),
                           True),
                 "description": "409 slot_unavailable, 409 patient_busy as when booking; 409 invalid_state unless "
                                "booked; " + RACE},
    },
    "/api/v1/appointments/{id}/cancel": {
        "post": {**_action("Cancel an appointment with a reason",
                           _obj(("reason",), reason={"type": "string", "minLength": 1, "maxLength": 500}),
                           (401, 403, 404, 409, 422), True),
                 "description": "409 invalid_state when already cancelled or over; " + RACE},
    },
    "/api/v1/appointments/{id}/check-in": {
        "post": {**_action("Check the patient in, on the appointment's local date", None, (401, 403, 404, 409)),
                 "description": "409 invalid_state on another day or status; " + RACE},
    },
    "/api/v1/appointments/{id}/no-show": {
        "post": {**_action("Mark the patient as not come, once the start has passed", None, (401, 403, 404, 409)),
                 "description": "409 invalid_state before the appointment's start or in another status. The "
                                "preparation messages are cancelled and the patient is told the appointment "
                                "will be re-arranged; " + RACE},
    },
}
