"""The front desk's printed day list: each appointment's flags (blood thinner and its stop date
from the booking's stored holds, sedation and escort, diabetes, allergy) and the patient's phone,
in the reader's language; links to the day before and after and a site picker; the day's rows
loaded in a constant number of statements; another organisation's site is not found."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web import statements

DAY = dt.date(2026, 6, 10)   # a Wednesday
HOLD = {"drug": "apixaban", "drug_fr": "apixaban", "stop_on": "2026-06-08", "restart_after": None, "note": "",
        "action": "stop", "risk": "high"}


def _flagged(make_patient, make_appointment, site, time=dt.time(9, 0)):
    patient = make_patient(site=site, first_name="Zoë", last_name="Lefèvre", phone="+33612345678",
                           conditions=["diabetes"], allergies=["iodinated_contrast"])
    return make_appointment(site=site, day=DAY, time=time, patient=patient, sedation=True, medication_holds=[HOLD])


@pytest.mark.parametrize(("reader", "words"), [
    ("en", ["Day list", "Blood thinner", "apixaban: stop from", "Sedation", "an adult escort takes the patient home",
            "Diabetes", "Allergy", "Iodinated contrast", "Wednesday"]),
    ("fr", ["Liste du jour", "Anticoagulant", "apixaban : arrêt à partir du", "Sédation",
            "un adulte raccompagne le patient", "Diabète", "Allergie", "Produit de contraste iodé", "mercredi"]),
])
def test_flags_and_phone_in_the_readers_language(client, login, make_user, make_patient, make_appointment, paris,
                                                 reader, words):
    """Each flag is a word in the reader's language next to a symbol, with the stop date of the
    stored hold and the patient's tap-to-call phone; a plain appointment has none."""
    flagged = _flagged(make_patient, make_appointment, paris)
    plain = make_appointment(site=paris, day=DAY, time=dt.time(11, 0))
    login(make_user("front_desk", sites=[paris], language=reader))
    response = client.get(f"/procedures/day-list?site={paris.code}&date={DAY}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    row = html.split(f'id="appointment-{flagged.id}"')[1].split("</tr>")[0]
    for word in words[1:-1]:
        assert word in row, word
    assert words[0] in html and words[-1] in html and f'lang="{reader}"' in html
    assert 'href="tel:+33612345678"' in row and "Zoë" in row and "Lefèvre" in row
    assert 'class="flag flag-thinner"' in row and "2026-06-08" not in row   # a date for people, not ISO
    plain_row = html.split(f'id="appointment-{plain.id}"')[1].split("</tr>")[0]
    assert 'class="flag ' not in plain_row


def test_previous_and_next_day_and_the_site_picker(client, login, make_user, make_site, paris):
    """The sheet links the day before and the day after at the same site and offers the reader's sites."""
    second = make_site(code="paris-second", name="Second site", organisation=paris.organisation)
    login(make_user("front_desk", sites=[paris, second]))
    html = client.get(f"/procedures/day-list?site={paris.code}&date={DAY}").get_data(as_text=True)
    assert f'href="/procedures/day-list?site={paris.code}&amp;date=2026-06-09"' in html
    assert f'href="/procedures/day-list?site={paris.code}&amp;date=2026-06-11"' in html
    assert f'<option value="{paris.code}" selected>' in html and f'<option value="{second.code}">' in html
    other = client.get(f"/procedures/day-list?site={second.code}&date=2026-06-11")
    assert other.status_code == 200 and "Second site" in other.get_data(as_text=True)


def test_another_organisations_site_is_not_found(client, login, make_user, paris, minnesota, make_patient,
                                                 make_appointment):
    """A front desk of one organisation asking for another's site gets a 404 and no patient."""
    appt = _flagged(make_patient, make_appointment, minnesota)
    login(make_user("front_desk", sites=[paris]))
    response = client.get(f"/procedures/day-list?site={minnesota.code}&date={DAY}")
    assert response.status_code == 404 and f"appointment-{appt.id}" not in response.get_data(as_text=True)


def test_statement_count_is_constant_with_the_number_of_appointments(client, db, login, make_user, make_patient,
                                                                     make_appointment, paris):
    """One flagged appointment or six: the page sends as many statements (no query per line)."""
    login(make_user("front_desk", sites=[paris]))
    url = f"/procedures/day-list?site={paris.code}&date={DAY}"
    _flagged(make_patient, make_appointment, paris)
    client.get(url)   # warm: the catalog's files and the session's user
    with statements(db) as one:
        assert client.get(url).status_code == 200
    for hour in range(10, 15):
        _flagged(make_patient, make_appointment, paris, time=dt.time(hour, 0))
    client.get(url)   # the test's own rows are written before counting, as above
    with statements(db) as six:
        html = client.get(url).get_data(as_text=True)
    assert html.count('class="flag flag-thinner"') == 6 + 1   # six lines and the key
    assert len(six) == len(one), "\n".join(six)
