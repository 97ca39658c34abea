#!/usr/bin/env bash
# The load scenarios' data, topped up to the counts asked for (it never deletes; run it again
# with larger counts to grow the data):
#   users      lt<i>@loadtest.example, i = 0..N-1, password "loadtest password", verified; one
#              bcrypt hash (made once by `AuthService create-admin` for a template account)
#              copied into every row, so seeding 100,000 accounts costs one hash, not 100,000
#   posts      through loadtest/seed-posts.sh (ContentService's generator, COPY)
#   videos     ready videos owned by the seeded users (rows only: the scenarios list them, nobody
#              plays the files)
#   playlists  one public playlist of up to 10 of those videos for each of the first N users
#
#   loadtest/seed.sh [--users N] [--posts N] [--videos N] [--playlists N]
#
# DATABASE_URL, REDIS_URL, AUTH_BIN and CONTENT_BIN say where; loadtest/run sets them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

users=0 posts=0 videos=0 playlists=0
while [ $# -gt 0 ]; do
  case $1 in
    --users) users=$2 ;;
    --posts) posts=$2 ;;
    --videos) videos=$2 ;;
    --playlists) playlists=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
db=${DATABASE_URL:?DATABASE_URL is not set}
psql() { "${PSQL:-psql}" "$db" -v ON_ERROR_STOP=1 -qtAX "$@"; }
template=loadtest-template@loadtest.example

if [ "$users" -gt 0 ]; then
  if [ "$(psql -c "SELECT count(*) FROM auth.users WHERE email = '$template'")" = 0 ]; then
    [ -x "${AUTH_BIN:-}" ] || { echo "AUTH_BIN (the AuthService executable) is needed to make the password hash" >&2; exit 1; }
    "$AUTH_BIN" create-admin --email "$template" --password "loadtest password" >/dev/null
  fi
  psql -c "INSERT INTO auth.users (email, nickname, password_hash, email_verified_at)
           SELECT 'lt' || i || '@loadtest.example', 'loadtest ' || i,
                  (SELECT password_hash FROM auth.users WHERE email = '$template'), now()
           FROM generate_series(0, $users - 1) i
           ON CONFLICT (email) DO UPDATE SET banned_at = NULL, password_hash = EXCLUDED.password_hash"
fi

have=$(psql -c "SELECT count(*) FROM content.posts")
# One author per 100 posts, between 10 and 10,000 (the benchmarks' 1,000,000 by 10,000).
authors=$((posts / 100)); [ "$authors" -ge 10 ] || authors=10; [ "$authors" -le 10000 ] || authors=10000
if [ "$have" -lt "$posts" ]; then
  REDIS_PORT=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.urlparse(sys.argv[1]).port or 6379)' "${REDIS_URL:-redis://127.0.0.1:6380}") \
    loadtest/seed-posts.sh $((posts - have)) "$authors"
fi

if [ "$videos" -gt 0 ]; then
  psql -c "INSERT INTO content.videos (id, owner_id, title, status, source_path, thumbnail_path, rendition_path,
                                       duration_seconds, size_bytes, container, play_count)
           SELECT gen_random_uuid(), u.id::text, 'loadtest video ' || n, 'ready', 'originals/loadtest-' || n,
                  'thumbnails/loadtest-' || n || '.jpg', 'renditions/loadtest-' || n || '.mp4', 30 + n % 600,
                  1048576 * (1 + n % 50), 'mp4', n % 1000
           FROM generate_series((SELECT count(*) FROM content.videos WHERE title LIKE 'loadtest video %'), $videos - 1) n
           JOIN LATERAL (SELECT id FROM auth.users WHERE email = 'lt' || (n % greatest($users, 1)) || '@loadtest.example') u ON true"
fi

if [ "$playlists" -gt 0 ]; then
  psql <<SQL
WITH owners AS (
  SELECT u.id, u.email FROM auth.users u
  WHERE u.email IN (SELECT 'lt' || i || '@loadtest.example' FROM generate_series(0, $playlists - 1) i)
    AND NOT EXISTS (SELECT 1 FROM content.playlists p WHERE p.owner_id = u.id AND p.title = 'loadtest playlist')
), made AS (
  INSERT INTO content.playlists (id, owner_id, title, visibility)
  SELECT gen_random_uuid(), id, 'loadtest playlist', 'public' FROM owners RETURNING id, owner_id
)
INSERT INTO content.playlist_items (id, playlist_id, video_id, position)
SELECT gen_random_uuid(), m.id, v.id, row_number() OVER (PARTITION BY m.id ORDER BY v.created_at, v.id)
FROM made m
JOIN LATERAL (SELECT id, created_at FROM content.videos WHERE owner_id = m.owner_id::text AND title LIKE 'loadtest video %' LIMIT 10) v ON true;
SQL
fi

psql -c "SELECT format('seeded: %s load-test users, %s posts, %s load-test videos, %s load-test playlists',
  (SELECT count(*) FROM auth.users WHERE email LIKE 'lt%@loadtest.example'), (SELECT count(*) FROM content.posts),
  (SELECT count(*) FROM content.videos WHERE title LIKE 'loadtest video %'),
  (SELECT count(*) FROM content.playlists WHERE title = 'loadtest playlist'))"
