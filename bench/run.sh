#!/usr/bin/env bash
# `make bench` / `make bench-short`: the benchmark harness (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh requirements-dev.lock >/dev/null
scripts/services.sh
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing wrk (Debian package)"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) \
      || echo "bench: could not install wrk; HTTP scenarios will be skipped"
  else
    echo "bench: wrk is missing (apt-get install wrk); HTTP scenarios will be skipped"
  fi
fi
exec .venv/bin/python -m bench.harness "$@"
