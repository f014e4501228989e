"""Staff accounts: users, roles, sign-in, API tokens."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from clinic.accounts import cli, views
    from clinic.cli import add_commands

    app.register_blueprint(views.bp)
    add_commands(cli.create_user, cli.api_token)
