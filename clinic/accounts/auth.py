"""Session login (Flask-Login), bearer tokens for the API, and the interface language."""

from __future__ import annotations

from flask import g, has_request_context, request, session
from flask_login import LoginManager, current_user

from clinic.accounts.models import ApiToken, User
from clinic.extensions import db

LANGUAGES = ("en", "fr")


def init_login(manager: LoginManager) -> None:
    manager.login_view = "accounts.login"
    manager.login_message_category = "info"
    manager.session_protection = "strong"
    manager.user_loader(load_user)


def load_user(user_id: str) -> User | None:
    """Find the session's user; a changed session generation (logout everywhere) ends the session."""
    try:
        uid, generation = (int(part) for part in user_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


def user_from_bearer() -> User | None:
    """The active user of a valid, unrevoked bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(raw.strip()))
    ).scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    g.api_token = token
    return token.user


def select_locale() -> str:
    """The interface language: the user's choice, then the session's, then the browser's."""
    if not has_request_context():
        return "en"  # outside a request (dispatcher, CLI) messages choose their own language
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    user = getattr(g, "api_user", None) or (current_user if current_user.is_authenticated else None)
    if user is not None:
        if user.language in LANGUAGES:
            return user.language
        if user.sites:
            return user.sites[0].language
    return request.accept_languages.best_match(LANGUAGES) or "en"
