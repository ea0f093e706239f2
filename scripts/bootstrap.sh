#!/usr/bin/env bash
# Creates .venv with a suitable Python and installs the locked dependencies.
# Re-running is cheap: it reinstalls only when a lock file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${1:-requirements-dev.lock}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  py=$(scripts/find-python.sh)
  echo "resolute: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum "$lock" | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "resolute: installing $lock into .venv"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$lock" 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import django, celery' # fails loudly if the install did not work
  rm -f .venv/.installed-*
  touch "$stamp"
fi
