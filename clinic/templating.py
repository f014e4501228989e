"""Template filters and globals: local times per site, locale-aware formats, languages."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_time
from flask import Flask, request, url_for
from flask_babel import get_locale

from clinic.catalog import get_procedure
from clinic.catalog.bilingual import in_language
from clinic.dates import format_day


def _tz(tz) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if hasattr(tz, "tz"):
        return tz.tz
    return ZoneInfo(tz or "UTC")


def local_datetime(instant: dt.datetime | None, tz, fmt: str = "medium") -> str:
    if instant is None:
        return ""
    return format_datetime(instant.astimezone(_tz(tz)), fmt, locale=str(get_locale()))


def local_time(instant: dt.datetime | None, tz, fmt: str = "HH:mm") -> str:
    if instant is None:
        return ""
    return format_time(instant.astimezone(_tz(tz)), fmt, locale=str(get_locale()))


def long_date(day: dt.date | None, fmt: str = "full") -> str:
    return "" if day is None else format_day(day, fmt, str(get_locale()))


def procedure_label(code: str, language: str | None = None) -> str:
    """A procedure's name in the reader's language (or `language`); its code if the catalog lost it."""
    procedure = get_procedure(code)
    return procedure.label(language or str(get_locale())) if procedure else code


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (pagination, filters)."""
    if request.endpoint is None:
        raise RuntimeError("url_with needs a request that matched a route")
    args: dict[str, Any] = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["in_language"] = in_language  # a catalog text pair, read as everywhere else
    app.jinja_env.globals["url_with"] = url_with
    app.jinja_env.globals["procedure_label"] = procedure_label
    from clinic import access, labels, navigation

    labels.register(app)
    access.init_app(app)
    navigation.register(app)

    @app.context_processor
    def inject() -> dict:
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
