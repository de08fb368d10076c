"""The running bot's own small state: named values that survive a restart."""

from __future__ import annotations

from bot.store.base import StoreBase, now


class StateStore(StoreBase):
    """`bot_state`: a key/value table, e.g. the hash of the last globally synced commands."""

    async def get_state(self, key: str) -> str | None:
        """The value stored under `key`, or None."""
        row = await self.fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return None if row is None else str(row["value"])

    async def set_state(self, key: str, value: str) -> None:
        """Store `value` under `key`, replacing what was there."""
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?)
                   ON CONFLICT (key) DO UPDATE SET value = excluded.value,
                                                   updated_at = excluded.updated_at""",
                (key, value, now()),
            )
