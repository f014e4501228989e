"""OpenAPI fragment for physicians' time off."""

from clinic.api.openapi import errors, json_response, path_id, ref

INSTANT = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "TimeOffInput": {
        "type": "object",
        "required": ["start", "end"],
        "properties": {
            "start": INSTANT,
            "end": INSTANT,
            "reason": {"type": "string", "maxLength": 200},
            "location": {"type": "string", "description": "A site code; absent: every site"},
            "confirm": {"type": "boolean", "default": False,
                        "description": "Save even over booked appointments, flagging them needs_reschedule"},
        },
    },
    "TimeOff": {
        "type": "object",
        "required": ["id", "start", "end"],
        "properties": {
            "id": {"type": "integer"},
            "start": INSTANT,
            "end": INSTANT,
            "physician_id": {"type": "integer"},
            "location": {"type": "string", "nullable": True},
            "reason": {"type": "string"},
        },
    },
}

PATHS = {
    "/api/v1/physicians/{id}/time-off": {
        "post": {
            "summary": "Give a physician time off (admin)",
            "description": "409 appointments_affected, with details.appointments (their ids), when booked "
                           "appointments fall inside, unless confirm is true: then 201 and those appointments "
                           "answer needs_reschedule: true.",
            "parameters": [path_id()],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("TimeOffInput")}}},
            "responses": {"201": json_response("The time off", ref("TimeOff")), **errors(401, 403, 404, 409, 422)},
        }
    }
}
