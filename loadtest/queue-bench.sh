#!/usr/bin/env bash
# The jobs table under load, on a throw-away Postgres with default durability settings:
#   1. enqueue rate through JobQueue (one job per transaction, and batches of 500);
#   2. drain of JOBS no-op jobs by 1, 2 and 4 `Workers run --queues bench` processes;
#   3. enqueue-to-start latency when idle (p50/p99 from the worker's histogram);
#   4. the same claim + complete SQL run raw through pgbench, 2 clients, for comparison;
#   5. size and dead tuples of queue.jobs after the runs.
#
#   loadtest/queue-bench.sh [JOBS]                 (default 100000)
#   loadtest/queue-bench.sh --soak MINUTES RATE    sustained RATE jobs/s through one worker,
#                                                  sampling the hot table's size every 30 s
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO_ROOT=$(pwd)
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

soak_minutes=0 soak_rate=0
if [ "${1:-}" = --soak ]; then
  soak_minutes=${2:?minutes}
  soak_rate=${3:?jobs per second}
  set -- 0
fi
jobs=${1:-100000}
tmp=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port)
workers_pids=()
cleanup() {
  for pid in "${workers_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  as_pg "$(pg_bin)/pg_ctl" -D "$tmp/pg" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

swift build -c release --product Workers >&2
bin=$(swift build -c release --show-bin-path)/Workers

# Postgres as the packages ship it, apart from the port and the connection limit.
mkdir -p "$tmp/pg"
[ "$(id -u)" -ne 0 ] || chown -R postgres "$tmp"
as_pg "$(pg_bin)/initdb" -D "$tmp/pg" -A trust -U app >/dev/null
as_pg "$(pg_bin)/pg_ctl" -D "$tmp/pg" -l "$tmp/pg.log" -w \
  -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200" start >/dev/null
psql=("$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U app -d app -qtAX -v ON_ERROR_STOP=1)
"$(pg_bin)/psql" -h 127.0.0.1 -p "$pg_port" -U app -d postgres -qc "CREATE DATABASE app"
export DATABASE_URL="postgres://app@127.0.0.1:$pg_port/app" LOG_LEVEL=warning REDIS_URL=redis://127.0.0.1:1

# start_workers N CONCURRENCY: starts N workers and waits for them; the last one's port is in
# $worker_port. (Not meant for $(...): the pids must be recorded in this shell to be stopped.)
start_workers() {
  local i
  for ((i = 0; i < $1; i++)); do
    worker_port=$(free_port)
    HTTP_PORT=$worker_port "$bin" run --queues bench --concurrency "$2" >>"$tmp/workers.log" 2>&1 &
    workers_pids+=($!)
    until curl -fs "http://127.0.0.1:$worker_port/healthz" >/dev/null 2>&1; do sleep 0.2; done
  done
}
stop_workers() {
  for pid in "${workers_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${workers_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  workers_pids=()
}
remaining() { "${psql[@]}" -c "SELECT count(*) FROM queue.jobs WHERE queue = 'bench'"; }

# The first worker run creates the schemas.
start_workers 1 1
stop_workers

if [ "$soak_minutes" -gt 0 ]; then
  echo "== soak: $soak_rate jobs/s for $soak_minutes min, one worker (concurrency 64)"
  start_workers 1 64
  total=$((soak_rate * soak_minutes * 60))
  # Two enqueuers, 50 jobs per transaction, paced to the rate.
  "$bin" bench enqueue --count "$total" --batch 50 --concurrency 2 --interval-ms $((2 * 50 * 1000 / soak_rate)) >"$tmp/enqueue.out" &
  enqueuer=$!
  printf '%-8s %10s %12s %12s %12s\n' minute waiting live_tuples dead_tuples table_size
  for ((t = 0; t <= soak_minutes * 60; t += 30)); do
    "${psql[@]}" -c "SELECT to_char($t / 60.0, 'FM990.0'), (SELECT count(*) FROM queue.jobs), n_live_tup, n_dead_tup,
                       pg_size_pretty(pg_total_relation_size('queue.jobs'))
                     FROM pg_stat_user_tables WHERE relid = 'queue.jobs'::regclass" |
      awk -F'|' '{ printf "%-8s %10s %12s %12s %12s\n", $1, $2, $3, $4, $5 }'
    sleep 30
  done
  wait "$enqueuer"
  cat "$tmp/enqueue.out"
  exit 0
fi

echo "== enqueue"
"$bin" bench enqueue --count 20000 --batch 1 --concurrency 4
"$bin" bench enqueue --count "$jobs" --batch 500 --concurrency 2
"${psql[@]}" -c "DELETE FROM queue.jobs"

echo "== drain $jobs no-op jobs"
printf '%-9s %-12s %10s %12s\n' workers concurrency seconds jobs/s
for n in 1 2 4; do
  "${psql[@]}" -c "INSERT INTO queue.jobs (queue, kind) SELECT 'bench', 'noop' FROM generate_series(1, $jobs)"
  "${psql[@]}" -c "VACUUM ANALYZE queue.jobs"
  start=$(date +%s.%N)
  start_workers "$n" 64
  until [ "$(remaining)" -eq 0 ]; do sleep 0.1; done
  end=$(date +%s.%N)
  stop_workers
  python3 -c "s=$end-$start; print(f'{$n:<9} {64:<12} {s:10.2f} {$jobs/s:12.0f}')"
done
echo "(each time includes the workers' start-up)"

echo "== enqueue-to-start latency, one idle worker, 500 jobs enqueued 20 ms apart"
start_workers 1 16
sleep 1
"$bin" bench enqueue --count 500 --batch 1 --concurrency 1 --interval-ms 20 >/dev/null
until [ "$(remaining)" -eq 0 ]; do sleep 0.1; done
sleep 0.5
curl -fs "http://127.0.0.1:$worker_port/metrics" | python3 -c '
import sys, re
buckets = []
for line in sys.stdin:
    m = re.match(r"jobs_enqueue_to_start_seconds_bucket\{.*queue=\"bench\".*le=\"([^\"]+)\"\} (\S+)", line)
    if m:
        buckets.append((float("inf") if m.group(1) == "+Inf" else float(m.group(1)), float(m.group(2))))
buckets.sort()
total = buckets[-1][1]
def quantile(q):
    rank, prev_le, prev_count = q * total, 0.0, 0.0
    for le, count in buckets:
        if count >= rank:
            if le == float("inf"): return prev_le
            return prev_le + (le - prev_le) * (rank - prev_count) / max(count - prev_count, 1)
        prev_le, prev_count = le, count
print(f"jobs {total:.0f}  p50 {quantile(0.5) * 1000:.1f} ms  p99 {quantile(0.99) * 1000:.1f} ms  (interpolated within histogram buckets)")
'
stop_workers

echo "== the same SQL raw through pgbench (2 clients, 20 s): claim 100 in one transaction, delete them in the next"
"${psql[@]}" -c "INSERT INTO queue.jobs (queue, kind) SELECT 'bench', 'noop' FROM generate_series(1, 1500000)"
"${psql[@]}" -c "VACUUM ANALYZE queue.jobs"
cat >"$tmp/claim.sql" <<'SQL'
BEGIN;
WITH picked AS (
  SELECT p.id FROM unnest('{bench}'::text[]) AS q(name)
  CROSS JOIN LATERAL (
    SELECT id, priority, run_at FROM queue.jobs
    WHERE state = 'available' AND queue = q.name AND run_at <= now()
    ORDER BY priority, run_at, id LIMIT 100 FOR UPDATE SKIP LOCKED
  ) p
  ORDER BY p.priority, p.run_at, p.id LIMIT 100
), claimed AS (
  UPDATE queue.jobs j SET state = 'running', attempts = j.attempts + 1, locked_by = 'pgbench',
         locked_until = now() + interval '30 seconds'
  FROM picked WHERE j.id = picked.id RETURNING j.id
)
SELECT coalesce(string_agg(id::text, ','), '0') AS ids FROM claimed \gset
COMMIT;
DELETE FROM queue.jobs WHERE id IN (:ids) AND state = 'running' AND locked_by = 'pgbench';
SQL
tps=$("$(pg_bin)/pgbench" -h 127.0.0.1 -p "$pg_port" -U app -n -c 2 -j 2 -T 20 -f "$tmp/claim.sql" app 2>/dev/null \
  | sed -nE 's/^tps = ([0-9.]+).*/\1/p')
python3 -c "print(f'pgbench: {$tps:.0f} transactions/s = {$tps * 100:.0f} jobs/s')"
"${psql[@]}" -c "DELETE FROM queue.jobs"
"${psql[@]}" -c "VACUUM queue.jobs"

echo "== queue.jobs after the runs and a VACUUM"
"${psql[@]}" -c "SELECT 'live ' || n_live_tup || ', dead ' || n_dead_tup || ', size ' || pg_size_pretty(pg_total_relation_size('queue.jobs')) FROM pg_stat_user_tables WHERE relid = 'queue.jobs'::regclass"
