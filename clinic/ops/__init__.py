"""Running the app in production: health and readiness (which reads the dispatcher's heartbeat),
JSON request logs, Prometheus metrics, optional error reports to Sentry and SQLite backups.

`init_app(app)` is called once by create_app; each part reads its own settings from the
environment (see `settings`).
"""

from __future__ import annotations

import os

from flask import Flask


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def settings() -> dict:
    """This package's settings, read from the environment when the app is built."""
    return {
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "json"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN") or None,
        "SENTRY_DSN": os.environ.get("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": os.environ.get("SENTRY_ENVIRONMENT") or (os.environ.get("CLINIC_ENV") or "production"),
        "SENTRY_TRACES_SAMPLE_RATE": float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE") or 0),
        "BACKUP_DIR": os.environ.get("BACKUP_DIR") or None,
        "HEARTBEAT_KEEP_SECONDS": _int("HEARTBEAT_KEEP_SECONDS", 86_400),
    }


def init_app(app: Flask) -> None:
    from clinic.cli import add_commands
    from clinic.ops import cli, errors, health, logs, metrics

    for key, value in settings().items():
        app.config.setdefault(key, value)
    logs.init_app(app)
    metrics.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.bp)
    add_commands(cli.ready, cli.backup)
