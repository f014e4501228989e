"""`flask clinic ready` (the readiness checks, for a container's health check) and
`flask clinic backup` (a SQLite backup)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from clinic.cli import command


@command("ready")
def ready() -> None:
    """Print the readiness checks as JSON; exit 1 unless every one is ok."""
    from clinic.ops import readiness

    results = readiness.checks()
    click.echo(json.dumps(results))
    if not readiness.ready(results):
        raise SystemExit(1)


@command("backup")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The file to write (default: BACKUP_DIR or instance/backups/clinic-<time>.sqlite).")
def backup(target: Path | None) -> None:
    """Copy the SQLite database while the app runs (online backup); refuses other databases."""
    from clinic.ops.backup import BackupRefused
    from clinic.ops.backup import backup as run

    try:
        written = run(target)
    except BackupRefused as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"backup written: {written} ({written.stat().st_size} bytes)")
