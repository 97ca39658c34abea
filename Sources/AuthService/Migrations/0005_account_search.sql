-- Who banned an account: the administrator's id, set with banned_at and ban_reason and cleared with
-- them on unban. Not a foreign key: the id stays meaningful (audit.events names the same one) even
-- if that administrator's account is deleted. NULL on bans from before this column.
ALTER TABLE auth.users ADD COLUMN banned_by uuid;

-- The administrators' account search (AccountQuery): newest first for the whole list, and the
-- prefix matches on the email and the lower-cased nickname, which LIKE 'prefix%' reads from a
-- text_pattern_ops index whatever the database's collation.
CREATE INDEX users_newest ON auth.users (created_at DESC, id DESC);
CREATE INDEX users_email_prefix ON auth.users (email text_pattern_ops);
CREATE INDEX users_nickname_prefix ON auth.users (lower(nickname) text_pattern_ops);
