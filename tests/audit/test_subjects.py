"""An id in a URL that names patient data finds its patient through the model it names: each such
model declares its name for the audit log, and the log reads the declarations from the mapped models."""

from __future__ import annotations

from clinic.audit.services import PATIENT_DATA_ARGS, _patient_of, _subjects
from clinic.patients.models import Patient
from clinic.portal.models import PatientRequest
from clinic.reminders.models import Reminder
from clinic.scheduling.models import Appointment
from clinic.waitlist.models import WaitingEntry


def test_each_kind_of_patient_data_in_a_url_has_its_model(app):
    assert _subjects() == {"patient": Patient, "appointment": Appointment, "reminder": Reminder,
                           "request": PatientRequest, "waiting_entry": WaitingEntry}
    assert set(PATIENT_DATA_ARGS.values()) == set(_subjects())


def test_the_patient_of_a_named_object(db, make_patient, make_appointment):
    patient = make_patient()
    appointment = make_appointment(patient=patient)
    assert _patient_of("patient", patient.id) == patient.id
    assert _patient_of("appointment", appointment.id) == patient.id
    assert _patient_of("appointment", appointment.id + 1000) is None
    assert _patient_of("patient", 2**31) is None
