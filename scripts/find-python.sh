#!/usr/bin/env bash
# Prints the path of a Python >= 3.12 with a working venv module, or explains and exits 1.
# Order: $PYTHON (alone: when set, it is the only candidate), python3.14, python3.13,
# python3.12, python3, then pyenv's and /usr/local's installs.
# Each candidate is *run*, not just found: a pyenv shim may exist and still refuse to run.
set -u
usable() { "$1" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

if [ -n "${PYTHON:-}" ]; then
  # An explicit choice is honoured or refused, never silently replaced by another Python.
  path=$(command -v "$PYTHON" 2>/dev/null) && usable "$path" && { "$path" -c 'import sys; print(sys.executable)'; exit 0; }
  echo "resolute: PYTHON=$PYTHON is not a runnable Python 3.12+ with the venv and ensurepip modules (Debian: apt-get install python3.12-venv). Fix it, or unset PYTHON to let the scripts look for one." >&2
  exit 1
fi

candidates=(python3.14 python3.13 python3.12 python3)
for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]* /usr/local/bin /opt/python*/bin; do
  for exe in "$dir"/bin/python3 "$dir"/python3.1[2-9]; do
    [ -x "$exe" ] && candidates+=("$exe")
  done
done
tried=()
for c in "${candidates[@]}"; do
  path=$(command -v "$c" 2>/dev/null) || continue
  if usable "$path"; then
    # Resolve shims to the real interpreter so the venv does not depend on pyenv's state.
    "$path" -c 'import sys; print(sys.executable)'
    exit 0
  fi
  tried+=("$c")
done
echo "resolute: no usable Python 3.12+ found (tried: ${tried[*]:-none}). Install one (Debian: apt-get install python3.12 python3.12-venv, or pyenv install 3.12) or set PYTHON=/path/to/python3.12." >&2
exit 1
