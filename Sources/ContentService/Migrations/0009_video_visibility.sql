-- Videos get a description and a visibility, under the rule playlists follow (VisibilityPolicy):
-- public ones are listed, unlisted ones reached by their id, private ones their owner's alone.
-- Existing videos stay as they were: public.
ALTER TABLE content.videos
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN visibility text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'unlisted', 'private'));

-- The listings: everyone's public ready videos newest first or most played, and one owner's.
CREATE INDEX videos_listed_latest ON content.videos (created_at DESC, id DESC) WHERE status = 'ready' AND visibility = 'public';
CREATE INDEX videos_listed_plays ON content.videos (play_count DESC, id DESC) WHERE status = 'ready' AND visibility = 'public';
CREATE INDEX videos_owner_latest ON content.videos (owner_id, created_at DESC, id DESC);
CREATE INDEX videos_owner_plays ON content.videos (owner_id, play_count DESC, id DESC);
DROP INDEX content.videos_owner;
