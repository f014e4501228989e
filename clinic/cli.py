"""The `flask clinic ...` command group; each domain adds its own commands to it."""

from flask.cli import AppGroup

clinic_cli = AppGroup("clinic", help="Clinic administration commands.")

# Domain command modules register themselves on clinic_cli when imported.
from clinic.accounts import cli as _accounts_cli  # noqa: E402,F401
from clinic import seed as _seed  # noqa: E402,F401
