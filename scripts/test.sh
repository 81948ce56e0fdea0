#!/usr/bin/env bash
# Run the whole suite: lint, migrations check, pytest (PostgreSQL, Redis worker, SMTP sink, Chromium).
# Outside CI a missing service skips the tests that need it, with the reason; in CI (CI=true) the
# suite fails instead, so that nothing is silently left untested.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export CXAUDIT_TESTING=true
ci="${CI:-false}"

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "==> Installing Debian chromium and chromium-driver for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/tmp/cxaudit-apt.log 2>&1 \
      || { echo "!! apt-get could not install chromium (see /tmp/cxaudit-apt.log)"; }
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  [ "$ci" = "true" ] && { echo "!! CI needs /usr/bin/chromium for the browser tests"; exit 1; }
  echo "==> SKIPPING browser tests: /usr/bin/chromium is not installed (apt-get install chromium)."
fi

if [ -z "${DATABASE_URL:-}" ]; then
  if $PY scripts/services.py 127.0.0.1:5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/cxaudit"
  else
    [ "$ci" = "true" ] && { echo "!! CI needs PostgreSQL at 127.0.0.1:5432"; exit 1; }
    echo "==> PostgreSQL not reachable: testing on SQLite (CI uses PostgreSQL)."
  fi
fi
echo "==> Database: ${DATABASE_URL:-SQLite}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-redis://127.0.0.1:6379/15}"
export CELERY_QUEUE="cxaudit-test-$$"

echo "==> ruff"
.venv/bin/ruff check .
echo "==> migrations are committed"
$PY manage.py makemigrations --check --dry-run >/dev/null || {
  echo "!! model changes without migrations: run manage.py makemigrations"; exit 1; }

echo "==> pytest"
exec .venv/bin/pytest "$@"
