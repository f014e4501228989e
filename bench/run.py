"""`make bench`: every figure beside its baseline, measured in the same run on this machine.

Creates its own PostgreSQL database (BENCH_DATABASE_URL, default clinic_bench on 127.0.0.1:5432;
dropped and created again), migrates and seeds it, serves the clinic and a bare Flask route under
the same gunicorn settings on free loopback ports, and writes bench/results/latest.md.
Every request goes to 127.0.0.1; every loop is bounded in count or time.
BENCH_MAX_HISTORY (default 1000000) caps the largest history step; BENCH_REMINDERS (default 20000).
`bench/run.py reminders` runs the reminder part alone (same database setup, nothing written).
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scenarios  # noqa: E402
from common import ROOT, Server, env_for, flask, latencies, throughput  # noqa: E402

URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/clinic_bench")
SITE, BOOK_SITE = "bench", "bench-book"
LINES: list[str] = []


def say(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def recreate(url: str) -> None:
    base, name = conninfo(url).rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(env: dict, appointments: int, site: str = SITE, **kw) -> float:
    t0 = time.monotonic()
    args = ["clinic", "seed-scale", "--site", site, "--appointments", str(appointments)]
    for key, value in kw.items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    out = flask(env, *args)
    print(out.strip().splitlines()[-2], flush=True)
    return time.monotonic() - t0


def token(env: dict) -> dict:
    flask(env, "clinic", "create-user", "--email", "bench-admin@clinic.example", "--name", "Bench Admin",
          "--role", "admin", "--password", "bench-admin-password-2026")
    raw = flask(env, "clinic", "api-token", "--email", "bench-admin@clinic.example").split()[-1]
    return {"Authorization": f"Bearer {raw}"}


def availability_url(base: str, days: int) -> str:
    start = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    return f"{base}/api/v1/availability?location={SITE}&procedure=esi-interlaminar&date={start}&days={days}"


def fmt(m: dict) -> str:
    extra = f", server p50 {m['server_p50']:.1f} ms" if "server_p50" in m else ""
    return f"p50 {m['p50']:.1f} ms, p95 {m['p95']:.1f} ms, p99 {m['p99']:.1f} ms (n={m['n']}{extra})"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def reminders_part(env: dict) -> None:
    say("## Reminders (two dispatchers, `flask clinic send-due --all`, to a local aiosmtpd)")
    r = scenarios.reminders(env, conninfo(URL), SITE, int(os.environ.get("BENCH_REMINDERS", "20000")))
    base = r["baseline"]
    say(f"- {r['received']:,}/{r['count']:,} received in {r['seconds']:.1f}s: {r['per_second']:.0f}/s "
        f"(besides {r['others']:,} other messages due, such as booking confirmations, sent in the same passes); "
        f"duplicates {r['duplicates']}, lost {r['lost']}; rows {r['statuses']}")
    say(f"- bare smtplib loop, same server: {base['per_connection']:.0f}/s with a connection per message "
        f"(the target's baseline), {base['one_connection']:.0f}/s on one connection (as a dispatcher pass sends): "
        f"dispatchers at {r['per_second'] / base['per_connection']:.0%} and "
        f"{r['per_second'] / base['one_connection']:.0%} of them")
    say(f"- dispatchers: {r['dispatchers']}")
    say(f"Targets: >= 70% of the bare loop on one connection {verdict(r['per_second'] >= 0.7 * base['one_connection'])}; "
        f"zero duplicates {verdict(r['duplicates'] == 0)}; zero lost {verdict(r['lost'] == 0)}\n")


def main(parts: list[str]) -> int:
    """Every part (the figures in bench/results/latest.md), or `reminders` alone (printed only)."""
    started = time.monotonic()
    max_history = int(os.environ.get("BENCH_MAX_HISTORY", "1000000"))
    env = env_for(URL)
    say(f"# Benchmark run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    say(f"machine: {os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}")
    say("gunicorn: 2 workers, gthread, 4 threads; the same for the clinic and the bare route\n")
    recreate(URL)
    flask(env, "db", "upgrade")
    # The demo's staff have public passwords: the command runs only in a development app (the
    # bench's database is its own, dropped and made again at every run).
    flask({**env, "CLINIC_ENV": "development"}, "clinic", "seed-demo")
    seed(env, 10_000)
    if parts == ["reminders"]:
        reminders_part(env)
        say(f"Reminders part alone: {time.monotonic() - started:.0f}s (bench/results/latest.md left as it was)")
        return 0
    if parts:
        raise SystemExit("usage: bench/run.py [reminders]")
    seed(env, 0, site=BOOK_SITE, future_share=0)
    headers = token(env)
    app, bare = Server("wsgi:app", env), Server("bare_app:app", env, cwd=ROOT / "bench")
    # The same app with its availability cache off: every answer computed afresh.
    fresh = Server("wsgi:app", env_for(URL, AVAILABILITY_CACHE_MB="0"))
    results: dict = {}
    try:
        app.wait("/api/v1/availability", headers)
        fresh.wait("/api/v1/availability", headers)
        bare.wait("/bare")
        s = requests.Session()
        say("## Availability (60-day search, 6 physicians, 4 rooms)")
        say("'cached': the clinic as deployed (answers kept per worker under the site's schedule stamp);")
        say("'fresh': the same with AVAILABILITY_CACHE_MB=0, every answer computed from the database.")
        say("Growth with history, fresh (p50 must not grow with stored appointments):")
        growth = {}
        for n in sorted({10_000, 50_000, min(100_000, max_history), max_history}):
            if n != 10_000:
                say(f"  (seeding to {n:,} stored appointments: {seed(env, n):.0f}s)")
            growth[n] = latencies(s, availability_url(fresh.url, 60), 100, headers)
            say(f"- {n:>9,} stored appointments: {fmt(growth[n])}")
            if n == 50_000:
                size = len(s.get(availability_url(app.url, 60), headers=headers, timeout=60).json()["slots"])
                sized = f"{bare.url}/bare-sized?n={size}"
                results["size"] = size
                results["main"] = latencies(s, availability_url(app.url, 60), 300, headers)
                results["fresh"] = latencies(s, availability_url(fresh.url, 60), 100, headers)
                results["bare_lat"] = latencies(s, bare.url + "/bare", 300)
                results["sized_lat"] = latencies(s, sized, 300)
                results["app_rps"] = throughput(availability_url(app.url, 60), 4, 10, headers)
                results["fresh_rps"] = throughput(availability_url(fresh.url, 60), 4, 10, headers)
                results["bare_rps"] = throughput(bare.url + "/bare", 4, 10)
                results["sized_rps"] = throughput(sized, 4, 10)
                grouped = availability_url(fresh.url, 60) + "&group=start"
                results["grouped"] = latencies(s, grouped, 100, headers)
                results["bytes"] = (len(s.get(availability_url(app.url, 60), headers=headers, timeout=60).content),
                                    len(s.get(grouped, headers=headers, timeout=60).content))
                results["ranges"] = {d: latencies(s, availability_url(fresh.url, d), 50, headers) for d in (7, 30, 60, 120)}
        main_, fresh_, bare_lat = results["main"], results["fresh"], results["bare_lat"]
        ratio = results["app_rps"] / results["bare_rps"]
        say(f"\nAt 50,000 stored, 60 days ({results['size']:,} slots):")
        say(f"- cached: {fmt(main_)}")
        say(f"- fresh:  {fmt(fresh_)}")
        say(f"- bare route, one slot: {fmt(bare_lat)}; bare route, {results['size']:,} slots: {fmt(results['sized_lat'])}")
        say(f"Throughput, 4 clients for 10 s: cached {results['app_rps']:.0f} req/s, fresh {results['fresh_rps']:.0f} "
            f"req/s; bare route {results['bare_rps']:.0f} req/s (cached at {ratio:.0%} of it), bare route with an "
            f"answer of the same size {results['sized_rps']:.0f} req/s (cached at "
            f"{results['app_rps'] / results['sized_rps']:.0%} of it)")
        grouped, (plain_bytes, grouped_bytes) = results["grouped"], results["bytes"]
        say(f"- fresh, group=start: {fmt(grouped)}; answer {grouped_bytes / 1000:.0f} KB against "
            f"{plain_bytes / 1000:.0f} KB for one entry per slot")
        say("By range at 50,000 stored, fresh:")
        for d, m in results["ranges"].items():
            say(f"- {d:>3} days: {fmt(m)}")
        first, last = growth[10_000]["p50"], growth[max(growth)]["p50"]
        flat = last <= first * 1.5 + 2
        sized_lat = results["sized_lat"]
        say(f"Targets: fresh p50 <= 5 x the same-size bare route's ({fresh_['p50'] / sized_lat['p50']:.1f} x) "
            f"{verdict(fresh_['p50'] <= 5 * sized_lat['p50'])}; fresh p99 <= 2 x its p50 "
            f"{verdict(fresh_['p99'] <= 2 * fresh_['p50'])}; cached throughput >= 80% of the same-size bare route's "
            f"{verdict(results['app_rps'] >= 0.8 * results['sized_rps'])}; group=start fresh p50 < 15 ms "
            f"{verdict(grouped['p50'] < 15)}; flat with history ({first:.1f} -> {last:.1f} ms) {verdict(flat)}\n")

        say("## Booking (POST /api/v1/appointments, distinct slots, distinct patients)")
        b = scenarios.bookings(app.url, headers, BOOK_SITE, conninfo(URL), env=env)
        say(f"- {b['created']}/{b['bookings']} created by 20 clients in {b['seconds']:.1f}s: "
            f"{b['per_second']:.0f} bookings/s (other answers: {b['other_codes'] or 'none'}); "
            f"bare route {results['bare_rps']:.0f} req/s with 4 clients")
        if b["samples"]:
            say(f"- first answer of each other code: {b['samples']}")
        say(f"- 100 clients on one slot: {b['race_201']} x 201, {b['race_409']} x 409, other {b['race_other'] or 'none'}")
        counted = b["statements"] or {}
        say(f"- SQL statements of one booking (caches warm, counted in-process, answer {counted.get('status')}): "
            f"{counted.get('statements')} (target <= 12)")
        say(f"Targets: >= 150 bookings/s {verdict(b['per_second'] >= 150)}; >= 25% of the bare route's rate "
            f"({b['per_second'] / results['bare_rps']:.0%}) {verdict(b['per_second'] >= 0.25 * results['bare_rps'])}; "
            f"<= 12 statements {verdict((counted.get('statements') or 99) <= 12)}; exactly one success "
            f"{verdict(b['race_201'] == 1)}\n")
    finally:
        app.stop()
        fresh.stop()
        bare.stop()

    reminders_part(env)
    say(f"Total bench time: {time.monotonic() - started:.0f}s")
    out = ROOT / "bench" / "results" / "latest.md"
    out.write_text("\n".join(LINES) + "\n")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
