"""An online backup of the SQLite database (sqlite3's backup API, as `sqlite3 .backup` does):
a consistent copy taken while the app runs, checked before it is reported."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from flask import current_app

from clinic.db import utcnow
from clinic.extensions import db


class BackupRefused(Exception):
    """The database is not a SQLite file, or the target is already there."""


def sqlite_file() -> Path:
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        raise BackupRefused(f"`flask clinic backup` copies SQLite databases; this one is {url.get_backend_name()}: "
                            "use pg_dump or point-in-time recovery (README, Backups)")
    if not url.database or url.database == ":memory:":
        raise BackupRefused("the SQLite database is in memory: there is no file to back up")
    return Path(url.database)


def default_target() -> Path:
    folder = Path(current_app.config.get("BACKUP_DIR") or Path(current_app.instance_path) / "backups")
    return folder / f"clinic-{utcnow():%Y%m%dT%H%M%SZ}.sqlite"


def backup(target: Path | None = None) -> Path:
    """Copy the database to `target` (default: BACKUP_DIR or instance/backups, named by the time)."""
    source = sqlite_file()
    target = target or default_target()
    if target.exists():
        raise BackupRefused(f"{target} exists already; backups are never overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        target.unlink()
        raise BackupRefused(f"the copy failed its integrity check ({verdict}); nothing was kept")
    return target
