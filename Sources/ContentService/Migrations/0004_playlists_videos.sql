-- Videos become ready when both background jobs are done: the thumbnail (thumbnail queue) and the
-- web-playable rendition (transcode queue). Each job sets its own path; whichever finishes second
-- flips the status. Files live under MEDIA_DIR at paths derived from the id (see MediaLayout).
ALTER TABLE content.videos
    ADD COLUMN rendition_path text,
    ADD COLUMN size_bytes bigint NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
    ADD COLUMN container text,
    ADD COLUMN play_count bigint NOT NULL DEFAULT 0,
    DROP CONSTRAINT videos_check,
    ADD CONSTRAINT videos_ready_has_outputs
        CHECK (status <> 'ready' OR (thumbnail_path IS NOT NULL AND rendition_path IS NOT NULL));

-- Plays append here and PlayCounter folds them into videos.play_count in batches, as likes do.
CREATE TABLE content.play_deltas (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    video_id uuid NOT NULL
);
CREATE INDEX play_deltas_video ON content.play_deltas (video_id);

-- Playlists. Who may see or change one is PlaylistPolicy's rule; `unlisted` is readable by id but
-- never listed to anyone but its owner.
CREATE TABLE content.playlists (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 2000),
    visibility text NOT NULL CHECK (visibility IN ('public', 'unlisted', 'private')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- A user's playlists newest first: everything for the owner, the public ones for everyone else.
CREATE INDEX playlists_owner ON content.playlists (owner_id, created_at DESC, id DESC);
CREATE INDEX playlists_owner_public ON content.playlists (owner_id, created_at DESC, id DESC) WHERE visibility = 'public';

-- Items in `position` order. Positions may have gaps (a deleted video's items simply go, without
-- touching the playlists' rows, so a delete never waits on a playlist being edited); clients see
-- the 1-based rank.
CREATE TABLE content.playlist_items (
    id uuid PRIMARY KEY,
    playlist_id uuid NOT NULL REFERENCES content.playlists (id) ON DELETE CASCADE,
    video_id uuid NOT NULL REFERENCES content.videos (id) ON DELETE CASCADE,
    position integer NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (playlist_id, video_id),
    UNIQUE (playlist_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX playlist_items_video ON content.playlist_items (video_id);

-- Resumable (tus) uploads in progress: the bytes so far are in MEDIA_DIR/incoming/<id>.tus.
-- `busy_until` is the lease of the one PATCH that may append at a time.
CREATE TABLE content.uploads (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    length bigint NOT NULL CHECK (length > 0),
    "offset" bigint NOT NULL DEFAULT 0 CHECK ("offset" BETWEEN 0 AND length),
    container text,
    busy_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX uploads_expiry ON content.uploads (expires_at);
