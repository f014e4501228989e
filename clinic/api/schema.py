"""The API's request and answer schemas, in pydantic: one description that validates JSON bodies
and query strings and writes the OpenAPI document (clinic.api.openapi reads it from the routes).

A route says what it reads and answers with `@operation(...)`, under its `@requires(...)`: the body
or the query is validated into its model before the handler runs, and handed to it as a `Checked`
value. Nothing is refused yet: the handler makes its 403, 404 and 409 checks first (the contract's
order), reading the few fields they need with `get()`, then takes the model with `done()`, which
answers 422 `invalid` with one entry in `details` per bad field.

Bodies are read strictly (no `1` for `true`, no `"3"` for 3, no instant without an offset); query
strings are text, read as their declared types. Answer models are written by the serializers, not
validated: they describe the answers for the document (and its fuzz test checks that they match).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Any

from flask import request
from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler
from pydantic import ValidationError as PydanticError
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from clinic.errors import DomainError, ValidationFailed
from clinic.queryargs import MAX_DAY, MAX_ID, MIN_DAY

# ---------------------------------------------------------------- models and types


class Input(BaseModel):
    """A JSON body, read strictly; unknown fields are ignored unless the model forbids them."""

    model_config = ConfigDict(strict=True, extra="ignore")


class QueryArgs(BaseModel):
    """Query arguments: text read as the declared types; unknown arguments are ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class Answer(BaseModel):
    """The shape of an answer, for the document."""


# The default of an answer's field that may be left out (`room_id: int = ABSENT`): not required,
# and not null when present.
ABSENT: Any = None


# A date, an instant or a query's integer is text: each is checked as text here, then read by
# pydantic's own parser (not strict, since the text is no longer JSON once a validator has seen it).


