-- The database roles and schemas, once per cluster and database, as a superuser. Idempotent: run it
-- again after an upgrade, or on a database whose schemas an older release left to one role.
--
--   psql -v ON_ERROR_STOP=1 -d app -f deploy/postgres/roles.sql \
--        -v auth_password=... -v content_password=... -v gpt_password=... -v workers_password=... \
--        [-v operator=alice]
--
-- Each service logs in as its own role, which owns its schema and nothing else; what it may do in
-- another schema comes from a group role below, granted by that schema's migrations. No service
-- role may create roles or databases. `operator` (optional) names a login role that may act as
-- every service role: migrations, `Workers jobs`, psql by hand. docs/security.md has the table.

-- Granting a membership twice is a notice, not news.
SET client_min_messages = warning;

-- Group roles (no login): what a service may do beyond its own schema.
--   analyst          read the audit tables and views (GRANT analyst TO a person's login role)
--   queue_producer   enqueue jobs, and see which queue migrations are applied
--   queue_consumer   claim, finish and bury jobs of its own queues (ContentService's author feed)
--   video_processor  read and update content.videos (the Workers' thumbnail and transcode jobs)
--   queue_observer   count jobs per queue and state, no payloads (an autoscaler: GRANT it to `keda`)
SELECT format('CREATE ROLE %I NOLOGIN', name)
FROM unnest(ARRAY['analyst', 'queue_producer', 'queue_consumer', 'video_processor', 'queue_observer']) AS name
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec

-- Login roles, one per service. The attributes are set every time, so a role made by hand with
-- more rights loses them.
SELECT format('CREATE ROLE %I LOGIN', name)
FROM unnest(ARRAY['auth_svc', 'content_svc', 'gpt_svc', 'workers_svc']) AS name
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
SELECT format('ALTER ROLE %I LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS', name)
FROM unnest(ARRAY['auth_svc', 'content_svc', 'gpt_svc', 'workers_svc']) AS name \gexec

\if :{?auth_password}
ALTER ROLE auth_svc PASSWORD :'auth_password';
\endif
\if :{?content_password}
ALTER ROLE content_svc PASSWORD :'content_password';
\endif
\if :{?gpt_password}
ALTER ROLE gpt_svc PASSWORD :'gpt_password';
\endif
\if :{?workers_password}
ALTER ROLE workers_svc PASSWORD :'workers_password';
\endif

GRANT queue_producer TO auth_svc, content_svc, gpt_svc;
GRANT queue_consumer TO content_svc;
GRANT video_processor TO workers_svc;

-- Each schema belongs to the service that migrates it; the Workers own the jobs table and the
-- audit tables they fill. A schema that exists under another owner (an older release ran
-- everything as one role) is handed over with everything in it.
BEGIN;
CREATE TEMPORARY TABLE schema_owners (schema name, owner name) ON COMMIT DROP;
INSERT INTO schema_owners VALUES
    ('auth', 'auth_svc'), ('content', 'content_svc'), ('gpt', 'gpt_svc'),
    ('queue', 'workers_svc'), ('audit', 'workers_svc');

SELECT format('CREATE SCHEMA %I AUTHORIZATION %I', s.schema, s.owner)
FROM schema_owners s WHERE NOT EXISTS (SELECT FROM pg_namespace n WHERE n.nspname = s.schema) \gexec

SELECT format('ALTER SCHEMA %I OWNER TO %I', s.schema, s.owner)
FROM schema_owners s JOIN pg_namespace n ON n.nspname = s.schema
WHERE pg_get_userbyid(n.nspowner) <> s.owner \gexec

-- Tables, views and their kin first: a table takes its indexes and its columns' sequences along.
SELECT format('ALTER %s %I.%I OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              s.schema, c.relname, s.owner)
FROM schema_owners s JOIN pg_namespace n ON n.nspname = s.schema JOIN pg_class c ON c.relnamespace = n.oid
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> s.owner \gexec

SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', s.schema, c.relname, s.owner)
FROM schema_owners s JOIN pg_namespace n ON n.nspname = s.schema JOIN pg_class c ON c.relnamespace = n.oid
WHERE c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> s.owner \gexec

SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, s.owner)
FROM schema_owners s JOIN pg_namespace n ON n.nspname = s.schema JOIN pg_proc p ON p.pronamespace = n.oid
WHERE pg_get_userbyid(p.proowner) <> s.owner \gexec
COMMIT;

-- Nothing is created outside the service schemas.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

\if :{?operator}
GRANT auth_svc, content_svc, gpt_svc, workers_svc TO :"operator";
-- Every role's statements in pg_stat_statements, not only its own (load-test reports, slow queries).
GRANT pg_read_all_stats TO :"operator";
\endif
