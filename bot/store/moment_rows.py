"""Moments: what is at a second of an episode, members' saved moments, discussion threads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiosqlite import Row

from bot.models.episode_views import ChapterEntry
from bot.models.moment_views import MomentContext, MomentTally, SavedMoment, SpokenPassage
from bot.store.base import StoreBase, now

# A passage this far from the second (ended before it, or starts after it) is not "at" it.
PASSAGE_SLACK = 20.0
# A notes sentence names a second when its time is this close to it.
NOTES_SLACK = 30.0
NO_GUILD = 0  # saved outside a server


class MomentStore(StoreBase):
    """`saved_moments` and `discussion_threads` (migration 0008), and the reads a moment
    card needs from chapters, transcript passages and notes passages."""

    async def moment_context(self, episode_id: int, seconds: float) -> MomentContext:
        """The chapter, transcript passage and notes sentence at `seconds`; each is a seek
        on an index by (episode, start)."""
        chapter_row = await self.fetchone(
            """SELECT start, title, source, url FROM chapters
               WHERE episode_id = ? AND start <= ? ORDER BY start DESC, position DESC LIMIT 1""",
            (episode_id, seconds),
        )
        before = await self.fetchone(
            """SELECT start, end, speaker, text FROM transcript_passages
               WHERE episode_id = ? AND start IS NOT NULL AND start <= ?
               ORDER BY start DESC LIMIT 1""",
            (episode_id, seconds),
        )
        after = await self.fetchone(
            """SELECT start, end, speaker, text FROM transcript_passages
               WHERE episode_id = ? AND start IS NOT NULL AND start > ?
               ORDER BY start LIMIT 1""",
            (episode_id, seconds),
        )
        notes_row = await self.fetchone(
            """SELECT text FROM passages
               WHERE episode_id = ? AND kind = 'notes' AND start BETWEEN ? AND ?
               ORDER BY abs(start - ?) LIMIT 1""",
            (episode_id, seconds - NOTES_SLACK, seconds + NOTES_SLACK, seconds),
        )
        chapter = None
        if chapter_row is not None:
            chapter = ChapterEntry(
                float(chapter_row["start"]),
                str(chapter_row["title"]),
                str(chapter_row["source"]),
                chapter_row["url"],
            )
        passage = _nearest_passage(seconds, before, after)
        notes = None if notes_row is None else str(notes_row["text"])
        return MomentContext(chapter=chapter, passage=passage, notes_sentence=notes)

    # ------------------------------------------------------------------ saved moments

    async def save_moment(
        self, guild_id: int | None, user_id: int, episode_id: int, seconds: int, note: str | None
    ) -> bool:
        """Save a member's moment; False when it was saved already (nothing changes)."""
        async with self.transaction() as db:
            cursor = await db.execute(
                """INSERT INTO saved_moments
                       (guild_id, user_id, episode_id, seconds, note, created_at)
                   VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (guild_id, user_id, episode_id, seconds) DO NOTHING""",
                (guild_id or NO_GUILD, user_id, episode_id, seconds, note, now()),
            )
            return cursor.rowcount == 1

    async def remove_saved_moment(
        self, guild_id: int | None, user_id: int, episode_id: int, seconds: int
    ) -> bool:
        """Forget one of a member's saved moments; False when there was none."""
        async with self.transaction() as db:
            cursor = await db.execute(
                """DELETE FROM saved_moments
                   WHERE guild_id = ? AND user_id = ? AND episode_id = ? AND seconds = ?""",
                (guild_id or NO_GUILD, user_id, episode_id, seconds),
            )
            return cursor.rowcount == 1

    async def saved_moments(
        self, guild_id: int | None, user_id: int, *, limit: int = 100
    ) -> list[SavedMoment]:
        """A member's saved moments in this server, newest first."""
        rows = await self.fetchall(
            """SELECT episode_id, seconds, note, created_at FROM saved_moments
               WHERE guild_id = ? AND user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?""",
            (guild_id or NO_GUILD, user_id, limit),
        )
        return [
            SavedMoment(int(r["episode_id"]), int(r["seconds"]), r["note"], int(r["created_at"]))
            for r in rows
        ]

    async def top_moments(
        self, guild_id: int | None, *, episode_id: int | None = None, limit: int = 10
    ) -> list[MomentTally]:
        """A server's most-saved moments, most saves first (then earliest in the episode)."""
        where = "guild_id = ?"
        params: list[Any] = [guild_id or NO_GUILD]
        if episode_id is not None:
            where += " AND episode_id = ?"
            params.append(episode_id)
        rows = await self.fetchall(
            f"""SELECT episode_id, seconds, saves FROM moment_saves WHERE {where}
                ORDER BY saves DESC, episode_id DESC, seconds LIMIT ?""",
            (*params, limit),
        )
        return [MomentTally(int(r["episode_id"]), int(r["seconds"]), int(r["saves"])) for r in rows]

    async def export_saved_moments(self) -> AsyncIterator[dict[str, Any]]:
        """Every saved moment, with the episode's feed and guid to find it again."""
        rows = await self.fetchall(
            """SELECT s.guild_id, s.user_id, s.seconds, s.note, s.created_at,
                      e.guid, e.key, f.url AS feed
               FROM saved_moments s JOIN episodes e ON e.id = s.episode_id
               JOIN feeds f ON f.id = e.feed_id ORDER BY s.id"""
        )
        for row in rows:
            yield {
                "type": "saved_moment",
                "feed": row["feed"],
                "guid": row["guid"] or row["key"],
                "guild_id": row["guild_id"] or None,
                "user_id": row["user_id"],
                "seconds": row["seconds"],
                "note": row["note"],
                "saved_at": row["created_at"],
            }

    # ------------------------------------------------------------------ discussion threads

    async def episode_of_thread(self, guild_id: int | None, thread_id: int) -> int | None:
        """The episode whose discussion thread `thread_id` is in this server: one /discuss
        opened, or the thread of the episode's announcement. None for any other thread."""
        row = await self.fetchone(
            """SELECT episode_id FROM (
                   SELECT episode_id, 0 AS rank FROM discussion_threads
                   WHERE guild_id = ? AND thread_id = ?
                   UNION ALL
                   SELECT episode_id, 1 AS rank FROM deliveries
                   WHERE guild_id = ? AND thread_id = ?)
               ORDER BY rank LIMIT 1""",
            (guild_id or NO_GUILD, thread_id, guild_id or NO_GUILD, thread_id),
        )
        return None if row is None else int(row["episode_id"])

    async def discussion_thread(self, guild_id: int, episode_id: int) -> int | None:
        """The episode's discussion thread in this server: the one registered (by
        /discuss), else the thread the announcer opened on its announcement; or None."""
        row = await self.fetchone(
            """SELECT thread_id FROM (
                   SELECT thread_id, 0 AS rank FROM discussion_threads
                   WHERE guild_id = ? AND episode_id = ?
                   UNION ALL
                   SELECT thread_id, 1 AS rank FROM deliveries
                   WHERE guild_id = ? AND episode_id = ? AND thread_id IS NOT NULL)
               ORDER BY rank LIMIT 1""",
            (guild_id, episode_id, guild_id, episode_id),
        )
        return None if row is None else int(row["thread_id"])

    async def register_discussion_thread(
        self, guild_id: int, episode_id: int, thread_id: int, *, replace: bool = False
    ) -> int:
        """Register `thread_id` as the episode's thread; the thread that holds the place
        afterwards (an earlier one wins unless `replace`: one thread per episode)."""
        async with self.transaction() as db:
            await db.execute("DELETE FROM discussion_threads WHERE thread_id = ?", (thread_id,))
            conflict = "DO UPDATE SET thread_id = excluded.thread_id" if replace else "DO NOTHING"
            await db.execute(
                f"""INSERT INTO discussion_threads (guild_id, episode_id, thread_id, created_at)
                    VALUES (?, ?, ?, ?) ON CONFLICT (guild_id, episode_id) {conflict}""",
                (guild_id, episode_id, thread_id, now()),
            )
            cursor = await db.execute(
                "SELECT thread_id FROM discussion_threads WHERE guild_id = ? AND episode_id = ?",
                (guild_id, episode_id),
            )
            row = await cursor.fetchone()
            assert row is not None
            return int(row[0])


def _nearest_passage(seconds: float, *rows: Row | None) -> SpokenPassage | None:
    """The passage playing at `seconds`, else the nearest within `PASSAGE_SLACK` (a
    transcript may leave out the pauses, or skip stretches)."""
    best: tuple[float, SpokenPassage] | None = None
    for row in rows:
        if row is None:
            continue
        start = float(row["start"])
        end = start if row["end"] is None else float(row["end"])
        distance = 0.0 if start <= seconds <= end else min(abs(start - seconds), abs(seconds - end))
        if distance <= PASSAGE_SLACK and (best is None or distance < best[0]):
            passage = SpokenPassage(
                start, None if row["end"] is None else end, row["speaker"], str(row["text"])
            )
            best = (distance, passage)
    return None if best is None else best[1]
