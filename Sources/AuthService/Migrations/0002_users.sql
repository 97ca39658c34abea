-- Accounts. The email is stored normalised (trimmed, lower case), so the unique index is the
-- whole duplicate check.
CREATE TABLE auth.users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (email = lower(email) AND length(email) <= 254),
    nickname text NOT NULL CHECK (length(nickname) BETWEEN 1 AND 50),
    password_hash text NOT NULL,
    role text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
    email_verified_at timestamptz,
    banned_at timestamptz,
    ban_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX users_email ON auth.users (email);

-- Email verification and password reset tokens. Only a SHA-256 of the token is kept, so a copy of
-- this table cannot be used to take over an account. One live token per user and purpose: issuing
-- a new one replaces the old, and using one deletes it.
CREATE TABLE auth.one_time_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    purpose text NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, purpose)
);

CREATE INDEX one_time_tokens_expires ON auth.one_time_tokens (expires_at);
