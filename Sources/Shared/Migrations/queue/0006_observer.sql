-- Queue depth for autoscalers (KEDA's PostgreSQL trigger, deploy/production/kubernetes/keda.yaml):
-- which queue, in which state, due when; never a payload. The group role comes from
-- deploy/postgres/roles.sql.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'queue_observer') THEN
        GRANT USAGE ON SCHEMA queue TO queue_observer;
        GRANT SELECT (queue, state, run_at) ON queue.jobs TO queue_observer;
    END IF;
END
$$;
