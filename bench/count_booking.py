"""The SQL statements of one booking, counted in this process: `python bench/count_booking.py BODIES`
with the bench server's environment, a bearer header in BENCH_AUTHORIZATION and BODIES a JSON list
of two booking bodies. The first books to warm the caches (as a worker that has served a while);
the second is counted. Prints one JSON line: {"status", "statements", "list"}."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clinic.extensions import db  # noqa: E402
from wsgi import app  # noqa: E402


def main(bodies: list[dict]) -> dict:
    headers = {"Authorization": os.environ["BENCH_AUTHORIZATION"]}
    client = app.test_client()
    client.post("/api/v1/appointments", json=bodies[0], headers=headers)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split())[:160])

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        status = client.post("/api/v1/appointments", json=bodies[1], headers=headers).status_code
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return {"status": status, "statements": len(statements), "list": statements}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
