"""The home page's lines of the schedule: today at the reader's sites by status, and the
appointments to reschedule."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from clinic.db import utcnow
from clinic.extensions import db
from clinic.labels import STATUS_LABELS
from clinic.navigation import HomeTask
from clinic.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from clinic.sites.models import Site
from clinic.tenancy import in_scope
from clinic.timeutil import local_date, local_day_bounds

TODAY_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROCEDURE,
                  AppointmentStatus.COMPLETED)


def _scoped(stmt: sa.Select, site_ids: set[int] | None) -> sa.Select:
    return in_scope(stmt, Appointment, sites=Appointment.site_id, site_ids=site_ids)


def today_by_status(site_ids: set[int] | None) -> dict[AppointmentStatus, int]:
    """Today's appointments (each site's own local day) by status, at the given sites."""
    now = utcnow()
    sites = db.session.scalars(_sites(site_ids)).all()
    days = [sa.and_(Appointment.site_id == site.id, Appointment.start_at >= start, Appointment.start_at < end)
            for site in sites for start, end in [local_day_bounds(local_date(now, site.tz), site.tz)]]
    if not days:
        return {}
    stmt = _scoped(sa.select(Appointment.status, sa.func.count()).where(
        sa.or_(*days), Appointment.status.in_(TODAY_STATUSES)).group_by(Appointment.status), site_ids)
    return {status: int(n) for status, n in db.session.execute(stmt).tuples()}


def _sites(site_ids: set[int] | None) -> sa.Select:
    stmt = sa.select(Site).where(Site.active.is_(True))
    return stmt if site_ids is None else stmt.where(Site.id.in_(site_ids or {-1}))


def _today(site_ids: set[int] | None) -> tuple[int, str]:
    counts = today_by_status(site_ids)
    return sum(counts.values()), " · ".join(f"{counts.get(status, 0)} {str(STATUS_LABELS[status.value]).lower()}"
                                            for status in TODAY_STATUSES)


def _to_reschedule(site_ids: set[int] | None) -> tuple[int, str]:
    stmt = _scoped(sa.select(sa.func.count()).select_from(Appointment).where(
        Appointment.status.in_(ACTIVE_STATUSES), Appointment.needs_reschedule.is_(True)), site_ids)
    return int(db.session.scalar(stmt) or 0), ""


TASKS = (
    HomeTask(name="today", label=_l("Appointments today at your sites"), permission="view_schedule",
             measure=_today, endpoint="scheduling.day", order=10),
    HomeTask(name="to_reschedule", label=_l("Appointments to reschedule"), permission="rearrange",
             measure=_to_reschedule, endpoint="admin.to_reschedule", order=20),
)
