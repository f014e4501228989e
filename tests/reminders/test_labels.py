"""The staff appointment page shows its reminders as words and local times, in the reader's
language ("dimanche 1er mars à 09:00"), never as codes or ISO strings."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

BOOKED_AT = dt.datetime(2026, 2, 20, 10, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("language, words, day_before", [
    ("en", ("Reminder the day before", "to be sent"), "Sunday, March 1 at 9:00 AM"),
    ("fr", ("Rappel la veille", "à envoyer"), "dimanche 1er mars à 09:00"),
])
def test_reminders_in_words_and_local_times(client, db, paris, make_user, make_patient, api_token, login,
                                            language, words, day_before):
    make_user("physician", sites=[paris])
    desk = make_user("front_desk", sites=[paris], language=language)
    with time_machine.travel(BOOKED_AT, tick=False):
        r = client.post("/api/v1/appointments", headers=api_token(desk), json={
            "patient_id": make_patient().id, "location": "paris-test", "procedure": "esi-interlaminar",
            "start": "2026-03-02T09:00:00+01:00"})
        assert r.status_code == 201
        login(desk)
        html = client.get(f"/appointments/{r.get_json()['id']}").get_data(as_text=True)
    reminders = html[html.index(words[0]) - 200:html.index(words[0]) + 400]
    visible = re.sub(r"<[^>]+>", " ", reminders)
    assert all(w in html for w in words) and day_before in html
    assert "day_before" not in visible and "planned" not in visible and "+01:00" not in visible
