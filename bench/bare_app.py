"""The baseline: a bare Flask JSON route, served by the same gunicorn settings as the clinic."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/bare")
def bare():
    return jsonify({"slots": [{"start": "2026-01-05T09:00:00+01:00", "physician_id": 1, "room_id": 1}]})
