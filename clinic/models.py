"""Imports every model module so that the metadata (and migrations) see the whole schema."""

from clinic.accounts.models import ApiToken, Role, User  # noqa: F401
from clinic.audit.models import AuditEvent  # noqa: F401
from clinic.outcomes.models import PainScore, PatientRequest  # noqa: F401
from clinic.patients.models import InjectionRecord, Patient, PatientMedication  # noqa: F401
from clinic.procedures.models import Checklist, ChecklistEntry  # noqa: F401
from clinic.reminders.models import Reminder  # noqa: F401
from clinic.scheduling.models import Appointment, AppointmentChange, IdempotencyKey, TimeOff, WorkingHours  # noqa: F401
from clinic.sites.models import Room, Site, SiteCalendarException  # noqa: F401
