-- GET /api/playlists: everyone's public playlists, newest first, by keyset.
CREATE INDEX playlists_public ON content.playlists (created_at DESC, id DESC) WHERE visibility = 'public';
