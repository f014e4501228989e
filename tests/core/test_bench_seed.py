"""`flask clinic seed-scale`: a benchmark site filled without double booking, its stamp bumped."""

from __future__ import annotations

import itertools
import json

import sqlalchemy as sa

from clinic.scheduling import stamps
from clinic.scheduling.models import Appointment
from clinic.sites.models import Site


def test_seed_scale_fills_history_and_future_without_overlap(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["clinic", "seed-scale", "--site", "t-bench", "--appointments", "300",
                                 "--future-days", "10", "--future-share", "0.5"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    site = db.session.execute(sa.select(Site).where(Site.code == "t-bench")).scalar_one()
    rows = db.session.execute(sa.select(Appointment).where(Appointment.site_id == site.id)).scalars().all()
    assert summary["added"] == 300 and summary["future"] > 0
    assert len(rows) == 300 + summary["future"]
    assert len({p.id for p in site.rooms}) == 4
    for key in ("physician_id", "room_id"):
        for _, group in itertools.groupby(sorted(rows, key=lambda a: (getattr(a, key), a.start_at)),
                                          key=lambda a: getattr(a, key)):
            group = list(group)
            assert all(a.block_end_at <= b.start_at for a, b in itertools.pairwise(group))
    assert stamps.current(db.session, site.id) >= 1
    again = runner.invoke(args=["clinic", "seed-scale", "--site", "t-bench", "--appointments", "300"])
    assert json.loads(again.output.strip().splitlines()[-1]) == {"site": "t-bench", "added": 0, "future": 0}
