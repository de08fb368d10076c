-- Member commands (issue 3): related episodes, computed at import time, and what search needs.

-- Timed passages: the show-note sentences that sit next to a timestamp ("At 12:30 in, she
-- explains ...") and the publisher's soundbites, each a moment /when can jump to. Derived
-- by the importer in the same transaction as the episode (chapter-list lines are chapters,
-- not passages).
CREATE TABLE passages (
    id         INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL CHECK (kind IN ('notes', 'soundbite')),
    start      REAL NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX passages_by_episode ON passages (episode_id);

CREATE VIRTUAL TABLE passages_fts USING fts5 (
    text,
    content = 'passages', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
    INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER passages_fts_update AFTER UPDATE OF text ON passages BEGIN
    INSERT INTO passages_fts (passages_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO passages_fts (rowid, text) VALUES (new.id, new.text);
END;

-- Titles on their own: short documents, so a title match is found and ranked cheaply
-- even for a word that half the notes contain (/search puts title matches first).
CREATE VIRTUAL TABLE episode_titles_fts USING fts5 (
    title,
    content = 'episodes', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO episode_titles_fts (episode_titles_fts) VALUES ('rebuild');
CREATE TRIGGER episode_titles_fts_insert AFTER INSERT ON episodes BEGIN
    INSERT INTO episode_titles_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER episode_titles_fts_delete AFTER DELETE ON episodes BEGIN
    INSERT INTO episode_titles_fts (episode_titles_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER episode_titles_fts_update AFTER UPDATE OF title ON episodes BEGIN
    INSERT INTO episode_titles_fts (episode_titles_fts, rowid, title)
        VALUES ('delete', old.id, old.title);
    INSERT INTO episode_titles_fts (rowid, title) VALUES (new.id, new.title);
END;

-- Related episodes. Each episode's signature: its most distinctive terms (TF-IDF over
-- title, chapter titles and notes, with the feed's boilerplate removed), weights
-- L2-normalised so that the dot product of two signatures is their cosine similarity.
-- `form` is how the term reads in that episode ("learning rates").
CREATE TABLE related_terms (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    term       TEXT NOT NULL,
    weight     REAL NOT NULL,
    form       TEXT NOT NULL,
    PRIMARY KEY (episode_id, term)
) WITHOUT ROWID;
CREATE INDEX related_terms_by_term ON related_terms (term, episode_id, weight);

-- Document frequencies per feed, kept up to date incrementally, so that one new episode
-- is scored without re-reading the whole feed. `term = ''` holds the feed's episode count.
CREATE TABLE related_df (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    term    TEXT NOT NULL,
    df      INTEGER NOT NULL,
    PRIMARY KEY (feed_id, term)
) WITHOUT ROWID;

-- The most related episodes of each episode: the best few in its own feed and the best
-- few in other feeds (filtered by guild scope when read), each with its reasons as JSON
-- arrays of display strings.
CREATE TABLE related_episodes (
    episode_id    INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    related_id    INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    same_feed     INTEGER NOT NULL,
    score         REAL NOT NULL,
    shared_people TEXT NOT NULL DEFAULT '[]',
    shared_terms  TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (episode_id, related_id)
) WITHOUT ROWID;
CREATE INDEX related_episodes_by_related ON related_episodes (related_id);

-- A counter bumped by every change that autocomplete's in-memory index reads (titles,
-- numbers, dates, people, feeds), so that the index knows when to rebuild with one read.
CREATE TABLE lookup_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO lookup_generation (id, generation) VALUES (1, 0);
CREATE TRIGGER lookup_episode_insert AFTER INSERT ON episodes BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_episode_delete AFTER DELETE ON episodes BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_episode_update
    AFTER UPDATE OF title, number, season, published_at, episode_type, feed_id ON episodes BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_credit_insert AFTER INSERT ON episode_persons BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_credit_delete AFTER DELETE ON episode_persons BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_person_update AFTER UPDATE OF name ON persons BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_feed_insert AFTER INSERT ON feeds BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_feed_delete AFTER DELETE ON feeds BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;
CREATE TRIGGER lookup_feed_update AFTER UPDATE OF title ON feeds BEGIN
    UPDATE lookup_generation SET generation = generation + 1 WHERE id = 1;
END;

-- Stores written before this migration have no passages or related episodes: forget the
-- content hashes so that the next import re-derives every episode.
UPDATE feeds SET content_hash = NULL, etag = NULL, last_modified = NULL;
UPDATE episodes SET content_hash = '';
