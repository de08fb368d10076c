-- The catalogue: feeds, their episodes, chapters and people, with full-text indexes.
-- Times are Unix seconds (UTC). Applied by Store in one transaction with user_version = 1.

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,      -- the URL, or the absolute path of a local file
    title           TEXT NOT NULL DEFAULT '',
    link            TEXT,
    description     TEXT NOT NULL DEFAULT '',
    image           TEXT,
    language        TEXT,
    author          TEXT,
    podcast_guid    TEXT,
    etag            TEXT,                      -- for conditional GET
    last_modified   TEXT,
    content_hash    TEXT,                      -- sha256 of the last bytes parsed
    last_polled_at  INTEGER,
    last_success_at INTEGER,
    last_error      TEXT,
    status          TEXT NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'failing', 'paused')),
    is_global       INTEGER NOT NULL DEFAULT 1,  -- FEEDS and the CLI: visible in every guild
    created_at      INTEGER NOT NULL
);

-- Feeds a guild follows with /feed add. A guild sees the global feeds plus these.
CREATE TABLE guild_feeds (
    guild_id INTEGER NOT NULL,
    feed_id  INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    added_by INTEGER,
    added_at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, feed_id)
);
CREATE INDEX guild_feeds_by_feed ON guild_feeds (feed_id);

CREATE TABLE episodes (
    id             INTEGER PRIMARY KEY,
    feed_id        INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key            TEXT NOT NULL,              -- guid; else enclosure URL, link, or title+date hash
    guid           TEXT,
    title          TEXT NOT NULL,
    notes_html     TEXT NOT NULL DEFAULT '',
    notes_text     TEXT NOT NULL DEFAULT '',   -- what search and summaries read
    number         INTEGER,
    number_label   TEXT,
    season         INTEGER,
    season_label   TEXT,
    published_at   INTEGER,
    duration       INTEGER,                    -- whole seconds, NULL when unknown
    link           TEXT,
    audio_url      TEXT,
    audio_type     TEXT,
    image          TEXT,
    episode_type   TEXT NOT NULL DEFAULT 'full' CHECK (episode_type IN ('full', 'trailer', 'bonus')),
    chapters_url   TEXT,
    chapters_type  TEXT,
    chapters_error TEXT,                       -- why the chapters file could not be used
    content_hash   TEXT NOT NULL,              -- of the parsed item: decides new/updated/unchanged
    first_seen_at  INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (feed_id, key)
);
CREATE INDEX episodes_by_published ON episodes (published_at DESC);
CREATE INDEX episodes_by_number ON episodes (number);
CREATE INDEX episodes_by_title ON episodes (title COLLATE NOCASE);

CREATE TABLE chapters (
    id         INTEGER PRIMARY KEY,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    start      REAL NOT NULL,
    title      TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('psc', 'json', 'notes', 'transcript')),
    url        TEXT,
    image      TEXT,
    UNIQUE (episode_id, position)
);

CREATE TABLE persons (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,             -- case-folded, spaces collapsed
    href     TEXT,
    image    TEXT
);

CREATE TABLE episode_persons (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    grp        TEXT,
    inferred   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (episode_id, person_id, role)
);
CREATE INDEX episode_persons_by_person ON episode_persons (person_id);

CREATE TABLE transcript_refs (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    type       TEXT NOT NULL,
    language   TEXT,
    rel        TEXT,
    PRIMARY KEY (episode_id, url)
);

CREATE TABLE soundbites (
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    start      REAL NOT NULL,
    duration   REAL NOT NULL,
    title      TEXT
);
CREATE INDEX soundbites_by_episode ON soundbites (episode_id);

-- External-content FTS5 indexes, kept in sync by triggers. Porter stemming so that
-- "learning rates" finds "learning rate"; diacritics folded so "Zoe" finds "Zoë".
CREATE VIRTUAL TABLE episodes_fts USING fts5 (
    title, notes_text,
    content = 'episodes', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER episodes_fts_insert AFTER INSERT ON episodes BEGIN
    INSERT INTO episodes_fts (rowid, title, notes_text) VALUES (new.id, new.title, new.notes_text);
END;
CREATE TRIGGER episodes_fts_delete AFTER DELETE ON episodes BEGIN
    INSERT INTO episodes_fts (episodes_fts, rowid, title, notes_text)
        VALUES ('delete', old.id, old.title, old.notes_text);
END;
-- Only text changes touch the index: polling updates other columns often.
CREATE TRIGGER episodes_fts_update AFTER UPDATE OF title, notes_text ON episodes BEGIN
    INSERT INTO episodes_fts (episodes_fts, rowid, title, notes_text)
        VALUES ('delete', old.id, old.title, old.notes_text);
    INSERT INTO episodes_fts (rowid, title, notes_text) VALUES (new.id, new.title, new.notes_text);
END;

CREATE VIRTUAL TABLE chapters_fts USING fts5 (
    title,
    content = 'chapters', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER chapters_fts_insert AFTER INSERT ON chapters BEGIN
    INSERT INTO chapters_fts (rowid, title) VALUES (new.id, new.title);
END;
CREATE TRIGGER chapters_fts_delete AFTER DELETE ON chapters BEGIN
    INSERT INTO chapters_fts (chapters_fts, rowid, title) VALUES ('delete', old.id, old.title);
END;
CREATE TRIGGER chapters_fts_update AFTER UPDATE OF title ON chapters BEGIN
    INSERT INTO chapters_fts (chapters_fts, rowid, title) VALUES ('delete', old.id, old.title);
    INSERT INTO chapters_fts (rowid, title) VALUES (new.id, new.title);
END;
