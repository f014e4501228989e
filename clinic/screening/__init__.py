"""Screening: the rules that decide whether an appointment may go ahead, and the preparation sheet.

A pure package: it reads nothing from the database and has no pages. The booking services hand it a
context that carries the patient, the site (and so its policy) and the patient's steroid history;
the appointment pages render its sheet."""
