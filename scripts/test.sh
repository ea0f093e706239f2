#!/usr/bin/env bash
# The whole check: lint, types, migrations, and the test suite on PostgreSQL and Redis.
# `make test` runs this; so does CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.lock
scripts/services.sh

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here).
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "resolute: installing Debian's chromium for the browser tests"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "resolute: could not install chromium; browser tests will fail"
  else
    echo "resolute: chromium is missing (apt-get install chromium); browser tests will fail"
  fi
fi

export DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/resolute}
export REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
export SECRET_KEY=${SECRET_KEY:-test-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export DEBUG=false SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export SECURE_HSTS_SECONDS=0 ALLOWED_HOSTS=localhost,127.0.0.1,testserver
export VAR_DIR=${VAR_DIR:-$PWD/var/test}
mkdir -p "$VAR_DIR"

echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check .
echo "== mypy"; .venv/bin/mypy config campaign advocacy
echo "== migrations"; .venv/bin/python manage.py makemigrations --check --dry-run
echo "== collectstatic"; .venv/bin/python manage.py collectstatic --noinput -v0
# --create-db: the test database is built from the migrations on every run. pytest's
# --reuse-db (pyproject.toml, for quick local runs) would keep a database migrated by an
# earlier version of a migration that was since amended, and test that instead.
echo "== pytest"; .venv/bin/python -m pytest --create-db "$@"
