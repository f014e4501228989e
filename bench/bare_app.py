"""The baselines: bare Flask JSON routes, served by the same gunicorn settings as the clinic.

`/bare` answers one slot; `/bare-sized?n=N` answers N slots of the clinic's shape, built once
and kept, so the stack's own cost of carrying an answer of that size can be set beside the
clinic's (a 60-day search at the bench site is about 7,700 slots, some 900 KB).
"""

from functools import lru_cache

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.route("/bare")
def bare():
    return jsonify({"slots": [{"start": "2026-01-05T09:00:00+01:00", "physician_id": 1, "room_id": 1}]})


@lru_cache(maxsize=8)
def _sized(n: int) -> str:
    slot = ('{"start":"2026-01-05T09:00:00+01:00","end":"2026-01-05T09:30:00+01:00","physician_id":1,'
            '"room":"Salle 1","room_id":1}')
    return '{"slots":[' + ",".join([slot] * n) + "]}"


@app.route("/bare-sized")
def bare_sized():
    return Response(_sized(min(max(request.args.get("n", 1, type=int), 1), 20_000)), mimetype="application/json")
