"""The OpenAPI 3 document of /api/v1, written from the routes' `@operation` descriptions and their
pydantic models (clinic.api.schema), the same models that validate the requests."""

from __future__ import annotations

import copy
import re
from functools import cache
from importlib import import_module
from typing import Any

from flask import Flask
from pydantic import BaseModel

from clinic.api.schema import Answer, Operation, json_schemas


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


COMMON_RESPONSES = {
    "Unauthorized": _error("No or bad bearer token."),
    "Forbidden": _error("Role or site not allowed."),
    "NotFound": _error("Unknown id."),
    "Conflict": _error("Conflict with the current state."),
    "Invalid": _error("Invalid or refused input."),
}


class ErrorDetail(Answer):
    code: str
    message: str
    details: dict[str, Any]


class Error(Answer):
    """The body of every refusal."""

    error: ErrorDetail


IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200},
               "description": "A retry with the same key and body replays the first answer; another body answers 422 "
                              "idempotency_key_reused."}


def document() -> dict:
    """The document (a copy: it is built once per process)."""
    return copy.deepcopy(_document())


def _routes() -> list[tuple[str, str, Operation]]:
    """Every described route of the API blueprint as (OpenAPI path, method, operation), in the order
    the routes are registered; the url map of a scratch app holding only the blueprint is read."""
    from clinic.api import ROUTE_MODULES, views

    for name in ROUTE_MODULES:
        import_module(name)
    app = Flask("clinic.api.openapi")
    app.register_blueprint(views.bp)
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        op = getattr(view, "openapi", None)
        if op is None:
            continue
        path = re.sub(r"<int:\w+>", "{id}", rule.rule)
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((ROUTE_MODULES.index(view.__module__), path, method.lower(), op))
    return [(path, method, op) for _, path, method, op in sorted(found, key=lambda route: route[0])]


def _parameters(path: str, op: Operation) -> list[dict]:
    # `{id}` is a row's id (an int in the route); any other path part is text.
    params: list[dict] = [{"name": name, "in": "path", "required": True,
                           "schema": {"type": "integer" if name == "id" else "string"}}
                          for name in re.findall(r"{(\w+)}", path)]
    if op.query is not None:
        schema = json_schemas(op.query)[op.query.__name__]
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            prop = dict(prop)
            param = {"name": name, "in": "query", "required": name in required, "schema": prop,
                     "description": prop.pop("description", "")}
            if name not in required and name not in getattr(op.query, "EMPTY_IS_A_VALUE", ()):
                param["allowEmptyValue"] = True
            params.append(param)
    if op.idempotent:
        params.append(dict(IDEMPOTENCY))
    return params


def _schema_of(answer: type[BaseModel] | tuple[type[BaseModel], ...], schemas: dict) -> dict:
    if isinstance(answer, tuple):
        return {"oneOf": [_schema_of(a, schemas) for a in answer]}
    schemas.update(json_schemas(answer))
    return ref(answer.__name__)


def _operation(path: str, op: Operation, schemas: dict) -> dict:
    out: dict[str, Any] = {"summary": op.summary}
    if op.description:
        out["description"] = op.description
    out["parameters"] = _parameters(path, op)
    if op.body is not None:
        out["requestBody"] = {"required": op.body_required,
                              "content": {"application/json": {"schema": _schema_of(op.body, schemas)}}}
    answer = op.answer
    description = (answer.__doc__ or answer.__name__).strip().split("\n")[0] if isinstance(answer, type) else "The answer"
    out["responses"] = {str(op.status): json_response(description.rstrip("."), _schema_of(answer, schemas))
                        if answer is not None else {"description": "Done"}, **errors(*op.errors)}
    return out


@cache
def _document() -> dict:
    paths: dict = {}
    schemas: dict = json_schemas(Error)
    for path, method, op in _routes():
        paths.setdefault(path, {})[method] = _operation(path, op, schemas)
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
