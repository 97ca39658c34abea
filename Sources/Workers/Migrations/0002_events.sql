-- One row per audit event, for analysts. Partitioned by month on occurred_at; the Workers create
-- partitions ahead of time (audit.ensure_partitions) and a default partition catches anything
-- outside them, so ingestion never fails for a date.
CREATE TABLE audit.events (
    event_id uuid NOT NULL,
    occurred_at timestamptz NOT NULL,
    actor_id text,                       -- the user, or NULL when anonymous
    action text NOT NULL,                -- user.signed_up, post.liked, video.played, gpt.asked, ...
    target_type text,
    target_id text,
    client_address text,
    user_agent text,
    payload jsonb NOT NULL DEFAULT '{}',
    ingested_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, occurred_at)  -- ingestion is idempotent by event id
) PARTITION BY RANGE (occurred_at);

CREATE TABLE audit.events_default PARTITION OF audit.events DEFAULT;

-- The analysts' common questions: what happened when, what did this user do, what happened to this thing.
CREATE INDEX events_action_time ON audit.events (action, occurred_at);
CREATE INDEX events_actor_time ON audit.events (actor_id, occurred_at) WHERE actor_id IS NOT NULL;
CREATE INDEX events_target ON audit.events (target_type, target_id, occurred_at);

-- Creates the monthly partitions from the month of `start` for `months` months; idempotent.
CREATE FUNCTION audit.ensure_partitions(start date, months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first date := date_trunc('month', start)::date;
    created integer := 0;
    m date;
    name text;
BEGIN
    FOR i IN 0 .. months - 1 LOOP
        m := (first + make_interval(months => i))::date;
        name := format('events_%s', to_char(m, 'YYYY_MM'));
        IF to_regclass(format('audit.%I', name)) IS NULL THEN
            EXECUTE format('CREATE TABLE audit.%I PARTITION OF audit.events FOR VALUES FROM (%L) TO (%L)',
                           name, m, (m + interval '1 month')::date);
            created := created + 1;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;

SELECT audit.ensure_partitions((now() - interval '1 month')::date, 4);

-- Distinct signed-in users per day (UTC).
CREATE VIEW audit.daily_active_users AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, count(DISTINCT actor_id) AS users
FROM audit.events WHERE actor_id IS NOT NULL
GROUP BY 1;

-- Events per day and action (UTC).
CREATE VIEW audit.daily_action_counts AS
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, action, count(*) AS events, count(DISTINCT actor_id) AS actors
FROM audit.events
GROUP BY 1, 2;

-- A read-only role for analysts: grant it to a login role (GRANT analyst TO alice).
-- Roles are shared by every database of the cluster, so another database may be creating it now.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'analyst') THEN
        CREATE ROLE analyst NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
GRANT USAGE ON SCHEMA audit TO analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA audit TO analyst;
ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO analyst;
