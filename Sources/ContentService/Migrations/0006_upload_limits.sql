-- Per-account upload limits count a user's open uploads and the bytes in them.
CREATE INDEX uploads_owner ON content.uploads (owner_id);
