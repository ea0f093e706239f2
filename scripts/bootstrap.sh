#!/usr/bin/env bash
# Creates .venv with a suitable Python and installs the locked dependencies.
# Re-running is cheap: it reinstalls only when a lock file changed (or PYTHON names another
# interpreter than the one .venv was made with).
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${1:-requirements-dev.lock}
base_prefix() { "$1" -c 'import sys; print(sys.base_prefix)' 2>/dev/null; }
recreate=
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  recreate=yes
fi
if [ -n "${PYTHON:-}" ] && [ -z "$recreate" ]; then
  py=$(scripts/find-python.sh)
  [ "$(base_prefix "$py")" = "$(base_prefix .venv/bin/python)" ] || recreate=yes
fi
if [ -n "$recreate" ]; then
  py=${py:-$(scripts/find-python.sh)}
  echo "resolute: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum "$lock" | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "resolute: installing $lock into .venv (the first time takes a minute or two)"
  pip_quiet() {
    # pip's own exit status decides; only its noise about install locations is filtered out.
    local out status=0
    out=$(.venv/bin/python -m pip install --quiet --disable-pip-version-check "$@" 2>&1) || status=$?
    [ -z "$out" ] || grep -v '^WARNING: Location' <<<"$out" || true
    return "$status"
  }
  pip_quiet --upgrade pip || echo "resolute: could not upgrade pip in .venv; going on with the one it has"
  pip_quiet -r "$lock" || {
    echo "resolute: installing $lock failed (pip's message above); fix that and run the command again" >&2
    exit 1
  }
  .venv/bin/python -c 'import django, celery' # fails loudly if the install did not work
  rm -f .venv/.installed-*
  touch "$stamp"
fi
