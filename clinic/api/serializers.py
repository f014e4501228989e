"""JSON shapes of the API's resources."""

from __future__ import annotations

from clinic.accounts.models import User
from clinic.catalog import Procedure
from clinic.patients.models import Patient
from clinic.patients.services import injection_history
from clinic.sites.models import Site


def site_json(site: Site) -> dict:
    return {
        "code": site.code,
        "name": site.name,
        "timezone": site.timezone,
        "country": site.country,
        "language": site.language,
        "address": site.address,
        "phone": site.phone,
    }


def procedure_json(proc: Procedure, language: str) -> dict:
    return {
        "code": proc.code,
        "name": proc.label(language),
        "duration_minutes": proc.duration_minutes,
        "imaging": list(proc.imaging),
        "contrast": proc.contrast,
        "steroid": proc.steroid,
        "bleeding_risk": proc.bleeding_risk,
        "bleeding_risk_cervical": proc.bleeding_risk_cervical or proc.bleeding_risk,
        "regions": list(proc.regions),
        "source": proc.source,
    }


def physician_json(user: User) -> dict:
    return {"id": user.id, "name": user.name, "locations": [s.code for s in user.sites]}


def patient_json(patient: Patient, with_history: bool = False) -> dict:
    data = {
        "id": patient.id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "birth_date": patient.birth_date.isoformat(),
        "email": patient.email,
        "phone": patient.phone or None,
        "sms_opt_in": bool(patient.sms_opt_in),
        "language": patient.language,
        "sex": patient.sex or "unknown",
        "conditions": list(patient.conditions),
        "allergies": list(patient.allergies),
        "medications": [{"drug": m.drug, "indication": m.indication} for m in patient.medications],
    }
    if with_history:
        data["injection_history"] = injection_history(patient)
    return data
