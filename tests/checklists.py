"""A valid answer to any checklist item, for tests that walk a procedure-day checklist forward."""

from __future__ import annotations

ANSWERS = {
    "yes_no": True, "number": 1, "choice": None, "text": "Siemens Cios Alpha",
    "vitals": {"systolic": 128, "diastolic": 78, "pulse": 72, "spo2": 98}, "pain_score": 6,
}
VALUES = {"inr": 1.1, "glucose": 1.2, "steroid": "dexamethasone", "steroid_dose_mg": 8, "contrast_volume_ml": 2,
          "fluoroscopy_time_s": 25, "dose_area_product": 310, "complications": "none", "pain_after": 2}


def answer(item) -> object:
    """A valid value for any item."""
    if item.code in VALUES:
        return VALUES[item.code]
    if item.type == "choice":
        return item.choices[0]
    if item.type == "number":
        return item.min if item.min is not None else 1
    return ANSWERS[item.type]
