-- The running bot's own state (issue 5): small values it must remember across restarts,
-- e.g. the hash of the command tree it last synced globally (so it syncs only on change).
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
