"""OpenAPI fragment for the waiting list."""

from clinic.api.openapi import errors, json_response, query, ref

DATE = {"type": "string", "format": "date"}
INSTANT = {"type": "string", "format": "date-time"}

SCHEMAS = {
    "WaitingEntryInput": {
        "type": "object",
        "required": ["patient_id", "location", "procedure"],
        "additionalProperties": False,
        "properties": {
            "patient_id": {"type": "integer"},
            "location": {"type": "string", "description": "The site's code"},
            "procedure": {"type": "string", "description": "A procedure code of the catalog"},
            "physician_id": {"type": "integer", "description": "Only this physician; absent: any"},
            "from": {**DATE, "description": "First local date wanted; absent: from today"},
            "to": {**DATE, "description": "Last local date wanted; absent: up to the booking horizon"},
            "times": {"type": "string", "enum": ["morning", "afternoon"],
                      "description": "Starts before noon (morning) or from noon (afternoon), local time; absent: any"},
        },
    },
    "WaitingOffer": {
        "type": "object",
        "required": ["start", "physician_id", "room"],
        "properties": {
            "start": INSTANT,
            "end": INSTANT,
            "physician_id": {"type": "integer"},
            "room": {"type": "string"},
            "room_id": {"type": "integer"},
        },
    },
    "WaitingEntry": {
        "type": "object",
        "required": ["id", "patient_id", "location", "procedure", "status", "offers"],
        "properties": {
            "id": {"type": "integer"},
            "patient_id": {"type": "integer"},
            "location": {"type": "string"},
            "procedure": {"type": "string"},
            "physician_id": {"type": "integer", "nullable": True},
            "from": {**DATE, "nullable": True},
            "to": {**DATE, "nullable": True},
            "times": {"type": "string", "enum": ["morning", "afternoon"], "nullable": True},
            "status": {"type": "string", "enum": ["waiting", "offered", "booked", "removed"]},
            "created_at": INSTANT,
            "offers": {"type": "array", "items": ref("WaitingOffer"),
                       "description": "Starts freed since the entry was made (cancellation, reschedule, time off "
                                      "removed, new working hours) that match it and are still free, in time order"},
        },
    },
}

PATHS = {
    "/api/v1/waiting-list": {
        "post": {
            "summary": "Put a patient on a site's waiting list",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("WaitingEntryInput")}}},
            "responses": {"201": json_response("The entry, with no offer yet", ref("WaitingEntry")),
                          **errors(401, 403, 404, 422)},
        },
        "get": {
            "summary": "A site's waiting list, in order of waiting, with the freed times matching each entry",
            "parameters": [query("location", {"type": "string"}, required=True, description="The site's code")],
            "responses": {"200": json_response("The open entries", {
                "type": "object", "required": ["entries"],
                "properties": {"entries": {"type": "array", "items": ref("WaitingEntry")}}}),
                **errors(401, 403, 404, 422)},
        },
    }
}
