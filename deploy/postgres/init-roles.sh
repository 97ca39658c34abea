#!/bin/sh
# The postgres image's first-start hook (/docker-entrypoint-initdb.d): the services' roles and
# schemas (roles.sql), with the passwords from the container's environment. On an existing data
# volume, run the same by hand:
#   docker compose exec postgres sh /docker-entrypoint-initdb.d/10-roles.sh
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -f /etc/contentplatform/roles.sql \
  -v auth_password="$AUTH_DB_PASSWORD" -v content_password="$CONTENT_DB_PASSWORD" \
  -v gpt_password="$GPT_DB_PASSWORD" -v workers_password="$WORKERS_DB_PASSWORD"
