"""The development mail folder (admin): the messages the outbox transport wrote, listed and read,
each reading on the audit record for the patients addressed."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template

from clinic.access import requires
from clinic.audit.services import record, record_shown
from clinic.mail import folder
from clinic.queryargs import page_arg

bp = Blueprint("mail", __name__, url_prefix="/admin/mail-folder")
PER_PAGE = 20


@bp.route("")
@requires("read_mail_folder")
def folder_index():
    number = page_arg()
    entries, total = folder.page(number, PER_PAGE)
    record_shown("outbox.list", [(pid, None) for pid in folder.addressed_patients([e.headers for e in entries])],
                 {"page": number, "names": [e.name for e in entries]})
    pages = max(1, -(-total // PER_PAGE))
    return render_template("mail/folder_index.html", entries=entries, total=total, page=number, pages=pages,
                           folder=str(folder.folder()), modified=_modified)


@bp.route("/<name>")
@requires("read_mail_folder")
def folder_message(name: str):
    message = folder.read(name) or abort(404)
    patients = folder.addressed_patients([message["headers"]])
    record("outbox.read", "outbox", name, patients[0] if len(patients) == 1 else None,
           {"patients": patients} if len(patients) > 1 else None)
    return render_template("mail/folder_message.html", message=message)


def _modified(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)
