"""The OpenAPI 3 document of /api/v1, assembled from the route modules' own fragments."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

# Every clinic/api/spec_*.py holds PATHS and SCHEMAS dictionaries describing its routes.
MODULES = tuple(f"clinic.api.{p.stem}" for p in sorted(Path(__file__).parent.glob("spec_*.py")))


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


COMMON_RESPONSES = {
    "Unauthorized": _error("No or bad bearer token."),
    "Forbidden": _error("Role or site not allowed."),
    "NotFound": _error("Unknown id."),
    "Conflict": _error("Conflict with the current state."),
    "Invalid": _error("Invalid or refused input."),
}

BASE_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "details": {"type": "object"},
                },
            }
        },
    }
}


def document() -> dict:
    paths: dict = {}
    schemas: dict = dict(BASE_SCHEMAS)
    for name in MODULES:
        module = import_module(name)
        paths.update(module.PATHS)
        schemas.update(module.SCHEMAS)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Clinic API", "version": "1.0.0", "description": "Booking, screening, checklists and reminders."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
            "responses": COMMON_RESPONSES,
        },
    }


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*codes: int) -> dict:
    names = {401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 422: "Invalid"}
    return {str(c): {"$ref": f"#/components/responses/{names[c]}"} for c in codes}


def query(name: str, schema: dict, required: bool = False, description: str = "") -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path_id(name: str = "id") -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}
