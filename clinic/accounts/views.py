"""Sign in and out, the home page, the language switch."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user

from clinic.access import public, roles_required
from clinic.accounts import auth, limits
from clinic.accounts import services as account_services
from clinic.accounts.auth import LANGUAGES
from clinic.accounts.forms import ConfirmForm, LoginForm
from clinic.accounts.models import User, verify_nobody
from clinic.audit.services import record
from clinic.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("accounts.home")


@bp.route("/")
@roles_required()
def home():
    return render_template("accounts/home.html")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("accounts.home"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = limits.wait_before_next(email)
        if wait is not None:
            minutes = max(1, math.ceil(wait.total_seconds() / 60))
            flash(ngettext("Too many failed sign-ins for this account. Try again in %(num)d minute.",
                           "Too many failed sign-ins for this account. Try again in %(num)d minutes.",
                           minutes), "error")
            return render_template("accounts/login.html", form=form), 429
        user = db.session.execute(db.select(User).where(User.email == email)).scalar_one_or_none()
        # An unknown e-mail costs the same work as a wrong password: the time tells nothing.
        right = user.check_password(form.password.data) if user is not None else verify_nobody(form.password.data)
        if right and user is not None and user.active:
            limits.clear_failures(email)
            lang = session.get("lang")
            session.clear()  # a fresh session on login: no fixation
            if lang:
                session["lang"] = lang
            login_user(user)
            auth.start_session()
            return redirect(_safe_next(form.next.data))
        limits.record_failure(email)
        flash(_("E-mail or password is not right."), "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    if ConfirmForm().validate_on_submit():
        # Ended on the server too: a copy of this session's cookie no longer signs anyone in.
        # (The session generation is per user, so the user's other browsers are signed out as well;
        # their API tokens keep working, unlike "sign out everywhere".)
        current_user.session_generation += 1
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account")
@roles_required()
def account():
    return render_template("accounts/account.html", tokens=[t for t in current_user.tokens if t.revoked_at is None])


@bp.route("/logout-everywhere", methods=["GET", "POST"])
@roles_required()
def logout_everywhere():
    form = ConfirmForm()
    if form.validate_on_submit():
        revoked = account_services.end_all_sessions(current_user)
        record("user.logout_everywhere", "user", current_user.id, details={"tokens_revoked": revoked})
        logout_user()
        session.clear()
        flash(_("You are signed out on every device, and your API tokens are revoked."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("admin/confirm.html", form=form, affected=[],
                           question=_("Sign out everywhere? Every session you have open, on any device, ends, "
                                      "and every API token of yours stops working at once."),
                           back=url_for("accounts.account"))


@bp.route("/language/<lang>", methods=["POST"])
@public
def set_language(lang: str):
    if lang in LANGUAGES and ConfirmForm().validate_on_submit():
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
    return redirect(_safe_next(request.form.get("next")))
