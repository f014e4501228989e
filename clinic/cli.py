"""The `flask clinic ...` command group. Each package's init_app adds its own commands to it (see
`command`); `init_app` here puts the group on the app's CLI."""

from __future__ import annotations

from collections.abc import Callable

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

clinic_cli = AppGroup("clinic", help="Clinic administration commands.")


def command(name: str) -> Callable[[Callable], click.Command]:
    """A `flask clinic <name>` command run inside the app context, as `clinic_cli.command` makes it,
    but not added to the group: its domain's init_app adds it."""

    def decorator(fn: Callable) -> click.Command:
        return click.command(name)(with_appcontext(fn))

    return decorator


def add_commands(*commands: click.Command) -> None:
    """Add the commands to `flask clinic` (again is harmless: the group keys them by name)."""
    for cmd in commands:
        clinic_cli.add_command(cmd)


def init_app(app: Flask) -> None:
    app.cli.add_command(clinic_cli)
