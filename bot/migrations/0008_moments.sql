-- Moments in the conversation (issue 14): members' saved moments and each episode's one
-- discussion thread per server.

-- A moment a member saved with ⭐ Save: per server and per member. Saving the same second
-- of the same episode twice keeps one row. No foreign key to members: a member who leaves
-- leaves rows nobody reads, and nothing breaks.
CREATE TABLE saved_moments (
    id         INTEGER PRIMARY KEY,
    guild_id   INTEGER NOT NULL,               -- 0 outside a server (direct messages)
    user_id    INTEGER NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    seconds    INTEGER NOT NULL CHECK (seconds >= 0),
    note       TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (guild_id, user_id, episode_id, seconds)
);
-- /saved: a member's own, newest first.
CREATE INDEX saved_moments_by_member ON saved_moments (guild_id, user_id, created_at);

-- /top moments: how many members of a server saved each moment, kept by the triggers
-- below, so the most-saved are an index walk, not a GROUP BY over every save.
CREATE TABLE moment_saves (
    guild_id   INTEGER NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    seconds    INTEGER NOT NULL,
    saves      INTEGER NOT NULL,
    PRIMARY KEY (guild_id, episode_id, seconds)
) WITHOUT ROWID;
CREATE INDEX moment_saves_ranked ON moment_saves (guild_id, saves DESC, episode_id DESC, seconds);
CREATE INDEX moment_saves_ranked_in_episode ON moment_saves (guild_id, episode_id, saves DESC, seconds);
CREATE TRIGGER saved_moments_count_insert AFTER INSERT ON saved_moments BEGIN
    INSERT INTO moment_saves (guild_id, episode_id, seconds, saves)
        VALUES (new.guild_id, new.episode_id, new.seconds, 1)
        ON CONFLICT (guild_id, episode_id, seconds) DO UPDATE SET saves = saves + 1;
END;
CREATE TRIGGER saved_moments_count_delete AFTER DELETE ON saved_moments BEGIN
    UPDATE moment_saves SET saves = saves - 1
        WHERE guild_id = old.guild_id AND episode_id = old.episode_id AND seconds = old.seconds;
    DELETE FROM moment_saves
        WHERE guild_id = old.guild_id AND episode_id = old.episode_id AND seconds = old.seconds
              AND saves <= 0;
END;

-- An episode's discussion thread in a server: one per episode per server.
CREATE TABLE discussion_threads (
    guild_id   INTEGER NOT NULL,
    episode_id INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    thread_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (guild_id, episode_id)
);
CREATE UNIQUE INDEX discussion_threads_by_thread ON discussion_threads (thread_id);

-- The announcer's threads are episodes' discussion threads too (deliveries.thread_id):
-- "Find moment" in a thread looks its episode up by the thread.
CREATE INDEX deliveries_by_thread ON deliveries (thread_id) WHERE thread_id IS NOT NULL;
