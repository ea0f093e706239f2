#!/usr/bin/env bash
# `make run`: the whole product on one machine. With no DATABASE_URL/REDIS_URL it runs on
# embedded defaults (SQLite, kombu's filesystem broker, a maildump mail sink); set them and
# the same command uses PostgreSQL and Redis. Ctrl-C stops every process.
# Ports: WEB_PORT (8000), MAIL_SINK_SMTP_PORT (1025), MAIL_SINK_HTTP_PORT (1080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.lock

export DEBUG=${DEBUG:-true}
export WEB_PORT=${WEB_PORT:-8000}
export VAR_DIR=${VAR_DIR:-$PWD/var}
export MAIL_SINK_SMTP_PORT=${MAIL_SINK_SMTP_PORT:-1025}
export MAIL_SINK_HTTP_PORT=${MAIL_SINK_HTTP_PORT:-1080}
export SITE_URL=${SITE_URL:-http://127.0.0.1:$WEB_PORT}
sink_smtp_url=smtp://127.0.0.1:$MAIL_SINK_SMTP_PORT
export SMTP_URL=${SMTP_URL:-$sink_smtp_url}
export OUTBOX_SWEEP_INTERVAL_SECONDS=${OUTBOX_SWEEP_INTERVAL_SECONDS:-15}
export PATH="$PWD/.venv/bin:$PATH"
mkdir -p "$VAR_DIR/broker/processed"

# A port another program holds would otherwise end in a traceback after the banner; say so
# before anything starts. SO_REUSEADDR as the servers use it: a TIME_WAIT left by the last
# run does not count, a listener does.
busy=$(python - "$WEB_PORT:web (WEB_PORT)" "$MAIL_SINK_SMTP_PORT:mail sink SMTP (MAIL_SINK_SMTP_PORT)" \
  "$MAIL_SINK_HTTP_PORT:mail viewer (MAIL_SINK_HTTP_PORT)" <<'PY'
import socket, sys
for arg in sys.argv[1:]:
    port, what = arg.split(":", 1)
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", int(port)))
        except OSError as exc:
            print(f"  port {port}, the {what}: {exc.strerror}")
PY
)
if [ -n "$busy" ]; then
  echo "resolute: cannot start, a port is taken (another 'make run' still running, or another program):" >&2
  echo "$busy" >&2
  echo "  Stop that program, or pick free ports, e.g. WEB_PORT=8001 MAIL_SINK_SMTP_PORT=1026 MAIL_SINK_HTTP_PORT=1081 make run" >&2
  exit 1
fi

python manage.py migrate --noinput
python manage.py seed_demo

# Where things are, without the passwords a URL may carry.
redact() { sed -E 's#//[^/@]*@#//#' <<<"$1"; }
if [ -n "${DATABASE_URL:-}" ]; then database=$(redact "$DATABASE_URL"); else database="SQLite in $VAR_DIR"; fi
broker_url=${CELERY_BROKER_URL:-${REDIS_URL:-}}
if [ -n "$broker_url" ]; then broker=$(redact "$broker_url"); else broker="filesystem in $VAR_DIR/broker"; fi
if [ "$SMTP_URL" = "$sink_smtp_url" ]; then
  mail_note="(every mail lands here)"
else
  mail_note="(empty: SMTP_URL sends mail to $(redact "$SMTP_URL") instead)"
fi

cat <<INFO

  Resolute is starting (database $database, broker $broker).
    Site          $SITE_URL/
    Admin         $SITE_URL/admin/   (the organiser login is printed just above)
    API docs      $SITE_URL/api/docs/
    Health        $SITE_URL/healthz  $SITE_URL/readyz
    Mail viewer   http://127.0.0.1:$MAIL_SINK_HTTP_PORT/   $mail_note
  Press Ctrl-C to stop everything.

INFO
exec honcho -f Procfile.dev start
