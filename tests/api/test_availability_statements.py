"""What an availability answer costs the database, once the site's reference data is in memory: a
fresh answer reads the token (with its user and sites), the site's stamps (with the site itself
when the caller is an administrator, who works at every site) and the appointments of the range;
an answer kept under the stamps reads the first two only."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web import statements


def _selects(seen: list[str]) -> list[str]:
    """The reads a worker sends (the test's own savepoints, which stand for its BEGIN and COMMIT, apart)."""
    return [" ".join(s.split()) for s in seen if s.lstrip().upper().startswith("SELECT")]


@pytest.mark.parametrize("role", ["front_desk", "admin"])
def test_a_fresh_answer_costs_three_reads_and_a_kept_one_two(client, db, paris, make_user, api_as, role):
    make_user("physician", sites=[paris])
    headers = api_as(role)
    day = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).date()
    url = f"/api/v1/availability?location={paris.code}&procedure=esi-interlaminar&date={day}"
    assert client.get(url + "&days=3", headers=headers).status_code == 200   # the reference data, read once
    with statements(db) as fresh:
        first = client.get(url + "&days=14", headers=headers)
    with statements(db) as kept:
        again = client.get(url + "&days=14", headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["slots"] and again.get_data() == first.get_data()
    reads, cached = _selects(fresh), _selects(kept)
    assert len(reads) == 3, reads
    assert "FROM api_tokens" in reads[0] and "schedule_stamps" in reads[1] and "FROM appointments" in reads[2]
    assert ("FROM sites" in reads[1]) == (role == "admin")      # a member of staff's sites came with the token
    assert cached == reads[:2], cached
