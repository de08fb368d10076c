-- What a credit says beside the name (issue 13): "Dr.", "Ambassador", "Acme Corp" of
-- "Ann Lee - Acme Corp", "CEO of Acme". The name stays the person (one person, not two);
-- the detail belongs to the credit in this episode and shows beside the name on its card.
-- NULL until the episode's next import (rows written before this knew no detail).
ALTER TABLE episode_persons ADD COLUMN detail TEXT;

-- Every feed is read again at its next poll, so its credits get their details.
UPDATE feeds SET content_hash = NULL, etag = NULL, last_modified = NULL;
