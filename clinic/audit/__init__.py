"""The audit log: who saw or changed what, append-only. Its pages are administration pages
(clinic.admin.audit_pages); the log's own rules (append-only, every refusal on patient data on
record) are wired here."""

from __future__ import annotations

from flask import Flask, Response


def record_refused_attempt(response: Response) -> Response:
    """Every 403 or 404 on patient data is on record, whoever asked and wherever it was refused."""
    from clinic.audit.services import record_refusal

    record_refusal(response.status_code)
    return response


def init_app(app: Flask) -> None:
    from clinic.audit import queries

    queries.guard()
    app.after_request(record_refused_attempt)
