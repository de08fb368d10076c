-- Transcripts and people (issue 6): timed transcript passages with their own FTS5 indexes.
-- People need no new tables: inferred guests go to episode_persons with inferred = 1.

-- One row per transcript link tried for an episode: what was fetched, when, and how it went.
-- At most one row per episode is 'ok': the one whose passages are stored.
CREATE TABLE transcripts (
    episode_id       INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    url              TEXT NOT NULL,            -- as the feed gives it (transcript_refs.url)
    format           TEXT,                     -- json, vtt, srt, html or text: what the bytes were
    status           TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
    etag             TEXT,                     -- for conditional GET
    last_modified    TEXT,
    content_hash     TEXT,                     -- sha256 of the bytes parsed
    parser_version   TEXT,                     -- a newer parser re-reads the file
    segment_count    INTEGER NOT NULL DEFAULT 0,  -- cues (or words) in the file
    passage_count    INTEGER NOT NULL DEFAULT 0,
    timed            INTEGER NOT NULL DEFAULT 0,  -- 0: HTML or text, searchable, no jump links
    first_passage_id INTEGER,                  -- the episode's passages are one id range
    last_passage_id  INTEGER,
    error            TEXT,                     -- why the last attempt failed
    attempts         INTEGER NOT NULL DEFAULT 0,  -- failures in a row
    checked_at       INTEGER NOT NULL,         -- last fetch attempt (Unix seconds)
    episode_hash     TEXT,                     -- episodes.content_hash when last checked: a
                                               -- changed item may carry a new transcript
    PRIMARY KEY (episode_id, url)
);

-- Passages: a sentence or two by one speaker. start/end are seconds, NULL when untimed.
CREATE TABLE transcript_passages (
    id         INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    start      REAL,
    end        REAL,
    speaker    TEXT,
    text       TEXT NOT NULL
);
CREATE INDEX transcript_passages_by_episode ON transcript_passages (episode_id, start);

-- Passage-level index: the moments. Same tokenizer as the catalogue's indexes.
CREATE VIRTUAL TABLE transcript_fts USING fts5 (
    text,
    content = 'transcript_passages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER transcript_fts_insert AFTER INSERT ON transcript_passages BEGIN
    INSERT INTO transcript_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER transcript_fts_delete AFTER DELETE ON transcript_passages BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER transcript_fts_update AFTER UPDATE OF text ON transcript_passages BEGIN
    INSERT INTO transcript_fts (transcript_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO transcript_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Episode-level index: one document per episode (rowid = episode id), its passages joined
-- by newlines. Ranking ~10k episode documents is cheap even for a common word, where
-- ranking millions of passages is not; /when picks episodes here first, then passages
-- inside them. Contentless (the text is in transcript_passages), so a delete must repeat
-- the exact text: always built by the expression in the trigger below, oldest passage first.
CREATE VIRTUAL TABLE transcript_episodes_fts USING fts5 (
    text,
    content = '',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
-- Before an episode goes (and its passages with it), take its document out of the index.
CREATE TRIGGER transcript_episodes_fts_episode_delete BEFORE DELETE ON episodes BEGIN
    INSERT INTO transcript_episodes_fts (transcript_episodes_fts, rowid, text)
        SELECT 'delete', old.id, doc FROM (
            SELECT group_concat(text, char(10)) AS doc
            FROM (SELECT text FROM transcript_passages WHERE episode_id = old.id ORDER BY id)
        ) WHERE doc IS NOT NULL;
END;
