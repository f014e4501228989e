"""`flask clinic create-user` and `flask clinic api-token`."""

from __future__ import annotations

import click

from clinic.accounts import services
from clinic.cli import command
from clinic.errors import DomainError
from clinic.unit_of_work import unit_of_work


@command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["front_desk", "physician", "nurse", "admin"]))
@click.option("--password", required=True)
@click.option("--location", "locations", multiple=True, help="Site code; repeat once per site.")
@click.option("--language", type=click.Choice(["en", "fr"]), default=None)
@click.option("--organisation", "organisation", default=None,
              help="Organisation code: an admin of that organisation only (admins without it or a site see every site).")
def create_user(email: str, name: str, role: str, password: str, locations: tuple[str, ...], language: str | None,
                organisation: str | None):
    """Create a user with a role and sites."""
    try:
        with unit_of_work():
            user = services.create_user(email, name, role, password, locations, language, organisation)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@command("api-token")
@click.option("--email", required=True)
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Days the token is valid (without it: until revoked).")
def api_token(email: str, name: str, days: int | None):
    """Print a new API token for a user (the last word of the last line)."""
    try:
        with unit_of_work():
            raw = services.issue_token(services.user_by_email(email), name, days)
    except DomainError as err:
        raise click.ClickException(err.message) from err
    click.echo("Keep this token secret; it is shown only once.")
    if days:
        click.echo(f"It expires in {days} day{'s' if days > 1 else ''}.")
    click.echo(f"API token: {raw}")
