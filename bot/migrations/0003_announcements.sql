-- Announcements (issue 4): the poll schedule, guild settings, the outbox of deliveries.
-- Times are Unix seconds (UTC).

-- The poller's schedule and backoff, per feed. `status` (0001) says ok / failing / paused.
ALTER TABLE feeds ADD COLUMN next_poll_at INTEGER;             -- NULL: due now
ALTER TABLE feeds ADD COLUMN failure_count INTEGER NOT NULL DEFAULT 0;  -- in a row
ALTER TABLE feeds ADD COLUMN failing_since INTEGER;            -- first failure of the streak

-- Where and how a guild's new episodes are announced (/announce channel).
CREATE TABLE announce_settings (
    guild_id      INTEGER PRIMARY KEY,
    channel_id    INTEGER NOT NULL,           -- a text, announcement or forum channel
    role_id       INTEGER,                    -- mentioned by each announcement, when set
    thread        INTEGER NOT NULL DEFAULT 1, -- open a discussion thread on each one
    enabled       INTEGER NOT NULL DEFAULT 1, -- 0 after /announce off
    -- A Discord error only an admin can fix (missing permission, deleted channel): the
    -- sender stops for this guild until /announce channel is run again.
    blocked       INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,                       -- the latest problem, shown by /feed list
    last_error_at INTEGER,
    updated_by    INTEGER,
    updated_at    INTEGER NOT NULL
);

-- The outbox: one row per (new episode, guild), written in the transaction that stores the
-- episode. States:
--   pending  waiting to be sent (next_attempt_at says when)
--   sending  claimed: a message may or may not exist in channel_id; before posting again
--            the sender looks for it (the embed footer carries `ref A<id>`)
--   posted   the message exists (message_id); the thread or its chapter list is missing
--   sent     done
--   skipped  never sent on purpose (too old, too many waiting, announcements turned off)
--   failed   given up after repeated errors (error says why; surfaced in /feed list)
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    episode_id      INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
    guild_id        INTEGER NOT NULL,
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'posted', 'sent', 'skipped', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    channel_id      INTEGER,                  -- fixed when claimed: where to look after a crash
    message_id      INTEGER,
    thread_id       INTEGER,
    error           TEXT,
    created_at      INTEGER NOT NULL,
    claimed_at      INTEGER,
    sent_at         INTEGER,
    UNIQUE (episode_id, guild_id)             -- an episode is announced at most once per guild
);
-- Only the open deliveries: a query reads through it when it repeats this condition word
-- for word (bot/store/announcements.py `_OPEN`), however many deliveries were ever made.
CREATE INDEX deliveries_open ON deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending', 'posted');
CREATE INDEX deliveries_by_guild ON deliveries (guild_id, state);
