COMMENT ON SCHEMA audit IS 'Audit events for analysts. Owned by Workers.';
