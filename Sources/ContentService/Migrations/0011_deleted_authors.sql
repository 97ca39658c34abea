-- An author whose account was deleted stays as a tombstone (no nickname, `deleted`): their
-- content is gone (AuthorErasure), and a write still in flight with their last access token finds
-- the tombstone and is refused instead of leaving something behind that nobody owns.
ALTER TABLE content.authors ADD COLUMN deleted boolean NOT NULL DEFAULT false;
