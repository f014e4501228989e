"""The home page's line of the portal: patients' requests still to handle."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clinic.extensions import db
from clinic.navigation import HomeTask
from clinic.portal.models import PatientRequest
from clinic.scheduling.models import Appointment
from clinic.tenancy import in_scope


def _open_requests(site_ids: set[int] | None) -> tuple[int, str]:
    stmt = (sa.select(sa.func.count()).select_from(PatientRequest)
            .outerjoin(Appointment, Appointment.id == PatientRequest.appointment_id)
            .where(PatientRequest.handled_at.is_(None)))
    stmt = in_scope(stmt, PatientRequest, sites=Appointment.site_id, site_ids=site_ids)
    return int(db.session.scalar(stmt) or 0), ""


TASK = HomeTask(name="requests", label=_l("Patient requests to handle"), permission="handle_requests",
                measure=_open_requests, endpoint="portal.requests", order=30)
