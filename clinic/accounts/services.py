"""Creating users and issuing API tokens."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from clinic.accounts.models import ApiToken, Role, User
from clinic.audit.services import record
from clinic.db import utcnow
from clinic.errors import DomainError
from clinic.extensions import db
from clinic.names import name_problem
from clinic.sites.models import Organisation, Site
from clinic.tenancy import scoped

# NIST SP 800-63B 5.1.1.2: at least 12 characters here, no composition rules, and a blocklist.
MIN_PASSWORD_LENGTH = 12
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt"
# No password verifies against this hash: the user cannot sign in until an admin sets a password.
NO_PASSWORD = "!"  # noqa: S105


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (its source is in the file's header), lower case."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _is_common(password: str) -> bool:
    """In the list, as it is or once the digits and symbols around it are taken off ("Password2024!")."""
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,;:?/|~ ")
    return lowered in common_passwords() or not core or core in common_passwords() or len(set(lowered)) < 4


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError("weak_password", _l("Passwords need at least %(num)s characters.", num=MIN_PASSWORD_LENGTH))
    if _is_common(password):
        raise DomainError("weak_password", _l("This password is one of the most common ones (or close to one): "
                                              "choose another, for example a few unrelated words."))


def _site(site: Site | str) -> Site:
    """A site given as a row, or by its code among the caller's organisations' sites."""
    if isinstance(site, Site):
        return site
    found = db.session.execute(scoped(Site).where(Site.code == site)).scalar_one_or_none()
    if found is None:
        raise DomainError("unknown_location", f"No site with code {site!r}.")
    return found


def create_user(
    email: str, name: str, role: str, password: str | None, sites: Iterable[Site | str] = (),
    language: str | None = None, organisation_code: str | None = None,
) -> User:
    """A user with a role and sites (rows, or site codes), on the audit record. An admin given an
    organisation administers it only; an admin with neither an organisation nor a site is the
    deployment's administrator (every site). Without a password (None) the user cannot sign in."""
    email = email.strip().lower()
    try:
        role_value = Role(role)
    except ValueError:
        raise DomainError("invalid_role", f"Unknown role {role!r}; use one of {', '.join(Role)}.") from None
    problem = name_problem(name)
    if problem:
        raise DomainError("invalid_name", problem)
    if password is not None:
        check_password_rules(password)
    if db.session.execute(db.select(User.id).where(User.email == email)).first():
        raise DomainError("email_taken", _l("A user with e-mail %(email)s exists already.", email=email))
    site_rows = [_site(site) for site in sites]
    if role_value != Role.ADMIN and not site_rows:
        raise DomainError("location_required", _l("Every user but an admin needs at least one site."))
    organisation = None
    if organisation_code is not None:
        if role_value != Role.ADMIN:
            raise DomainError("organisation_admin_only",
                              "Only an admin is given an organisation; other users work for their sites' organisations.")
        organisation = db.session.scalar(db.select(Organisation).where(Organisation.code == organisation_code))
        if organisation is None:
            raise DomainError("unknown_organisation", f"No organisation with code {organisation_code!r}.")
        outside = [s.code for s in site_rows if s.organisation_id != organisation.id]
        if outside:
            raise DomainError("site_outside_organisation",
                              f"Sites {', '.join(outside)} do not belong to organisation {organisation_code}.")
    user = User(email=email, name=name.strip(), role=role_value, sites=site_rows, language=language or None,
                organisation=organisation)
    if password is None:
        user.password_hash = NO_PASSWORD
    else:
        user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record("user.create", "user", user.id,
           details={"email": user.email, "role": user.role.value, "sites": [s.code for s in site_rows]})
    return user


def end_all_sessions(user: User) -> int:
    """Every session of the user ends (session generation) and every API token is revoked; the
    number of tokens revoked. Used by sign out everywhere, a password change and deactivation."""
    user.session_generation += 1
    now = utcnow()
    revoked = 0
    for token in user.tokens:
        if token.revoked_at is None:
            token.revoked_at = now
            revoked += 1
    db.session.flush()
    return revoked


def user_by_email(email: str) -> User:
    user = db.session.execute(db.select(User).where(User.email == email.strip().lower())).scalar_one_or_none()
    if user is None:
        raise DomainError("unknown_user", f"No user with e-mail {email}.")
    return user


def issue_token(user: User, name: str = "", days: int | None = None) -> str:
    """A new token valid `days` days (None: until revoked), on the audit record; the raw value is
    returned once and only its hash is stored."""
    if not user.active:
        raise DomainError("inactive_user", f"User {user.email} is deactivated: a deactivated user cannot get a token.")
    if days is not None and days < 1:
        raise DomainError("invalid_days", "A token lasts at least one day (--days 1 or more).")
    token, raw = ApiToken.issue(user, name.strip()[:80], days)
    db.session.add(token)
    db.session.flush()
    record("api_token.issue", "user", user.id, details={"token": token.id, "prefix": token.prefix})
    return raw
