"""Shared helpers of the benchmarks: servers on loopback ports, timed requests, percentiles."""

from __future__ import annotations

import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GUNICORN_ARGS = ["--workers", "2", "--worker-class", "gthread", "--threads", "4", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict, *args: str, timeout: float = 900) -> str:
    """Run `flask --app wsgi ...` and return its output (raises on failure)."""
    done = subprocess.run([str(VENV_BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Server:
    """gunicorn serving `target` on a free loopback port until stop()."""

    def __init__(self, target: str, env: dict, cwd: Path = ROOT):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([str(VENV_BIN / "gunicorn"), *GUNICORN_ARGS, "--bind", f"127.0.0.1:{self.port}",
                                      target], cwd=cwd, env=env)

    def wait(self, path: str, headers: dict | None = None, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                requests.get(self.url + path, headers=headers, timeout=5)
                return
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or workers still booting
                time.sleep(0.2)
        raise RuntimeError(f"{self.url} did not answer within {timeout}s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def latencies(session: requests.Session, url: str, n: int, headers: dict | None = None) -> dict:
    """n sequential GETs (after 5 warm-ups): client-side ms p50/p99/mean and the server's own time."""
    for _ in range(5):
        session.get(url, headers=headers, timeout=30).raise_for_status()
    client, server = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        r = session.get(url, headers=headers, timeout=30)
        client.append((time.perf_counter() - t0) * 1000)
        r.raise_for_status()
        timing = r.headers.get("Server-Timing", "")
        if "dur=" in timing:
            server.append(float(timing.split("dur=")[1].split(";")[0].split(",")[0]))
    out = {"n": n, "p50": pct(client, 50), "p95": pct(client, 95), "p99": pct(client, 99),
           "mean": statistics.fmean(client)}
    if server:
        out["server_p50"] = pct(server, 50)
    return out


def throughput(url: str, clients: int, seconds: float, headers: dict | None = None) -> float:
    """Requests per second by `clients` concurrent keep-alive clients for `seconds` (bounded)."""
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def run(i: int) -> None:
        with requests.Session() as s:
            while time.monotonic() < stop:
                s.get(url, headers=headers, timeout=30).raise_for_status()
                counts[i] += 1

    t0 = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(run, range(clients)))
    return sum(counts) / (time.monotonic() - t0)


RUN_SECRET_KEY = secrets.token_urlsafe(48)


def env_for(database_url: str, **extra: str) -> dict:
    env = dict(os.environ)
    # Production settings on a closed machine (loopback address, mail catcher without TLS), and a
    # random key shared by every server of this run.
    env.update(DATABASE_URL=database_url, CLINIC_ENV="benchmark", SECRET_KEY=RUN_SECRET_KEY,
               SESSION_COOKIE_SECURE="0", BASE_URL="http://127.0.0.1", PYTHONUNBUFFERED="1", SERVER_TIMING="1",
               # gunicorn reads ./gunicorn.conf.py: no access log, and the app's request lines at
               # warning level only, as --log-level warning asks (the figures stay comparable).
               GUNICORN_ACCESS_LOG="", LOG_LEVEL="WARNING")
    env.update(extra)
    env.pop("SMTP_HOST", None)
    return env


def barrier_run(fn, n: int, timeout: float | None = None) -> list:
    """Call fn(i) in n threads released at the same instant; their results in order.

    With a timeout, the release and each thread's end are waited for that long at most: a result
    left at None is a call that never ended (or never started)."""
    barrier = threading.Barrier(n, timeout=timeout)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,), daemon=timeout is not None) for i in range(n)]
    for t in threads:
        t.start()
    deadline = None if timeout is None else time.monotonic() + timeout
    for t in threads:
        t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
    return results
