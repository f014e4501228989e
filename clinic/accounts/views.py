"""Sign in and out, the home page, the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from clinic.access import public, roles_required
from clinic.accounts.auth import LANGUAGES
from clinic.accounts.forms import ConfirmForm, LoginForm
from clinic.accounts.models import User
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
        user = db.session.execute(
            db.select(User).where(User.email == form.email.data.strip().lower())
        ).scalar_one_or_none()
        if user is not None and user.active and user.check_password(form.password.data):
            lang = session.get("lang")
            session.clear()  # a fresh session on login: no fixation
            if lang:
                session["lang"] = lang
            login_user(user)
            return redirect(_safe_next(form.next.data))
        flash(_("E-mail or password is not right."), "error")
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@roles_required()
def logout():
    if ConfirmForm().validate_on_submit():
        logout_user()
        session.clear()
        flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/logout-everywhere", methods=["POST"])
@roles_required()
def logout_everywhere():
    if ConfirmForm().validate_on_submit():
        current_user.session_generation += 1
        db.session.commit()
        logout_user()
        session.clear()
        flash(_("You are signed out on every device."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/language/<lang>", methods=["POST"])
@public
def set_language(lang: str):
    if lang in LANGUAGES and ConfirmForm().validate_on_submit():
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(_safe_next(request.form.get("next")))
