-- What the other services may do with the jobs table, through the group roles that
-- deploy/postgres/roles.sql creates once per cluster (a database without them, such as a test's
-- scratch database run by one admin role, has nothing to grant).
-- queue_producer enqueues: INSERT, and SELECT only of what INSERT ... ON CONFLICT ... RETURNING
-- reads, so a producer never sees another's payloads; and sees the applied migrations, which it
-- waits for at start-up. queue_consumer also claims, finishes and buries (ContentService's author
-- feed): the table is shared, so it could reach other queues' rows too (docs/security.md).
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'queue_producer') THEN
        GRANT USAGE ON SCHEMA queue TO queue_producer;
        GRANT SELECT ON queue.schema_migrations TO queue_producer;
        GRANT INSERT ON queue.jobs TO queue_producer;
        GRANT SELECT (id, queue, run_at, unique_key) ON queue.jobs TO queue_producer;
        GRANT USAGE ON SEQUENCE queue.jobs_id_seq TO queue_producer;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'queue_consumer') THEN
        GRANT USAGE ON SCHEMA queue TO queue_consumer;
        GRANT SELECT, UPDATE, DELETE ON queue.jobs TO queue_consumer;
        GRANT INSERT ON queue.dead_jobs TO queue_consumer;
    END IF;
END
$$;
