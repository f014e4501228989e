"""Admin pages: users, their role and sites, deactivation, passwords and API tokens."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from clinic.access import requires
from clinic.accounts import services as accounts
from clinic.accounts import users as user_services
from clinic.accounts.forms import ConfirmForm
from clinic.admin.forms import NewUserForm, PasswordForm, TokenForm, UserForm
from clinic.admin.views import bp, show_errors
from clinic.errors import DomainError, ValidationFailed
from clinic.extensions import db
from clinic.queryargs import page_arg

# Where the new-user form shows each refusal of accounts.create_user.
FIELD_OF_ERROR = {"weak_password": "password", "email_taken": "email", "invalid_role": "role",
                  "unknown_location": "sites", "location_required": "sites", "invalid_name": "name"}


def _field_error(err: DomainError) -> ValidationFailed:
    if isinstance(err, ValidationFailed):
        return err
    return ValidationFailed({FIELD_OF_ERROR.get(err.code, "email"): err.text})


def _with_sites(form: UserForm) -> UserForm:
    form.sites.choices = [(s.id, s.name) for s in user_services.all_sites()]
    return form


@bp.route("/users")
@requires("manage_users")
def users():
    q = request.args.get("q", "")[:200]
    page = page_arg()
    rows, total = user_services.search_users(q, page)
    pages = max(1, -(-total // user_services.PER_PAGE))
    return render_template("admin/users.html", users=rows, total=total, q=q, page=page, pages=pages)


@bp.route("/users/new", methods=["GET", "POST"])
@requires("manage_users")
def new_user():
    form = _with_sites(NewUserForm())
    if form.validate_on_submit():
        try:
            sites = user_services.sites_by_id(form.sites.data or [])
            user = accounts.create_user(form.email.data, form.name.data, form.role.data, form.password.data,
                                        sites, form.language.data)
        except DomainError as err:
            db.session.rollback()
            show_errors(form, _field_error(err))
        else:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.user", user_id=user.id))
    elif request.method == "POST":
        flash(_("Please correct the marked fields."), "error")
    return render_template("admin/user_form.html", form=form, user=None), 422 if form.errors else 200


def _render_user(user, form=None, password_form=None, token_form=None, raw_token=None, status=200):
    if form is None:
        form = _with_sites(UserForm(obj=user, formdata=None))
        form.role.data, form.sites.data = user.role.value, [s.id for s in user.sites]
        form.language.data = user.language or ""
    return render_template(
        "admin/user.html", user=user, form=form, password_form=password_form or PasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None), tokens=user_services.tokens(user), raw_token=raw_token,
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@requires("manage_users")
def user(user_id: int):
    target = user_services.get_user(user_id)
    if request.method == "GET":
        return _render_user(target)
    form = _with_sites(UserForm())
    if form.validate_on_submit():
        try:
            user_services.update_user(target, current_user, form.name.data, form.role.data, form.sites.data or [],
                                      form.language.data)
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    else:
        flash(_("Please correct the marked fields."), "error")
    return _render_user(target, form=form, status=422)


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@requires("manage_users")
def reset_password(user_id: int):
    target = user_services.get_user(user_id)
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            user_services.reset_password(target, form.password.data)
        except ValidationFailed as err:
            db.session.rollback()
            show_errors(form, err)
        else:
            flash(_("Password changed; the user's open sessions have ended."), "success")
            return redirect(url_for("admin.user", user_id=target.id))
    else:
        flash(_("Please correct the marked fields."), "error")
    return _render_user(target, password_form=form, status=422)


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
@requires("manage_users")
def deactivate_user(user_id: int):
    target = user_services.get_user(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user_services.deactivate(target, current_user)
        except DomainError as err:
            db.session.rollback()
            flash(err.text, "error")
        else:
            flash(_("%(email)s is deactivated: sessions and tokens stopped working.", email=target.email), "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/confirm.html", form=form, affected=[],
                           question=_("Deactivate %(name)s (%(email)s)? Their sessions and API tokens stop "
                                      "working at once.", name=target.name, email=target.email),
                           back=url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@requires("manage_users")
def reactivate_user(user_id: int):
    target = user_services.get_user(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user_services.reactivate(target)
    flash(_("%(email)s is active again.", email=target.email), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/<int:user_id>/tokens", methods=["POST"])
@requires("manage_users")
def issue_token(user_id: int):
    target = user_services.get_user(user_id)
    form = TokenForm()
    if not form.validate_on_submit():
        flash(_("Please correct the marked fields."), "error")
        return _render_user(target, token_form=form, status=422)
    try:
        raw = accounts.issue_token(target, form.name.data)
    except DomainError as err:
        db.session.rollback()
        flash(err.text, "error")
        return _render_user(target, token_form=form, status=422)
    return _render_user(target, raw_token=raw)


@bp.route("/users/<int:user_id>/tokens/<int:token_id>/revoke", methods=["GET", "POST"])
@requires("manage_users")
def revoke_token(user_id: int, token_id: int):
    target = user_services.get_user(user_id)
    token = next((t for t in user_services.tokens(target) if t.id == token_id), None) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        user_services.revoke_token(target, token_id)
        flash(_("Token %(prefix)s… revoked.", prefix=token.prefix), "success")
        return redirect(url_for("admin.user", user_id=target.id))
    return render_template("admin/confirm.html", form=form, affected=[],
                           question=_("Revoke the token %(prefix)s… (%(name)s) of %(email)s? Programs using it "
                                      "stop working at once.", prefix=token.prefix, name=token.name or "—",
                                      email=target.email),
                           back=url_for("admin.user", user_id=target.id))
