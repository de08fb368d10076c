-- Leader leases (issue 15): with more than one process on one store (SHARD_IDS), exactly
-- one of them runs the poller and the announcement sender. It holds the lease named
-- 'poller' and renews it every tick; a lease not renewed before `expires_at` (unix
-- seconds) may be taken by another process, so a dead leader is replaced within a minute.
CREATE TABLE leader_lease (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
