#!/usr/bin/env bash
# Loads generated posts into the local stack's database for the load tests and benchmarks:
#   loadtest/seed-posts.sh [POSTS] [AUTHORS]     (default 1,000,000 posts by 10,000 authors)
#
# `ContentService seed` writes COPY files (search tokens included, by the service's own
# tokenizer); this script drops the content indexes, loads the files with \copy, rebuilds the
# indexes from their own definitions and analyses. Posts are appended after the largest id, so
# it can run again. Needs the stack up (`deploy/dev up`) and a release build of ContentService.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

posts=${1:-1000000}
authors=${2:-10000}
db=${DATABASE_URL:-postgres://app:app@127.0.0.1:5433/app}
bin=${CONTENT_BIN:-.build/release/ContentService}
psql_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql
[ -x "$psql_bin" ] || psql_bin=psql
[ -x "$bin" ] || { echo "no $bin: swift build -c release --product ContentService" >&2; exit 1; }
psql() { "$psql_bin" "$db" -v ON_ERROR_STOP=1 -qtAX "$@"; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

first=$(psql -c "SELECT coalesce(max(id), 0) + 1 FROM content.posts")
seed=${SEED:-$first}
started=$(date +%s)
echo "== generating $posts posts from id $first ($authors authors, seed $seed)"
"$bin" seed --posts "$posts" --authors "$authors" --first-id "$first" --seed "$seed" --out "$out"
ls -l "$out" | awk 'NR > 1 { printf "   %-14s %8.1f MB\n", $9, $5 / 1048576 }'
generated=$(date +%s)

indexes=$(psql -c "
  SELECT string_agg(pg_get_indexdef(i.indexrelid), E';\n')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'content' AND c.relname IN ('posts', 'post_tags', 'likes') AND NOT i.indisprimary")
names=$(psql -c "
  SELECT string_agg(format('%I.%I', n.nspname, ic.relname), ', ')
  FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'content' AND c.relname IN ('posts', 'post_tags', 'likes') AND NOT i.indisprimary")

echo "== loading (indexes dropped meanwhile and rebuilt after)"
psql <<SQL
SET maintenance_work_mem = '1GB';
BEGIN;
DROP INDEX IF EXISTS $names;
-- Authors the corpus shares with an earlier run are already there.
CREATE TEMP TABLE seed_authors (LIKE content.authors INCLUDING DEFAULTS) ON COMMIT DROP;
\copy seed_authors (id, nickname, banned, version) FROM '$out/authors.tsv'
INSERT INTO content.authors (id, nickname, banned, version) SELECT id, nickname, banned, version FROM seed_authors
  ON CONFLICT (id) DO NOTHING;
\copy content.posts (id, author_id, title, body, excerpt, tags, like_count, visible, search, search_version, created_at, updated_at) FROM '$out/posts.tsv'
\copy content.post_tags (tag, post_id, created_at, like_count, visible) FROM '$out/post_tags.tsv'
\copy content.likes (post_id, user_id, created_at) FROM '$out/likes.tsv'
$indexes;
SELECT setval(pg_get_serial_sequence('content.posts', 'id'), (SELECT max(id) FROM content.posts)) \gset
COMMIT;
ANALYZE content.authors, content.posts, content.post_tags, content.likes;
SQL
redis-cli -p "${REDIS_PORT:-6380}" incr content:v1:generation >/dev/null 2>&1 || true
loaded=$(date +%s)
psql -c "SELECT format('   %s posts, %s tag rows, %s likes, %s authors; posts table %s',
  (SELECT count(*) FROM content.posts), (SELECT count(*) FROM content.post_tags), (SELECT count(*) FROM content.likes),
  (SELECT count(*) FROM content.authors), pg_size_pretty(pg_total_relation_size('content.posts')))"
echo "   generated in $((generated - started)) s, loaded and indexed in $((loaded - generated)) s"
