-- Ads out of the search indexes (issues 12 and 13): a sponsor read answers no search.
--
-- Notes: the feed's boilerplate (the lines it repeats on many episodes, sponsor and
-- call-to-action markers; bot/common/boilerplate.py) is left out of what episodes_fts
-- reads. The importer writes that copy to `search_notes` at every import of the feed
-- (its boilerplate changes as the feed grows); NULL means "the notes as they are", which
-- is what every row holds until its feed's next import. The notes stay unchanged.
ALTER TABLE episodes ADD COLUMN search_notes TEXT;

CREATE VIEW episodes_searched AS
    SELECT id, title, coalesce(search_notes, notes_text) AS notes_text FROM episodes;

DROP TRIGGER episodes_fts_insert;
DROP TRIGGER episodes_fts_delete;
DROP TRIGGER episodes_fts_update;
DROP TABLE episodes_fts;
-- Same columns and tokenizer as before (the queries and snippets are unchanged); the
-- content is the view.
CREATE VIRTUAL TABLE episodes_fts USING fts5 (
    title, notes_text,
    content = 'episodes_searched', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO episodes_fts (episodes_fts) VALUES ('rebuild');
CREATE TRIGGER episodes_fts_insert AFTER INSERT ON episodes BEGIN
    INSERT INTO episodes_fts (rowid, title, notes_text)
        VALUES (new.id, new.title, coalesce(new.search_notes, new.notes_text));
END;
CREATE TRIGGER episodes_fts_delete AFTER DELETE ON episodes BEGIN
    INSERT INTO episodes_fts (episodes_fts, rowid, title, notes_text)
        VALUES ('delete', old.id, old.title, coalesce(old.search_notes, old.notes_text));
END;
CREATE TRIGGER episodes_fts_update AFTER UPDATE OF title, notes_text, search_notes ON episodes
BEGIN
    INSERT INTO episodes_fts (episodes_fts, rowid, title, notes_text)
        VALUES ('delete', old.id, old.title, coalesce(old.search_notes, old.notes_text));
    INSERT INTO episodes_fts (rowid, title, notes_text)
        VALUES (new.id, new.title, coalesce(new.search_notes, new.notes_text));
END;

-- Chapters: an ad chapter ("Sponsor: Acme", "Werbung") keeps its place in /chapters but is
-- not searched. The index reads only the other chapters.
CREATE VIEW chapters_searched AS SELECT id, title FROM chapters WHERE kind = 'chapter';

DROP TRIGGER chapters_fts_insert;
DROP TRIGGER chapters_fts_delete;
DROP TRIGGER chapters_fts_update;
DROP TABLE chapters_fts;
CREATE VIRTUAL TABLE chapters_fts USING fts5 (
    title,
    content = 'chapters_searched', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO chapters_fts (chapters_fts) VALUES ('rebuild');
CREATE TRIGGER chapters_fts_insert AFTER INSERT ON chapters WHEN new.kind = 'chapter' BEGIN
    INSERT INTO chapters_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER chapters_fts_delete AFTER DELETE ON chapters WHEN old.kind = 'chapter' BEGIN
    INSERT INTO chapters_fts (chapters_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
-- /when asks, per passage it reads, whether an ad chapter surrounds it: the few ad
-- chapters, by episode.
CREATE INDEX chapters_ads ON chapters (episode_id, start) WHERE kind = 'ad';
-- One trigger for both halves: the old row leaves the index if it was in it, the new one
-- enters it if it belongs there.
CREATE TRIGGER chapters_fts_update AFTER UPDATE OF title, kind ON chapters BEGIN
    INSERT INTO chapters_fts (chapters_fts, rowid, title)
        SELECT 'delete', old.id, old.title WHERE old.kind = 'chapter';
    INSERT INTO chapters_fts (rowid, title) SELECT new.id, new.title WHERE new.kind = 'chapter';
END;

-- Transcripts: a passage that opens or closes a sponsor read ("this episode is brought to
-- you by", "promo code", "Werbung"); /when leaves out the passages of the read around it
-- (bot/store/transcript_rows.py), as it does those inside an ad chapter. A virtual column:
-- nothing to backfill, and only the marked passages are in the index.
ALTER TABLE transcript_passages ADD COLUMN sponsor INTEGER GENERATED ALWAYS AS (
    text LIKE '%brought to you by%' OR text LIKE '%sponsored by%'
    OR text LIKE '%supported by our%' OR text LIKE '%thanks to our sponsor%'
    OR text LIKE '%our sponsor today%' OR text LIKE '%word from our sponsor%'
    OR text LIKE '%promo code%' OR text LIKE '%discount code%' OR text LIKE '%percent off%'
    OR text LIKE '%werbung%' OR text LIKE '%gesponsert von%' OR text LIKE '%rabattcode%'
    OR text LIKE '%gutscheincode%' OR text LIKE '%patrocinado por%'
    OR text LIKE '%gesponsord door%' OR text LIKE '%sponsorizzato da%'
) VIRTUAL;
CREATE INDEX transcript_passages_sponsor ON transcript_passages (episode_id, start)
    WHERE sponsor;

-- The next import of every feed re-reads it (and so writes `search_notes`).
UPDATE feeds SET content_hash = NULL, etag = NULL, last_modified = NULL;
