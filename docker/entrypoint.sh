#!/bin/sh
# The container's entry point (the tests run it as the image does):
#   migrate    build or update the schema (the compose file's one-shot service)
#   serve      the web app under gunicorn, settings from the environment (gunicorn.conf.py)
#   scheduler  one reminder dispatcher
#   ready      the readiness checks, exit 1 unless ready (a health check for the dispatcher)
#   backup     a SQLite backup (PostgreSQL: pg_dump, see the README)
#   anything else is run as given.
set -eu

HERE="$(cd "$(dirname "$0")" && pwd)"
GUNICORN_CONF="${GUNICORN_CONF:-$HERE/../gunicorn.conf.py}"
APP="${FLASK_APP:-clinic}"

: "${SECRET_KEY:?SECRET_KEY must be set}"
: "${DATABASE_URL:?DATABASE_URL must be set}"

fresh_metrics_dir() {
  # Prometheus' per-process files must start empty at each start of the server.
  if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
    rm -rf "$PROMETHEUS_MULTIPROC_DIR"
    mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  fi
}

command="${1:-serve}"
[ "$#" -gt 0 ] && shift
case "$command" in
  migrate)   unset PROMETHEUS_MULTIPROC_DIR; exec flask --app "$APP" db upgrade "$@" ;;
  serve)     fresh_metrics_dir; exec gunicorn --config "$GUNICORN_CONF" "$@" ;;
  scheduler) unset PROMETHEUS_MULTIPROC_DIR; exec flask --app "$APP" clinic scheduler "$@" ;;
  ready)     unset PROMETHEUS_MULTIPROC_DIR; exec flask --app "$APP" clinic ready "$@" ;;
  backup)    unset PROMETHEUS_MULTIPROC_DIR; exec flask --app "$APP" clinic backup "$@" ;;
  *)         exec "$command" "$@" ;;
esac
