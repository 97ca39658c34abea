#!/usr/bin/env bash
# The Redis client against redis-benchmark on the same throw-away redis-server, one connection,
# GET and SET, without and with pipelining. Prints both rates and the client's share.
#
#   loadtest/redis-bench.sh [REQUESTS] [PIPELINE_DEPTH]      (defaults: 200000 and 16)
#
# Builds RedisBench in release mode first. Nothing else should load the machine while it runs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

requests=${1:-200000}
depth=${2:-16}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

swift build -c release --product RedisBench >&2
bench=$(swift build -c release --show-bin-path)/RedisBench
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
  --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.1; done

# rate_of "SET: 12345.67 requests per second..." -> 12345.67
rate_of() { grep -E "^$1: [0-9.]+ requests per second" | head -n1 | sed -E 's/^[A-Z]+: ([0-9.]+).*/\1/'; }

printf '%-5s %-9s %14s %14s %7s\n' op pipeline redis-benchmark client share
for p in 1 "$depth"; do
  ref=$(redis-benchmark -p "$port" -c 1 -n "$requests" -P "$p" -t set,get -q 2>/dev/null | tr '\r' '\n')
  ours=$("$bench" --url "redis://127.0.0.1:$port" --requests "$requests" --pipeline "$p")
  for op in SET GET; do
    r=$(rate_of "$op" <<<"$ref")
    o=$(rate_of "$op" <<<"$ours")
    share=$(python3 -c "print(f'{100 * $o / $r:.0f}%')")
    printf '%-5s %-9s %14s %14s %7s\n' "$op" "$p" "$r" "$o" "$share"
  done
done
