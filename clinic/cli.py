"""The `flask clinic ...` command group; each domain's cli.py adds its own commands to it."""

from importlib import import_module

from flask.cli import AppGroup

clinic_cli = AppGroup("clinic", help="Clinic administration commands.")


def load_commands() -> None:
    from clinic import domain_modules

    import_module("clinic.seed")
    for name in domain_modules("cli.py"):
        import_module(name)


load_commands()
