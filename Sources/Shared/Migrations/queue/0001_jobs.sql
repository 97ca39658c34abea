-- The jobs table: outbox and work queue in one. Rows live here only while they are waiting or
-- running; a finished job is deleted at once and a dead one moves to queue.dead_jobs, so this
-- table stays small and its indexes hot.
CREATE TABLE queue.jobs (
    id bigserial PRIMARY KEY,
    queue text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    priority smallint NOT NULL DEFAULT 0,            -- lower runs first
    run_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,             -- attempts started so far
    max_attempts integer NOT NULL DEFAULT 10 CHECK (max_attempts > 0),
    state text NOT NULL DEFAULT 'available' CHECK (state IN ('available', 'running')),
    locked_by text,
    locked_until timestamptz,
    unique_key text,
    errors jsonb NOT NULL DEFAULT '[]',              -- [{attempt, at, error}], oldest first
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'running') = (locked_by IS NOT NULL AND locked_until IS NOT NULL))
);

-- Claiming: the next available jobs of a queue in priority, run-at, id order.
CREATE INDEX jobs_available ON queue.jobs (queue, priority, run_at, id) WHERE state = 'available';
-- Rescuing: running jobs whose lease has run out.
CREATE INDEX jobs_leases ON queue.jobs (locked_until) WHERE state = 'running';
-- The same logical job is enqueued once while it is waiting or running.
CREATE UNIQUE INDEX jobs_unique_key ON queue.jobs (queue, unique_key) WHERE unique_key IS NOT NULL;

-- A hot queue table churns: vacuum it long before the default 20% of dead rows.
ALTER TABLE queue.jobs SET (
    autovacuum_vacuum_scale_factor = 0.0,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0,
    autovacuum_analyze_scale_factor = 0.0,
    autovacuum_analyze_threshold = 5000,
    fillfactor = 70
);

-- Jobs that used up their attempts or failed permanently, with their error history, until an
-- operator retries or discards them.
CREATE TABLE queue.dead_jobs (
    id bigint PRIMARY KEY,
    queue text NOT NULL,
    kind text NOT NULL,
    payload jsonb NOT NULL,
    priority smallint NOT NULL,
    attempts integer NOT NULL,
    max_attempts integer NOT NULL,
    unique_key text,
    errors jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    died_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX dead_jobs_queue ON queue.dead_jobs (queue, died_at DESC);
