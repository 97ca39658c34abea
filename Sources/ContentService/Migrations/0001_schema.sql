COMMENT ON SCHEMA content IS 'Posts, likes, search, playlists and videos. Owned by ContentService.';
