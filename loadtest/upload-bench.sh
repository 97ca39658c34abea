#!/usr/bin/env bash
# Video uploads on the local stack (release build), through nginx:
#   1. time to 202 for a 50 MB POST /api/videos, beside the machine's own figures measured in the
#      same run: the time curl needs to send the same 50 MB to nginx's `return 204`
#      (/bench/upload-sink: the transfer), the time the same body takes when nginx passes it on
#      through a second socket to a location of its own that stores it in a file before answering
#      (/bench/upload-proxied: the least a proxied upload that lands on disk costs), and the time
#      dd needs to write 50 MB into the media folder (the store, like the service without fsync);
#      then the same at a client's pace of 100 MB/s (curl --limit-rate), where the network, not
#      the machine, sets the time;
#   2. ContentService's peak RSS above its resting RSS while it receives 1 MB and 200 MB uploads
#      (sampled from /proc every 10 ms): what a file's size costs the service's memory.
#
#   loadtest/upload-bench.sh [RUNS]     (default 5 per size; the median is reported)
#
# The stack is restarted with BUILD_CONFIG=release. The files are made-up MP4s (an ftyp box and
# random bytes): the service checks the container and streams them to disk; the Workers then
# fail them as unreadable, which costs the benchmark nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${1:-5}
nginx=http://127.0.0.1:8080
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

export BUILD_CONFIG=release LOG_LEVEL=warning NGINX_RATE=100000r/s NGINX_BURST=100000
deploy/dev down >/dev/null
deploy/dev up >/dev/null
pid=$(cat .dev/run/content.pid)

for size in 1 50 200; do
  python3 - "$out/$size.mp4" "$size" <<'PY'
import os, sys
path, megabytes = sys.argv[1], int(sys.argv[2])
with open(path, "wb") as f:
    f.write(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41")
    for _ in range(megabytes):
        f.write(os.urandom(1 << 20))
PY
done

token=$(python3 - "$nginx" <<'PY'
import json, sys, urllib.request, uuid
base = sys.argv[1]
def post(path, body):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request))
email = f"upload-bench-{uuid.uuid4().hex[:8]}@example.com"
post("/api/auth/signup", {"email": email, "password": "bench password", "nickname": "bench"})
print(post("/api/auth/login", {"email": email, "password": "bench password"})["accessToken"])
PY
)

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds() { awk '{ print $3 }' "$1"; }  # curl's time_total from a file of -w lines
rate=()
sink() { curl -s "${rate[@]}" -o /dev/null -w '%{http_code} %{size_upload} %{time_total}\n' -H 'Content-Type: application/octet-stream' --data-binary @"$1" "$nginx/bench/${2:-upload-sink}"; }
# Uploads, then deletes the video: dirty pages piling up would slow every later write.
upload() {
  curl -s "${rate[@]}" -o "$out/reply.json" -w '%{http_code} %{size_upload} %{time_total}\n' -H "Authorization: Bearer $token" \
    -F title=bench -F "file=@$1;type=video/mp4" "$nginx/api/videos"
  local id
  id=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("id", ""))' "$out/reply.json" 2>/dev/null || true)
  [ -z "$id" ] || curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $token" "$nginx/api/videos/$id"
}
store() {
  local started ended
  started=$(date +%s.%N)
  dd if="$1" of=.dev/media/bench-store bs=1M 2>/dev/null
  ended=$(date +%s.%N)
  rm -f .dev/media/bench-store
  python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.6f}')" "$started" "$ended"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }

measure() {
  local label=$1
  : >"$out/sink.txt"; : >"$out/proxied.txt"; : >"$out/upload.txt"; : >"$out/store.txt"
  for _ in $(seq "$runs"); do
    sync
    sink "$out/50.mp4" >>"$out/sink.txt"
    sync
    sink "$out/50.mp4" upload-proxied >>"$out/proxied.txt"
    sync
    upload "$out/50.mp4" >>"$out/upload.txt"
    sync
    [ ${#rate[@]} -gt 0 ] || store "$out/50.mp4" >>"$out/store.txt"
  done
  grep -qv '^204 ' "$out/sink.txt" "$out/proxied.txt" && { echo "a bench location did not answer 204" >&2; exit 1; }
  grep -qv '^202 ' "$out/upload.txt" && { echo "an upload was not accepted: $(cat "$out/reply.json")" >&2; exit 1; }
  local sink_s proxied_s upload_s store_s
  sink_s=$(seconds "$out/sink.txt" | median)
  proxied_s=$(seconds "$out/proxied.txt" | median)
  upload_s=$(seconds "$out/upload.txt" | median)
  store_s=$( [ -s "$out/store.txt" ] && median <"$out/store.txt" || echo 0)
  echo "  $label: runs (s): sink $(seconds "$out/sink.txt" | xargs) | proxied $(seconds "$out/proxied.txt" | xargs) | upload $(seconds "$out/upload.txt" | xargs)"
  python3 -c "
import sys
s, p, u, w = (float(v) for v in sys.argv[1:5])
line = f'  {sys.argv[5]}: transfer to nginx {s:.3f} s ({50 / s:.0f} MB/s); time to 202 {u:.3f} s ({50 / u:.0f} MB/s); ratio {u / s:.2f}'
line += f'; nginx proxying to itself and storing the body {p:.3f} s, ratio {u / p:.2f}'
if w: line += f'; 50 MB written by dd {w:.3f} s; transfer + write {s + w:.3f} s, ratio {u / (s + w):.2f}'
print(line)" "$sink_s" "$proxied_s" "$upload_s" "$store_s" "$label"
}

echo "== 50 MB: time to 202 beside the transfer to nginx's own return 204 ($runs runs each, median)"
sink "$out/50.mp4" >/dev/null; upload "$out/50.mp4" >/dev/null  # warm both paths
measure "loopback"
rate=(--limit-rate 100M)
measure "client at 100 MB/s"
rate=()

echo "== peak RSS while receiving (ContentService pid $pid)"
for size in 1 200; do
  peaks=()
  for _ in $(seq 3); do
    base=$(rss_kb)
    peak=$base
    sync
    upload "$out/$size.mp4" >"$out/one.txt" &
    uploader=$!
    while kill -0 "$uploader" 2>/dev/null; do
      now=$(rss_kb); [ "$now" -gt "$peak" ] && peak=$now
      sleep 0.01
    done
    wait "$uploader"
    grep -q '^202 ' "$out/one.txt" || { echo "upload of $size MB failed: $(cat "$out/one.txt")" >&2; exit 1; }
    peaks+=($((peak - base)))
  done
  growth=$(printf '%s\n' "${peaks[@]}" | median)
  echo "  $size MB upload: resting $(rss_kb) kB, peak growth ${growth} kB (runs: ${peaks[*]})"
done
