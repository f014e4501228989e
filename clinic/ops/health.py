"""/healthz (the process answers) and /readyz (it can serve: see readiness), for load balancers
and orchestrators: no authentication, no patient data."""

from __future__ import annotations

from flask import Blueprint, jsonify

from clinic.access import public
from clinic.ops import readiness

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    results = readiness.checks()
    ok = readiness.ready(results)
    return jsonify(status="ready" if ok else "unavailable", checks=results), 200 if ok else 503
