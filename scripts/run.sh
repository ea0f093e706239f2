#!/usr/bin/env bash
# `make run`: the whole product on one machine. With no DATABASE_URL/REDIS_URL it runs on
# embedded defaults (SQLite, kombu's filesystem broker, a maildump mail sink); set them and
# the same command uses PostgreSQL and Redis. Ctrl-C stops every process.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.lock

export DEBUG=${DEBUG:-true}
export WEB_PORT=${WEB_PORT:-8000}
export VAR_DIR=${VAR_DIR:-$PWD/var}
export MAIL_SINK_SMTP_PORT=${MAIL_SINK_SMTP_PORT:-1025}
export MAIL_SINK_HTTP_PORT=${MAIL_SINK_HTTP_PORT:-1080}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$WEB_PORT}
export SMTP_URL=${SMTP_URL:-smtp://127.0.0.1:$MAIL_SINK_SMTP_PORT}
export OUTBOX_SWEEP_INTERVAL_SECONDS=${OUTBOX_SWEEP_INTERVAL_SECONDS:-15}
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p "$VAR_DIR/broker/processed"

python manage.py migrate --noinput
python manage.py seed_demo

cat <<INFO

  Resolute is starting (${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite in $VAR_DIR}, broker ${REDIS_URL:-filesystem in $VAR_DIR/broker}).
    Site          $SITE_URL/
    Admin         $SITE_URL/admin/
    API docs      $SITE_URL/api/docs/
    Mail viewer   http://127.0.0.1:$MAIL_SINK_HTTP_PORT/   (every mail lands here)
  Press Ctrl-C to stop everything.

INFO
exec honcho -f Procfile.dev start
