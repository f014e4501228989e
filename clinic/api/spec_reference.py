"""OpenAPI fragments for patients."""

from clinic.api.openapi import errors, json_response, path_id, query, ref

STR = {"type": "string"}
STR_LIST = {"type": "array", "items": STR}
# What the API accepts in a list of conditions or allergies (clinic.api.parsing.Body.string_list).
STR_LIST_INPUT = {"type": "array", "maxItems": 50, "items": {"type": "string", "minLength": 1, "maxLength": 60}}
NAME_INPUT = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": "\\S"}

SCHEMAS = {
    "Medication": {
        "type": "object",
        "required": ["drug"],
        "properties": {"drug": {"type": "string", "maxLength": 60, "description": "as the patient names it: brand or generic, French or English, dose allowed (matched to substances by the medicine vocabulary)"}, "indication": {"type": "string", "nullable": True, "maxLength": 60}},
    },
    "PatientInput": {
        "type": "object",
        "required": ["first_name", "last_name", "birth_date", "email", "language"],
        "properties": {
            "first_name": NAME_INPUT,
            "last_name": NAME_INPUT,
            "birth_date": {"type": "string", "format": "date"},
            "email": {"type": "string", "format": "email", "maxLength": 254,
                      "description": "checked as email-validator does (syntax, no DNS) and stored normalized (lower "
                                     "case); one with accented characters only when the mail relay offers SMTPUTF8"},
            "phone": {"type": "string", "maxLength": 40,
                      "description": "as dialled locally at the registering site, or with its country code; stored in E.164"},
            "sms_opt_in": {"type": "boolean", "default": False,
                           "description": "the day-before and stop reminders also go by SMS (needs a phone)"},
            "location": {"type": "string", "maxLength": 40,
                         "description": "the registering site's code (its country is the phone's default region); default the caller's first site"},
            "language": {"type": "string", "enum": ["fr", "en"]},
            "sex": {"type": "string", "enum": ["female", "male", "other", "unknown"], "default": "unknown",
                    "description": "drives the pregnancy check before ionising imaging (12 to 55, not male)"},
            "conditions": STR_LIST_INPUT,
            "allergies": STR_LIST_INPUT,
            "medications": {"type": "array", "maxItems": 30, "items": ref("Medication")},
            "allow_duplicate": {"type": "boolean", "description": "Register even when the organisation holds a "
                                "patient with the same birth date and a similar name, or the same e-mail or phone"},
        },
    },
    "Patient": {
        "type": "object",
        "required": ["id", "first_name", "last_name", "birth_date", "email", "language"],
        "properties": {
            "id": {"type": "integer"},
            "first_name": STR,
            "last_name": STR,
            "birth_date": {"type": "string", "format": "date"},
            "email": STR,
            "phone": {"type": "string", "nullable": True, "description": "E.164"},
            "sms_opt_in": {"type": "boolean"},
            "language": STR,
            "sex": {"type": "string", "enum": ["female", "male", "other", "unknown"]},
            "conditions": STR_LIST,
            "allergies": STR_LIST,
            "medications": {"type": "array", "items": ref("Medication")},
            "injection_history": {"type": "array", "items": {"type": "object"}},
        },
    },
}

PATHS = {
    "/api/v1/patients": {
        "post": {
            "summary": "Register a patient",
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("PatientInput")}}},
            "responses": {"201": json_response("The patient", ref("Patient")), **errors(401, 403, 409, 422)},
        },
        "get": {
            "summary": "Search patients by name (accents and case aside), e-mail, phone (any common format) "
                       "or birth date (ISO or the caller's format)",
            "parameters": [
                query("q", {"type": "string", "maxLength": 200}),
                query("page", {"type": "integer", "minimum": 1, "maximum": 100000}),
                query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
            ],
            "responses": {
                "200": json_response(
                    "A page of patients",
                    {
                        "type": "object",
                        "required": ["patients", "page", "per_page", "total"],
                        "properties": {
                            "patients": {"type": "array", "items": ref("Patient")},
                            "page": {"type": "integer"},
                            "per_page": {"type": "integer"},
                            "total": {"type": "integer"},
                        },
                    },
                ),
                **errors(401, 403, 422),
            },
        },
    },
    "/api/v1/patients/{id}": {
        "get": {
            "summary": "A patient with their injection history",
            "parameters": [path_id()],
            "responses": {"200": json_response("The patient", ref("Patient")), **errors(401, 403, 404)},
        }
    },
}
