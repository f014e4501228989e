"""Gunicorn's settings, each read from the environment: `gunicorn -c gunicorn.conf.py` serves
`clinic:create_app()` (docker/entrypoint.sh serve does exactly that).

The access log names the path without its query string (%(U)s) and never the request line
(%(r)s), the query (%(q)s) or the Referer (%(f)s): search terms, names and link tokens travel in
query strings. The app writes its own JSON line per request as well (clinic/ops/logs.py).
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


wsgi_app = os.environ.get("GUNICORN_APP", "clinic:create_app()")
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 0)
# The proxies whose X-Forwarded-* headers gunicorn trusts (comma-separated addresses, or *).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = (
    '{"ts": "%(t)s", "remote": "%(h)s", "method": "%(m)s", "path": "%(U)s", "status": %(s)s, '
    '"bytes": "%(B)s", "duration_ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
)
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")


def child_exit(_server, worker) -> None:
    """A worker gone: its live gauges leave the multiprocess metrics (PROMETHEUS_MULTIPROC_DIR)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(_worker) -> None:
    """The app is built: its objects (models, catalog, templates, routes) live as long as the
    worker, so they leave the collector's generations and full collections stop walking them
    (the slowest answers were the ones that met a full collection)."""
    gc.collect()
    gc.freeze()
