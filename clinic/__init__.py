"""Clinic: booking, preparation, procedure-day checklists and reminders for spine-injection clinics."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

from flask import Blueprint, Flask
from flask.typing import ResponseReturnValue

from clinic import unit_of_work
from clinic.config import CONFIGS, INSTANCE, check_sms, instance_secret_key, resource, secret_key_problem

PACKAGE = Path(__file__).resolve().parent


# What create_app wires, in this order: each entry's init_app connects its package's signal
# receivers, session listeners, message composers, CLI commands and blueprints. Nothing is
# connected by being imported; a package missing here is switched off. Blueprints are registered
# in the order of this list; the production hooks (ops: logs, metrics, error reports) come last.
INIT_ORDER = (
    "clinic.tenancy",
    "clinic.accounts",
    "clinic.admin",
    "clinic.api",
    "clinic.audit",
    "clinic.catalog",
    "clinic.mail",
    "clinic.outcomes",
    "clinic.patients",
    "clinic.portal",
    "clinic.privacy",
    "clinic.procedures",
    "clinic.reminders",
    "clinic.scheduling",
    "clinic.sms",
    "clinic.waitlist",
    "clinic.seed",
    "clinic.cli",
    "clinic.ops",
)


class ClinicApp(Flask):
    """The application: each request's view runs in one unit of work, committed once when it
    returns and rolled back when it raises, and run once more when its first run asks
    (clinic/unit_of_work.py)."""

    def dispatch_request(self) -> ResponseReturnValue:
        return unit_of_work.rerunnable(super().dispatch_request)


def create_app(config: str | dict | None = None) -> Flask:
    """Build the application. `config` names a configuration or gives settings to apply on top."""
    app = ClinicApp(
        __name__,
        template_folder=str(resource("templates")),
        static_folder=str(resource("static")),
        instance_path=str(INSTANCE),
    )
    register_config(app, config)
    register_extensions(app)
    register_timing(app)    # first: its clock starts before every other hook
    register_security(app)  # before the blueprints: it sets the URL converters their rules use
    register_errors(app)
    register_templates(app)
    init_packages(app)
    register_proxy_fix(app)
    return app


def register_proxy_fix(app: Flask) -> None:
    """Behind a reverse proxy, trust its X-Forwarded-* headers for as many hops as configured, so the
    sign-in limits and the audit log see the client's address, not the proxy's."""
    hops = {name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}") or 0) for name in ("for", "proto", "host", "prefix")}
    if any(hops.values()):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Flask's documented way to wrap its WSGI callable; its stubs declare it a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops["for"], x_proto=hops["proto"],  # type: ignore[method-assign]
                                x_host=hops["host"], x_prefix=hops["prefix"])


def register_config(app: Flask, config: str | dict | None) -> None:
    if isinstance(config, dict) and "__config__" in config:
        config = dict(config)
        name = config.pop("__config__")
    else:
        # A server that is not told otherwise is a production server (its checks apply).
        name = config if isinstance(config, str) else os.environ.get("CLINIC_ENV") or "production"
    if name not in CONFIGS:
        raise RuntimeError(f"CLINIC_ENV={name!r} is not one of {', '.join(CONFIGS)}")
    cls = CONFIGS[name]
    app.config.from_object(cls)
    if not app.config["TESTING"]:
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or None
    if isinstance(config, dict):
        app.config.update(config)
    check_sms(app.config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["TESTING"]:
        if not app.config["SECRET_KEY"] and app.config.get("SECRET_KEY_FILE"):
            app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
        problem = secret_key_problem(app.config["SECRET_KEY"])
        if problem:
            raise RuntimeError(f"{problem}: set SECRET_KEY to a long random value, for example the output of "
                               "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if hasattr(cls, "check"):
        cls.check(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A waiting writer must queue behind another (serialised writes), not fail at once.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    # One catalog for every text (`make translations` extracts, updates and compiles it).
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(PACKAGE / "translations"))


def register_extensions(app: Flask) -> None:
    from clinic import models
    from clinic.accounts import auth
    from clinic.extensions import babel, csrf, db, limiter, login_manager, migrate

    models.metadata()  # every table, for migrations and create_all
    db.init_app(app)
    migrate.init_app(app, db, directory=str(resource("migrations")), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    auth.init_login(login_manager)
    babel.init_app(app, locale_selector=auth.select_locale)
    with app.app_context():
        _sqlite_pragmas(db)


def _sqlite_pragmas(db) -> None:
    from sqlalchemy import event

    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, open transactions, so that BEGIN and SAVEPOINT
        # behave as documented (the driver's own implicit BEGIN breaks savepoints).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # IMMEDIATE: a transaction takes the write lock when it starts, so concurrent requests
        # queue (busy_timeout) instead of failing when a reader later needs to write. Writes on
        # the embedded database are serialised; PostgreSQL is for concurrency.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def init_packages(app: Flask) -> None:
    from importlib import import_module

    for name in INIT_ORDER:
        import_module(name).init_app(app)


def register_blueprint(app: Flask, bp: Blueprint, *route_modules: ModuleType) -> None:
    """Register a blueprint whose routes are spread over several modules: each is imported by the
    caller (so the blueprint has all of its routes) and must add them to this blueprint."""
    for module in route_modules:
        if getattr(module, "bp", None) is not bp:
            raise RuntimeError(f"{module.__name__} does not add its routes to blueprint {bp.name!r}")
    app.register_blueprint(bp)


def register_errors(app: Flask) -> None:
    from clinic.errors import register

    register(app)


def register_timing(app: Flask) -> None:
    from clinic import timing

    timing.register(app)


def register_security(app: Flask) -> None:
    from clinic.security import register

    register(app)


def register_templates(app: Flask) -> None:
    from clinic import templating

    templating.register(app)
