"""What /readyz and `flask clinic ready` check: the database answers, its schema is at the
migrations' head, and a reminder dispatcher finished a pass within twice its interval."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from clinic.extensions import db


def _script_heads() -> set[str]:
    heads = current_app.extensions.get("ops_migration_heads")
    if heads is None:
        config = current_app.extensions["migrate"].migrate.get_config()
        heads = set(ScriptDirectory.from_config(config).get_heads())
        current_app.extensions["ops_migration_heads"] = heads
    return heads


def _database() -> str:
    db.session.execute(sa.text("SELECT 1"))
    return "ok"


def _migrations() -> str:
    current = set(MigrationContext.configure(db.session.connection()).get_current_heads())
    return "ok" if current == _script_heads() else "behind"


def _dispatcher() -> str:
    from clinic.reminders import heartbeat

    if heartbeat.live():
        return "ok"
    return "stale" if heartbeat.all_rows() else "none"


def checks() -> dict[str, str]:
    """Each check's verdict ("ok" or why not); the later checks are not run once the database fails."""
    out: dict[str, str] = {}
    try:
        out["database"] = _database()
        out["migrations"] = _migrations()
        out["dispatcher"] = _dispatcher() if out["migrations"] == "ok" else "unknown"
    except sa.exc.SQLAlchemyError as err:
        current_app.logger.warning("readiness: database error %s", type(err).__name__)
        out.setdefault("database", "unreachable")
        out.setdefault("migrations", "unknown")
        out.setdefault("dispatcher", "unknown")
    finally:
        db.session.rollback()
    return out


def ready(results: dict[str, str]) -> bool:
    return all(v == "ok" for v in results.values())
