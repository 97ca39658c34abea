-- Signing keys may be stored sealed (AES-GCM under a key derived from SIGNING_KEY_SECRET): 12 bytes
-- of nonce, the 32-byte key, a 16-byte tag. Plain keys are sealed as soon as a secret is set.
ALTER TABLE auth.signing_keys DROP CONSTRAINT signing_keys_private_key_check;
ALTER TABLE auth.signing_keys ADD COLUMN sealed boolean NOT NULL DEFAULT false;
ALTER TABLE auth.signing_keys ADD CONSTRAINT signing_keys_private_key_length
    CHECK ((sealed AND length(private_key) = 60) OR (NOT sealed AND length(private_key) = 32));
