-- A user's likes, newest first: GET /api/users/me/likes pages through them by keyset, and a
-- page of posts looks up which of its ids the caller liked.
CREATE INDEX likes_user ON content.likes (user_id, created_at DESC, post_id DESC);
