-- When every session of an account was last ended (ban, password reset, logout-all, create-admin),
-- on the database's clock, and whether Redis has taken it yet. Postgres is the record; Redis only
-- enforces it, and AuthService re-applies what Redis lacks (SessionEnd).
ALTER TABLE auth.users
    ADD COLUMN sessions_ended_at timestamptz,
    ADD COLUMN sessions_end_pending boolean NOT NULL DEFAULT false;

CREATE INDEX users_sessions_end_pending ON auth.users (id) WHERE sessions_end_pending;
CREATE INDEX users_sessions_ended_at ON auth.users (sessions_ended_at) WHERE sessions_ended_at IS NOT NULL;
