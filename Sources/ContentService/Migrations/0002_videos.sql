-- Uploaded videos. The file lives under MEDIA_DIR (source_path, relative); the Workers' thumbnail
-- job sets status to ready with the thumbnail and duration, or to failed with a reason.
CREATE TABLE content.videos (
    id uuid PRIMARY KEY,
    owner_id text NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
    source_path text NOT NULL,
    thumbnail_path text,
    duration_seconds double precision,
    failure_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (status <> 'ready' OR thumbnail_path IS NOT NULL)
);

CREATE INDEX videos_owner ON content.videos (owner_id, created_at DESC);
CREATE INDEX videos_latest ON content.videos (created_at DESC, id DESC);
