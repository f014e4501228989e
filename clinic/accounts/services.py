"""Creating users and issuing API tokens."""

from __future__ import annotations

from collections.abc import Iterable

from clinic.accounts.models import ApiToken, Role, User
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.sites.models import Organisation, Site

MIN_PASSWORD_LENGTH = 10


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("weak_password", f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if password.isdigit() or password.isalpha():
        raise DomainError("weak_password", "Passwords need letters and at least one digit or symbol.")


def create_user(
    email: str, name: str, role: str, password: str, site_codes: Iterable[str] = (), language: str | None = None,
    organisation_code: str | None = None,
) -> User:
    """A user with a role and sites. An admin given an organisation administers it only; an admin
    with neither an organisation nor a site is the deployment's administrator (every site)."""
    email = email.strip().lower()
    try:
        role_value = Role(role)
    except ValueError:
        raise DomainError("invalid_role", f"Unknown role {role!r}; use one of {', '.join(Role)}.") from None
    check_password_rules(password)
    if db.session.execute(db.select(User.id).where(User.email == email)).first():
        raise DomainError("email_taken", f"A user with e-mail {email} exists already.")
    sites = []
    for code in site_codes:
        site = db.session.execute(db.select(Site).where(Site.code == code)).scalar_one_or_none()
        if site is None:
            raise DomainError("unknown_location", f"No site with code {code!r}.")
        sites.append(site)
    if role_value != Role.ADMIN and not sites:
        raise DomainError("location_required", "Every user but an admin needs at least one site.")
    organisation = None
    if organisation_code is not None:
        if role_value != Role.ADMIN:
            raise DomainError("organisation_admin_only",
                              "Only an admin is given an organisation; other users work for their sites' organisations.")
        organisation = db.session.scalar(db.select(Organisation).where(Organisation.code == organisation_code))
        if organisation is None:
            raise DomainError("unknown_organisation", f"No organisation with code {organisation_code!r}.")
        outside = [s.code for s in sites if s.organisation_id != organisation.id]
        if outside:
            raise DomainError("site_outside_organisation",
                              f"Sites {', '.join(outside)} do not belong to organisation {organisation_code}.")
    user = User(email=email, name=name.strip(), role=role_value, sites=sites, language=language,
                organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def issue_token(email: str, name: str = "") -> str:
    user = db.session.execute(db.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise DomainError("unknown_user", f"No user with e-mail {email}.")
    if not user.active:
        raise DomainError("inactive_user", f"User {email} is deactivated.")
    token, raw = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    return raw