def _iso_date_text(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Expected a date as YYYY-MM-DD.")
    return value


def _bounded_day(day: dt.date) -> dt.date:
    if not MIN_DAY <= day <= MAX_DAY:
        raise ValueError(f"Choose a date between {MIN_DAY.year} and {MAX_DAY.year}.")
    return day


INSTANT_HELP = "Expected an ISO 8601 instant with an offset, e.g. 2026-03-30T09:00:00+02:00."


def _iso_instant_text(value: Any) -> Any:
    # A bare number would be a timestamp to the parser: an instant is written as a date and a time.
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", value):
        raise ValueError(INSTANT_HELP)
    return value


def _utc(instant: dt.datetime) -> dt.datetime:
    try:
        return instant.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(INSTANT_HELP) from None


def _integer_text(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"\s*[+-]?\d{1,20}\s*", value):
        raise ValueError("Expected an integer.")
    return value


# A local date, YYYY-MM-DD, between MIN_DAY and MAX_DAY.
Day = Annotated[dt.date, Field(strict=False), BeforeValidator(_iso_date_text), AfterValidator(_bounded_day)]
# An instant with an offset (any offset), read as UTC.
Instant = Annotated[AwareDatetime, Field(strict=False), BeforeValidator(_iso_instant_text), AfterValidator(_utc)]
# A row's id in a body.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# An integer written in a query string, and a row's id written there.
QueryInt = Annotated[int, Field(strict=False), BeforeValidator(_integer_text)]
QueryId = Annotated[int, Field(strict=False, ge=1, le=MAX_ID), BeforeValidator(_integer_text)]


@dataclass(frozen=True)
class OneOf:
    """`Annotated[str, OneOf(CODES)]`: one of a tuple of codes kept beside its model (an enum)."""

    choices: tuple[str, ...]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.literal_schema(list(self.choices))


# The pattern of a string that must hold something other than spaces (with min_length=1).
NOT_BLANK = r"\S"


# ---------------------------------------------------------------- reading a request


MISSING = "This field is required."
MESSAGES = {"missing": MISSING, "extra_forbidden": "Unknown field."}


def _field(loc: tuple[int | str, ...]) -> str:
    """The field an error names: `override.reason` inside an object, `levels` for an item of a list."""
    names: list[str] = []
    for part in loc:
        if isinstance(part, int):
            break
        names.append(part)
    return ".".join(names) or "body"


def _message(error: Any) -> str:
    if error["type"] in MESSAGES:
        return MESSAGES[error["type"]]
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


@dataclass
class Checked[T: BaseModel]:
    """A request's body or query, validated; `done()` gives the model or answers 422."""

    data: dict[str, Any]
    model: T | None
    errors: dict[str, str] = field(default_factory=dict)
    refusal: DomainError | None = None

    def get(self, name: str) -> Any:
        """One field's value as given, when it passed its checks; None when absent or bad. For
        the lookups that answer 403 or 404 before a 422 (a site's code, a patient's id)."""
        if self.model is not None:
            return getattr(self.model, name)
        if self.refusal is not None or name in self.errors:
            return None
        return self.data.get(name)

    def add(self, name: str, message: str) -> None:
        """A further bad field, found by the route (answered with the others by done())."""
        self.errors.setdefault(name, message)

    def done(self) -> T:
        if self.refusal is not None:
            raise self.refusal
        if self.errors or self.model is None:
            raise ValidationFailed(dict(self.errors))
        return self.model


def given[T](value: T | None) -> T:
    """A value looked up from a required field, once `done()` has passed: done() refuses a body
    that lacks the field, so None here is a bug."""
    if value is None:
        raise RuntimeError("a required field's value was used before done() refused its absence")
    return value


def _errors(err: PydanticError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in err.errors(include_url=False):
        errors.setdefault(_field(error["loc"]), _message(error))
    return errors


NOT_AN_OBJECT = ("The body must be a JSON object.", {"body": "expected a JSON object"})


def read_body[M: BaseModel](model: type[M]) -> Checked[M]:
    """The JSON body, validated strictly with JSON's rules (a date or an instant is read from its
    text, every other field keeps its JSON type)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return Checked({}, None, refusal=DomainError("invalid", *NOT_AN_OBJECT))
    try:
        value = model.model_validate_json(request.get_data())
    except PydanticError as err:
        return Checked(data, None, _errors(err))
    return Checked(data, value)


def read_query[M: BaseModel](model: type[M]) -> Checked[M]:
    """The query's arguments (the first of each name), validated. An empty one counts as absent,
    except for the model's EMPTY_IS_A_VALUE names."""
    keep = getattr(model, "EMPTY_IS_A_VALUE", ())
    args = {name: value for name, value in request.args.items() if value != "" or name in keep}
    try:
        value = model.model_validate_strings(args)
    except PydanticError as err:
        return Checked(args, None, _errors(err))
    return Checked(args, value)


# ---------------------------------------------------------------- describing an operation


@dataclass(frozen=True)
class Operation:
    """What the document says of one route; `answer` is a model or a tuple of them (one of)."""

    summary: str
    answer: type[BaseModel] | tuple[type[BaseModel], ...] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    description: str | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    query: type[BaseModel] | None = None
    idempotent: bool = False


def operation(summary: str, *, validate: bool = True, **described: Any) -> Callable:
    """Describe a route for the document and, when `validate`, check its body into `body` and its
    query into `args` (keyword arguments of the handler, as `Checked` values). A route whose
    checks are the services' own (`validate=False`) is only described."""
    op = Operation(summary, **described)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            if validate and op.body is not None:
                kwargs["body"] = read_body(op.body)
            if validate and op.query is not None:
                kwargs["args"] = read_query(op.query)
            return view(*args, **kwargs)

        run.openapi = op  # type: ignore[attr-defined]
        return run

    return decorate


class _Generator(GenerateJsonSchema):
    """Pydantic's JSON Schema without a title on every field or a default of null on optional ones."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().default_schema(schema)
        if json_schema.get("default", 0) is None:
            json_schema.pop("default")
        return json_schema


REF = "#/components/schemas/{model}"


def json_schemas(model: type[BaseModel]) -> dict[str, dict[str, Any]]:
    """The model's schema and those of the models it holds, by name, in OpenAPI 3.0 terms."""
    schema = model.model_json_schema(ref_template=REF, schema_generator=_Generator)
    schemas = {name: openapi30(s) for name, s in schema.pop("$defs", {}).items()}
    schema.pop("title", None)
    schemas[model.__name__] = openapi30(schema)
    return schemas


def openapi30(node: Any) -> Any:
    """JSON Schema 2020-12 as OpenAPI 3.0 writes it: `nullable` for a null choice, `enum` for `const`."""
    if isinstance(node, list):
        return [openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi30(value) for key, value in node.items() if key != "title" or not isinstance(value, str)}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for key in ("anyOf", "oneOf"):
        options = node.get(key)
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [o for o in options if o != {"type": "null"}]
            del node[key]
            if len(rest) == 1 and "$ref" not in rest[0]:
                node = {**rest[0], **node, "nullable": True}
            else:
                node = {**node, key: rest, "nullable": True}
    return node
