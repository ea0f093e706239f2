#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer on the URLs the tests use; starts local installs
# that are not running. Ends with one clear line when a service cannot be reached.
set -uo pipefail
pg_host=${PGHOST:-127.0.0.1}; pg_port=${PGPORT:-5432}
redis_host=${REDIS_HOST:-127.0.0.1}; redis_port=${REDIS_PORT:-6379}

pg_up() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null || (exec 3<>"/dev/tcp/$pg_host/$pg_port") 2>/dev/null; }
redis_up() { [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" = "PONG" ]; }
wait_for() { for _ in $(seq 1 30); do "$1" && return 0; sleep 1; done; return 1; }

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "resolute: starting PostgreSQL"
    for version in $(ls /etc/postgresql); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    done
  fi
  wait_for pg_up || { echo "resolute: cannot reach PostgreSQL at $pg_host:$pg_port (install it, start it, or set DATABASE_URL)"; exit 1; }
fi
if ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    echo "resolute: starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$redis_port" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >/dev/null 2>&1 \
      || redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  fi
  wait_for redis_up || { echo "resolute: cannot reach Redis at $redis_host:$redis_port (install redis-server, start it, or set REDIS_URL)"; exit 1; }
fi
