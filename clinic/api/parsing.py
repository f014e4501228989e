"""Reading JSON bodies and query arguments into typed values, naming each bad field."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, overload

from flask import request

from clinic.errors import DomainError, ValidationFailed
from clinic.queryargs import MAX_DAY, MIN_DAY, check_day
from clinic.timeutil import parse_instant


def given[T](value: T | None) -> T:
    """A required field's value once Body.done() has passed: done() refuses a body that lacks one."""
    if value is None:
        raise RuntimeError("a required field was read before Body.done() refused its absence")
    return value


class Body:
    """A JSON object body; collects one error per bad field, raised together by done()."""

    def __init__(self, data: Any | None = None):
        if data is None:
            data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise DomainError("invalid", "The body must be a JSON object.", {"body": "expected a JSON object"})
        self.data = data
        self.errors: dict[str, str] = {}

    def _get(self, name: str, required: bool) -> Any:
        if name not in self.data or self.data[name] is None:
            if required:
                self.errors[name] = "This field is required."
            return None
        return self.data[name]

    def string(self, name: str, required: bool = True, max_length: int = 200, choices=None) -> str | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            self.errors[name] = "Expected a non-empty string."
            return None
        if len(value) > max_length:
            self.errors[name] = f"At most {max_length} characters."
            return None
        if choices is not None and value not in choices:
            self.errors[name] = f"Expected one of: {', '.join(choices)}."
            return None
        return value

    def integer(self, name: str, required: bool = True, minimum: int | None = None, maximum: int | None = None):
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.errors[name] = "Expected an integer."
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors[name] = f"Expected an integer from {minimum} to {maximum}."
            return None
        return value

    def number(self, name: str, required: bool = True, minimum: float | None = None, maximum: float | None = None):
        value = self._get(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.errors[name] = "Expected a number."
            return None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            self.errors[name] = f"Expected a number from {minimum} to {maximum}."
            return None
        return value

    def boolean(self, name: str, required: bool = False, default: bool | None = None) -> bool | None:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.errors[name] = "Expected true or false."
            return default
        return value

    def date(self, name: str, required: bool = True) -> dt.date | None:
        value = self.string(name, required, max_length=10)
        if value is None:
            return None
        try:
            day = dt.date.fromisoformat(value)
        except ValueError:
            self.errors[name] = "Expected a date as YYYY-MM-DD."
            return None
        if not MIN_DAY <= day <= MAX_DAY:
            self.errors[name] = f"Choose a date between {MIN_DAY.year} and {MAX_DAY.year}."
            return None
        return day

    def instant(self, name: str, required: bool = True) -> dt.datetime | None:
        value = self.string(name, required, max_length=40)
        if value is None:
            return None
        try:
            return parse_instant(value)
        except (ValueError, OverflowError):
            self.errors[name] = "Expected an ISO 8601 instant with an offset, e.g. 2026-03-30T09:00:00+02:00."
            return None

    def string_list(self, name: str, required: bool = False, max_items: int = 50, max_length: int = 60):
        value = self._get(name, required)
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > max_items:
            self.errors[name] = f"Expected a list of at most {max_items} strings."
            return []
        if not all(isinstance(v, str) and 0 < len(v) <= max_length for v in value):
            self.errors[name] = f"Expected a list of strings of 1 to {max_length} characters."
            return []
        return value

    def obj(self, name: str, required: bool = False) -> dict | None:
        value = self._get(name, required)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.errors[name] = "Expected a JSON object."
            return None
        return value

    def done(self) -> None:
        if self.errors:
            raise ValidationFailed(dict(self.errors))


def query_int(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed({name: "Expected an integer."}) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed({name: f"Expected an integer from {minimum} to {maximum}."})
    return value


@overload
def query_date(name: str, required: Literal[True] = True) -> dt.date: ...
@overload
def query_date(name: str, required: bool) -> dt.date | None: ...
def query_date(name: str, required: bool = True) -> dt.date | None:
    raw = request.args.get(name)
    if not raw:
        if required:
            raise ValidationFailed({name: "This parameter is required (YYYY-MM-DD)."})
        return None
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed({name: "Expected a date as YYYY-MM-DD."}) from None
    return check_day(day, name)
