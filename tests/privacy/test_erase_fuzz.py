"""The erasure form takes hostile input like every other staff form: no 5xx, no live markup."""

from __future__ import annotations

import pytest

from tests.fuzz.test_form_fuzz import _fuzz


@pytest.mark.fuzz
def test_erase_form_survives_hostile_input(client, make_user, login, make_patient):
    """Hypothesis-typed confirmations re-render the form with an error (or erase); never a 5xx."""
    patient = make_patient()
    admin = make_user("admin")
    login(admin)
    _fuzz(client, f"/admin/patients/{patient.id}/erase", sign_in=lambda: login(admin))
