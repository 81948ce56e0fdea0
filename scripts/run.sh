#!/usr/bin/env bash
# Serve the demo: migrations, demo data, a Celery worker when Redis answers, the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBUG="${DEBUG:-true}"
PY=.venv/bin/python
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://$HOST:$PORT}"

echo "==> Database: ${DATABASE_URL:-SQLite (db.sqlite3; set DATABASE_URL for PostgreSQL)}"
$PY manage.py migrate --noinput
$PY manage.py seed_demo

worker_pid=""
cleanup() { [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null || true; }
trap cleanup EXIT INT TERM

broker="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/0}"
hostport=$(echo "$broker" | sed -E 's#^[a-z]+://([^@/]*@)?([^/:]+)(:([0-9]+))?.*#\2:\4#; s#:$#:6379#')
if [ "${CELERY_TASK_ALWAYS_EAGER:-}" != "true" ] && $PY scripts/services.py "$hostport"; then
  echo "==> Redis answers at $hostport: starting a Celery worker (log: celery-worker.log)"
  .venv/bin/celery -A cxaudit worker --beat --loglevel=INFO --concurrency=2 >celery-worker.log 2>&1 &
  worker_pid=$!
else
  export CELERY_TASK_ALWAYS_EAGER=true
  echo "==> Redis is not reachable at $hostport: background tasks run in-process (no worker)."
fi
echo "==> Emails go through the outbox; what was sent is in the development mailbox: $SITE_URL/dev/mailbox/"
echo "==> Serving on $SITE_URL  (log in with a demo login above; Ctrl-C stops)"
$PY manage.py runserver "$HOST:$PORT"
