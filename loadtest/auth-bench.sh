#!/usr/bin/env bash
# Logins against the machine's bcrypt limit, through nginx, on the local stack (release build):
#   1. raw bcrypt verifications per second at the configured cost, one thread and all cores;
#   2. login throughput at saturation (closed loop, enough clients to keep every core hashing);
#   3. ten times the raw rate offered open loop, with /api/users/me asked 20 times a second
#      meanwhile: what is shed, how long anything waits, and whether /me stays fast.
#
#   loadtest/auth-bench.sh [SECONDS]      (default 20 per phase)
#
# The stack is restarted with the throttles opened up (all load comes from one address) and
# nginx's rate limit raised; `deploy/dev down && deploy/dev up` restores the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-20}
users=200
cost=${BCRYPT_COST:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

export BUILD_CONFIG=release BCRYPT_COST=$cost
export LOGIN_ADDRESS_LIMIT=1000000000 LOGIN_PAIR_FAILURE_LIMIT=1000000000 LOGIN_ACCOUNT_FAILURE_LIMIT=1000000000
export SIGNUP_ADDRESS_LIMIT=1000000000 NGINX_RATE=100000r/s NGINX_BURST=100000 LOG_LEVEL=warning
deploy/dev down >/dev/null
deploy/dev up >/dev/null
bin=$(swift build -c release --show-bin-path)
psql() { PGPASSWORD=app "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/psql" -h 127.0.0.1 -p 5433 -U app -d app -qtAX "$@"; }

echo "== seeding $users accounts (bench0..bench$((users - 1))@example.com)"
curl -s -o /dev/null -X POST http://127.0.0.1:8080/api/auth/signup -H 'Content-Type: application/json' \
  -d '{"email":"bench0@example.com","password":"bench password","nickname":"bench"}'
psql -c "INSERT INTO auth.users (email, nickname, password_hash)
         SELECT 'bench' || i || '@example.com', 'bench', (SELECT password_hash FROM auth.users WHERE email = 'bench0@example.com')
         FROM generate_series(1, $((users - 1))) i ON CONFLICT (email) DO NOTHING"
psql -c "UPDATE auth.users SET banned_at = NULL WHERE email LIKE 'bench%@example.com'"

echo "== 1. raw bcrypt, cost $cost"
"$bin/AuthService" bench-bcrypt --cost "$cost" --threads 1 --seconds 10 | tee "$out/raw1"
"$bin/AuthService" bench-bcrypt --cost "$cost" --threads "$(nproc)" --seconds 10 | tee "$out/raw"
raw=$(sed -E 's/.*= ([0-9.]+)\/s/\1/' "$out/raw")

echo "== 2. logins at saturation: 8 clients, closed loop, $seconds s"
python3 loadtest/auth_load.py --login-concurrency 8 --users "$users" --duration "$seconds" --json "$out/sat.json"
python3 - "$out/sat.json" "$raw" <<'PY'
import json, sys
rate = json.load(open(sys.argv[1]))["streams"]["login"]["ok_per_second"]
print(f"logins/s {rate:.1f} = {100 * rate / float(sys.argv[2]):.0f}% of raw bcrypt {float(sys.argv[2]):.1f}/s")
PY

offered=$(python3 -c "print(round(10 * $raw))")
echo "== 3. overload: $offered logins/s offered (10x raw), /api/users/me at 20/s, $seconds s"
python3 loadtest/auth_load.py --login-rate "$offered" --me-rate 20 --users "$users" --duration "$seconds" --json "$out/over.json"

echo "== Auth metrics"
curl -s http://127.0.0.1:8081/metrics | grep -E '^auth_(logins_total|password_hash_shed_total)' || true
