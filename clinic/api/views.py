"""The API blueprint: bearer-token authentication, JSON errors, no CSRF (no cookies used)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, render_template

from clinic.access import public
from clinic.accounts.auth import user_from_bearer
from clinic.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)


@bp.before_request
def authenticate() -> None:
    g.api_user = user_from_bearer()


@bp.route("/openapi.json")
@public
def openapi():
    from clinic.api.openapi import document

    return jsonify(document())


@bp.route("/docs")
@public
def docs():
    """Swagger UI over the OpenAPI document, from the app's own static files (static/vendor/swagger-ui)."""
    return render_template("api/docs.html")
