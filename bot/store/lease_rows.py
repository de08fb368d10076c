"""Leader leases: which of several processes on one store does a job only one may do."""

from __future__ import annotations

from pathlib import Path

from bot.store.base import StoreBase
from bot.store.maintenance import read_only_connection

# The lease of the poller and the announcement sender (cogs/feed_polling.py takes it).
POLLER_LEASE = "poller"
EMBEDDER_LEASE = "embedder"  # the meaning layer's background job (bot/semantic)


class LeaseStore(StoreBase):
    """`leader_lease` (migration 0009): one row per lease, its holder and when it expires.

    Taking and renewing are the same atomic step (one write transaction, `BEGIN
    IMMEDIATE`, so two processes never both win): the row is created if there is none,
    else taken over if it expired or is already ours. Times are unix seconds, passed in
    so that tests choose them.
    """

    async def try_acquire(self, name: str, holder: str, now: int, ttl: int) -> bool:
        """Take or renew the lease `name` for `holder` until `now + ttl`; True when
        `holder` holds it afterwards, False when another holder's lease is still valid."""
        expires = now + ttl
        async with self.transaction() as db:
            cursor = await db.execute(
                """UPDATE leader_lease SET holder = ?, expires_at = ?
                   WHERE name = ? AND (expires_at < ? OR holder = ?)""",
                (holder, expires, name, now, holder),
            )
            if cursor.rowcount:
                return True
            cursor = await db.execute(
                "INSERT OR IGNORE INTO leader_lease (name, holder, expires_at) VALUES (?, ?, ?)",
                (name, holder, expires),
            )
            return bool(cursor.rowcount)

    async def release(self, name: str, holder: str) -> bool:
        """Give the lease up (a clean stop: the next process need not wait for it to
        expire); True when `holder` held it."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM leader_lease WHERE name = ? AND holder = ?", (name, holder)
            )
            return bool(cursor.rowcount)

    async def lease_holder(self, name: str) -> tuple[str, int] | None:
        """Who holds the lease `name` and until when, or None when nobody ever took it."""
        row = await self.fetchone(
            "SELECT holder, expires_at FROM leader_lease WHERE name = ?", (name,)
        )
        return None if row is None else (str(row["holder"]), int(row["expires_at"]))


def read_leases(path: str | Path) -> dict[str, tuple[str, int]]:
    """Every lease row of the store at `path` as {name: (holder, expires_at)}, read through
    a read-only connection of its own (the doctor: beside a running bot, never migrating or
    writing); {} on a store from before migration 0009. Blocking: run it in a thread."""
    conn = read_only_connection(path)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'leader_lease'"
        ).fetchone()
        if found is None:
            return {}
        rows = conn.execute("SELECT name, holder, expires_at FROM leader_lease").fetchall()
    finally:
        conn.close()
    return {str(name): (str(holder), int(expires)) for name, holder, expires in rows}
