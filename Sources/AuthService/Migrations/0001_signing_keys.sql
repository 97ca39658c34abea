-- Ed25519 keys that sign access tokens. The newest active key signs; every key that may still
-- have unexpired tokens in circulation is published in the JWKS.
CREATE TABLE auth.signing_keys (
    kid text PRIMARY KEY,
    algorithm text NOT NULL DEFAULT 'EdDSA' CHECK (algorithm = 'EdDSA'),
    private_key bytea NOT NULL CHECK (length(private_key) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz
);

CREATE INDEX signing_keys_active ON auth.signing_keys (created_at DESC) WHERE retired_at IS NULL;
