#!/usr/bin/env bash
# The Workers' memory against the number of jobs they have run: ROUNDS rounds of JOBS single
# audit-event jobs inserted straight into the running local stack's queue, each drained before
# the next, with the Workers' RSS after every round. A process that keeps something per job grows
# in a straight line; a healthy one levels off once its allocator has warmed up.
#
#   loadtest/workers-memory.sh [JOBS] [ROUNDS]      (default 20000 and 5)
#
# Needs a running stack (`deploy/dev up`, best with BUILD_CONFIG=release). LOADTEST_DB names its
# database (default postgres://app:app@127.0.0.1:5433/app).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

jobs=${1:-20000}
rounds=${2:-5}
db=${LOADTEST_DB:-postgres://app:app@127.0.0.1:${DEV_PG_PORT:-5433}/app}
PSQL=${PSQL:-$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)}
psql() { "$PSQL" "$db" -v ON_ERROR_STOP=1 -qtAX "$@"; }
pid=$(cat "${DEV_DIR:-.dev}/run/workers.pid")
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }

start=$(rss)
echo "Workers (pid $pid) RSS at start: $((start / 1024)) MB"
for round in $(seq "$rounds"); do
  # The JSON a JobQueue would write for an AuditEvent (its date is seconds since 2001-01-01).
  psql -c "INSERT INTO queue.jobs (queue, kind, payload, max_attempts)
           SELECT 'audit', 'audit.event', jsonb_build_object('eventID', gen_random_uuid()::text,
                  'occurredAt', extract(epoch FROM now()) - 978307200, 'action', 'memory.test', 'payload', '{}'::jsonb), 5
           FROM generate_series(1, $jobs)"
  until [ "$(psql -c "SELECT count(*) FROM queue.jobs WHERE queue = 'audit'")" = 0 ]; do sleep 0.5; done
  now=$(rss)
  echo "after $((round * jobs)) jobs: $((now / 1024)) MB (+$(((now - start) / 1024)) MB)"
done
psql -c "DELETE FROM audit.events WHERE action = 'memory.test'"
