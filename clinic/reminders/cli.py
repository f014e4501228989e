"""`flask clinic send-due` (one dispatch pass) and `flask clinic scheduler` (the dispatcher process)."""

from __future__ import annotations

import logging
import signal

import click
from flask import current_app

from clinic.cli import command

log = logging.getLogger(__name__)


@command("send-due")
@click.option("--batch-size", type=int, default=None, help="Rows claimed per pass (DISPATCH_BATCH_SIZE).")
@click.option("--worker-id", default=None, help="Name written in claimed_by (default host:pid).")
@click.option("--all", "until_empty", is_flag=True, help="Repeat passes until nothing is due.")
def send_due(batch_size: int | None, worker_id: str | None, until_empty: bool) -> None:
    """Send the reminders that are due, once, and print the counts."""
    from clinic.reminders import dispatcher

    run = dispatcher.dispatch_until_empty if until_empty else dispatcher.dispatch_once
    counts = run(batch_size, worker_id)
    click.echo(" ".join(f"{k}={v}" for k, v in counts.as_dict().items()))


def _job(app, worker_id: str, started_at) -> None:
    from clinic.reminders import dispatcher, heartbeat

    with app.app_context():
        try:
            counts = dispatcher.dispatch_once(app.config["DISPATCH_BATCH_SIZE"], worker_id)
            heartbeat.beat(worker_id, app.config["DISPATCH_INTERVAL_SECONDS"], started_at, counts)
        except Exception:  # the next run tries again; a pass never kills the scheduler
            log.exception("dispatch pass failed")
            return
        if counts.claimed:
            log.info("dispatch pass: %s", counts.as_dict())


@command("scheduler")
@click.option("--worker-id", default=None, help="Name written in claimed_by (default host:pid).")
def scheduler(worker_id: str | None) -> None:
    """Run the reminder dispatcher every DISPATCH_INTERVAL_SECONDS until SIGTERM or SIGINT."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from clinic.db import utcnow
    from clinic.reminders.dispatcher import default_worker_id

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy's; typed as the Flask app
    worker_id = worker_id or default_worker_id()
    interval = app.config["DISPATCH_INTERVAL_SECONDS"]
    sched = BlockingScheduler(timezone="UTC")
    sched.add_job(_job, "interval", seconds=interval, args=(app, worker_id, utcnow()), id="dispatch",
                  max_instances=1, coalesce=True, next_run_time=utcnow(), misfire_grace_time=interval)

    def stop(signum, _frame) -> None:
        log.info("signal %s: finishing the current pass and stopping", signum)
        sched.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"Reminder dispatcher {worker_id}: every {interval}s (Ctrl-C stops).")
    sched.start()
    click.echo("Reminder dispatcher stopped.")
