-- The administrators' count of a user's posts takes hidden ones too (a banned author's): the
-- visible ones are counted from posts_author_latest, the hidden ones from this index, which holds
-- only theirs and so costs the writes of ordinary posts nothing.
CREATE INDEX posts_author_hidden ON content.posts (author_id) WHERE NOT visible;
