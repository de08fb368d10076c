-- Meaning for /when (issue 12): one vector per transcript passage, timed notes passage
-- (and soundbite) and chapter title, written in the background by bot/semantic when
-- EMBEDDING_MODEL is set. Nothing here is read or written with the setting off.

-- `source`: 1 transcript_passages, 2 passages (notes, soundbites), 3 chapters; `source_id`
-- is that row's id. `vector`: the unit vector's components as signed bytes (scaled so the
-- largest is ±127; cosine needs only the direction). AUTOINCREMENT: ids are never used
-- twice, so a reader that loaded up to id N loads what is new with `id > N`.
CREATE TABLE embeddings (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    source     INTEGER NOT NULL CHECK (source IN (1, 2, 3)),
    source_id  INTEGER NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    vector     BLOB NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX embeddings_by_episode ON embeddings (episode_id);

-- A vector goes with the row it embeds (a transcript fetched again, an episode's chapters
-- and notes passages written again), and a changed text is embedded again.
CREATE TRIGGER embeddings_transcript_delete AFTER DELETE ON transcript_passages BEGIN
    DELETE FROM embeddings WHERE source = 1 AND source_id = old.id;
END;
CREATE TRIGGER embeddings_transcript_update AFTER UPDATE OF text ON transcript_passages BEGIN
    DELETE FROM embeddings WHERE source = 1 AND source_id = old.id;
END;
CREATE TRIGGER embeddings_passage_delete AFTER DELETE ON passages BEGIN
    DELETE FROM embeddings WHERE source = 2 AND source_id = old.id;
END;
CREATE TRIGGER embeddings_passage_update AFTER UPDATE OF text ON passages BEGIN
    DELETE FROM embeddings WHERE source = 2 AND source_id = old.id;
END;
CREATE TRIGGER embeddings_chapter_delete AFTER DELETE ON chapters BEGIN
    DELETE FROM embeddings WHERE source = 3 AND source_id = old.id;
END;
CREATE TRIGGER embeddings_chapter_update AFTER UPDATE OF title, kind ON chapters BEGIN
    DELETE FROM embeddings WHERE source = 3 AND source_id = old.id;
END;
