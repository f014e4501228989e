"""OpenAPI fragments for the procedure-day checklist."""

from clinic.api.openapi import errors, json_response, path_id, ref

STATES = ["open", "in_procedure", "monitoring", "ready_for_discharge", "discharged", "signed"]
TYPES = ["yes_no", "number", "choice", "text", "vitals", "pain_score"]
NULL_STR = {"type": "string", "nullable": True}

VITALS = {
    "type": "object",
    "required": ["systolic", "diastolic", "pulse", "spo2"],
    "properties": {k: {"type": "integer"} for k in ("systolic", "diastolic", "pulse", "spo2")},
}

SCHEMAS = {
    "ChecklistItem": {
        "type": "object",
        "required": ["code", "label", "type", "roles", "required", "done", "value", "done_by", "done_at"],
        "properties": {
            "code": {"type": "string"},
            "phase": {"type": "string"},
            "label": {"type": "string"},
            "type": {"type": "string", "enum": TYPES},
            "unit": {"type": "string"},
            "min": {"type": "number"},
            "max": {"type": "number"},
            "choices": {"type": "array", "items": {"type": "string"}},
            "choice_labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "roles": {"type": "array", "items": {"type": "string", "enum": ["nurse", "physician"]}},
            "required": {"type": "boolean"},
            "done": {"type": "boolean"},
            "value": {"nullable": True, "description": "boolean, number, string or vitals object, by type",
                      "oneOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}, VITALS]},
            "done_by": {"type": "integer", "nullable": True, "description": "id of the user who recorded it"},
            "done_by_name": NULL_STR,
            "done_at": {"type": "string", "format": "date-time", "nullable": True},
            "override_reason": NULL_STR,
            "amended": {"type": "boolean"},
            "amendment_reason": NULL_STR,
            "source": {"type": "string"},
            "blocked": {**NULL_STR, "description": "why the caller cannot record it now (an error code)"},
            "state": {"type": "string", "enum": STATES, "description": "the checklist's state (POST answers)"},
        },
    },
    "ChecklistPhase": {
        "type": "object",
        "required": ["code", "items"],
        "properties": {
            "code": {"type": "string", "enum": ["sign_in", "time_out", "procedure", "monitoring", "discharge", "signature"]},
            "label": {"type": "string"},
            "complete": {"type": "boolean"},
            "items": {"type": "array", "items": ref("ChecklistItem")},
        },
    },
    "Checklist": {
        "type": "object",
        "required": ["state", "phases"],
        "properties": {
            "state": {"type": "string", "enum": STATES},
            "appointment_id": {"type": "integer"},
            "template": {"type": "string"},
            "observation_minutes": {"type": "integer"},
            "minutes_left": {"type": "integer", "description": "minutes of observation left before discharge"},
            **{k: {"type": "string", "format": "date-time", "nullable": True}
               for k in ("procedure_started_at", "procedure_ended_at", "discharge_from", "discharged_at", "signed_at")},
            "signed_by": {"type": "integer", "nullable": True},
            "phases": {"type": "array", "items": ref("ChecklistPhase")},
        },
    },
    "ChecklistItemInput": {
        "type": "object",
        "required": ["value"],
        "properties": {
            "value": {"description": "by the item's type", "oneOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}, VITALS]},
            "override_reason": {"type": "string", "description": "a physician's reason: to pass the monitoring clock, an "
                                "INR or glucose above the site's limit, a particulate steroid, a 'yes' to fever or "
                                "infection; the reason for 'no contrast used'"},
            "amendment_reason": {"type": "string", "description": "required to change a signed record"},
        },
    },
}

PATHS = {
    "/api/v1/appointments/{id}/checklist": {
        "get": {
            "summary": "The appointment's procedure-day checklist (created on first access)",
            "parameters": [path_id()],
            "responses": {"200": json_response("The checklist", ref("Checklist")), **errors(401, 403, 404)},
        }
    },
    "/api/v1/appointments/{id}/checklist/{item_code}": {
        "post": {
            "summary": "Record one checklist item",
            "description": "403 for another role; 409 not_checked_in, out_of_order (details.open), monitoring_time "
                           "(details.minutes_left), signed, inr_above_limit (details.inr, details.max: the site "
                           "policy's maximum; a physician's override_reason lets it stand), glucose_above_limit "
                           "(details.glucose, details.max, where the site policy sets one); 422 invalid_value "
                           "(details.value particulate_steroid for a transforaminal route, the nerve-root block "
                           "included; no_contrast_used only with a contrast plan and a reason). A 'yes' to "
                           "fever_or_infection leaves the item open until a physician records it with a reason.",
            "parameters": [path_id(), {"name": "item_code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ChecklistItemInput")}}},
            "responses": {"200": json_response("The item", ref("ChecklistItem")), **errors(401, 403, 404, 409, 422)},
        }
    },
}
