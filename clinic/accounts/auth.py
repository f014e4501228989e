"""Session login (Flask-Login), bearer tokens for the API, and the interface language."""

from __future__ import annotations

import datetime as dt
import time

from flask import current_app, g, has_request_context, request, session
from flask_login import LoginManager, current_user
from sqlalchemy.orm import joinedload

from clinic import unit_of_work
from clinic.accounts.models import ApiToken, User
from clinic.db import utcnow
from clinic.extensions import db

# The session key holding when the user signed in (seconds since the epoch): the absolute lifetime.
SIGNED_IN_AT = "signed_in_at"
# A token's last use is written at most this often (one write per token per minute, not per request).
LAST_USE_EVERY = dt.timedelta(minutes=1)

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
    signed_in_at = session.get(SIGNED_IN_AT)
    max_age = current_app.config["SESSION_MAX_HOURS"] * 3600
    if not isinstance(signed_in_at, int | float) or not 0 <= time.time() - signed_in_at < max_age:
        return None  # older than SESSION_MAX_HOURS, however active: sign in again
    user = db.session.get(User, uid)
    if user is None or not user.active or user.session_generation != generation:
        return None
    return user


def start_session() -> None:
    """Mark the session just signed in (its absolute lifetime starts now)."""
    session[SIGNED_IN_AT] = int(time.time())
    session.permanent = True  # idle expiry (PERMANENT_SESSION_LIFETIME), set once, not on each request


def user_from_bearer() -> User | None:
    """The active user of a valid, unrevoked bearer token, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    # The token, its user and the user's sites (what every route's access check reads) in one statement.
    token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(raw.strip()))
        .options(joinedload(ApiToken.user).joinedload(User.sites))
    ).unique().scalar_one_or_none()
    now = utcnow()
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY:
        # Its own small transaction, before the request's work: kept whatever the request does.
        db.session.execute(db.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        unit_of_work.commit()
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
