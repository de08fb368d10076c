"""The announcements half of the store: the poll schedule, guild settings and the outbox.

The outbox (`deliveries`) is filled by `enqueue_announcements`, which the catalogue calls
inside the transaction that stores new episodes, so an episode can never be stored without
its announcements, nor announced without being stored. `bot/announce/announcer.py` drains it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.base import StoreBase, chunks, now, placeholders, visible_feeds

# Delivery states that still need work (see 0003_announcements.sql).
OPEN_STATES = ("pending", "sending", "posted")
# The same as the condition of the partial index `deliveries_open`: a query that repeats it
# reads only the open deliveries, however many were ever made.
_OPEN = f"state IN ({', '.join(repr(state) for state in OPEN_STATES)})"


# ---------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class PollTarget:
    """A feed the poller is about to read, with what it needs to schedule the next read."""

    id: int
    url: str
    is_global: bool  # global feeds (FEEDS, the CLI) are trusted; guild feeds are not
    failure_count: int
    failing_since: int | None
    status: str


@dataclass(frozen=True, slots=True)
class GuildFeed:
    """A feed as `/feed list` shows it to one guild."""

    id: int
    url: str
    title: str
    is_global: bool
    followed_here: bool  # added with /feed add in this guild
    episode_count: int
    last_polled_at: int | None
    last_success_at: int | None
    last_error: str | None
    status: str
    failure_count: int
    next_poll_at: int | None


@dataclass(frozen=True, slots=True)
class AnnounceSettings:
    guild_id: int
    channel_id: int
    role_id: int | None
    thread: bool
    enabled: bool
    blocked: bool
    last_error: str | None
    last_error_at: int | None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One outbox row joined with the guild's current settings."""

    id: int
    episode_id: int
    guild_id: int
    state: str
    attempts: int
    channel_id: int  # the claimed channel, or the configured one while pending
    message_id: int | None
    thread_id: int | None
    role_id: int | None
    thread: bool


@dataclass(frozen=True, slots=True)
class AnnouncedChapter:
    start: float
    title: str


@dataclass(frozen=True, slots=True)
class AnnouncedEpisode:
    """What an announcement shows of an episode (plain data, rendered by bot/announcement)."""

    id: int
    feed_title: str
    feed_link: str | None
    title: str
    number: int | None
    number_label: str | None
    season: int | None
    published_at: int | None
    duration: int | None
    notes_text: str
    link: str | None
    audio_url: str | None
    image: str | None
    chapters: tuple[AnnouncedChapter, ...]


# ---------------------------------------------------------------------- the outbox writer


async def enqueue_announcements(
    db: aiosqlite.Connection, episode_ids: Sequence[int], timestamp: int
) -> None:
    """Queue an announcement of each new episode for every guild that announces and sees
    its feed. Runs inside the importer's transaction (`db` is the writer, mid-transaction).

    An episode that repeats an older one of its feed (same audio file, or same title and
    date: a publisher that changed the guid of an edited episode) is not announced again.
    """
    if not episode_ids:
        return
    for chunk in chunks(list(episode_ids)):
        marks = placeholders(len(chunk))
        await db.execute(
            f"""INSERT OR IGNORE INTO deliveries (episode_id, guild_id, created_at)
                SELECT e.id, s.guild_id, ?
                FROM episodes e
                JOIN feeds f ON f.id = e.feed_id
                JOIN announce_settings s ON s.enabled = 1
                WHERE e.id IN ({marks})
                  AND (f.is_global = 1 OR EXISTS (
                        SELECT 1 FROM guild_feeds g
                        WHERE g.guild_id = s.guild_id AND g.feed_id = f.id))
                  AND NOT EXISTS (
                        SELECT 1 FROM episodes o
                        WHERE o.feed_id = e.feed_id AND o.id < ?
                          AND ((e.audio_url IS NOT NULL AND o.audio_url = e.audio_url)
                               OR (o.title = e.title AND o.published_at IS e.published_at)))""",
            (timestamp, *chunk, min(episode_ids)),
        )


class AnnouncementStore(StoreBase):
    """Reads and writes of the poller, the announcer and the admin commands."""

    # ------------------------------------------------------------------ poll schedule

    _TARGET_COLUMNS = "id, url, is_global, failure_count, failing_since, status"

    @staticmethod
    def _target(row: aiosqlite.Row) -> PollTarget:
        return PollTarget(
            id=row["id"],
            url=row["url"],
            is_global=bool(row["is_global"]),
            failure_count=row["failure_count"],
            failing_since=row["failing_since"],
            status=row["status"],
        )

    async def due_feeds(self, at: int, limit: int = 1000) -> list[PollTarget]:
        """Feeds whose next poll is due, most overdue first. Paused feeds and guild feeds no
        guild follows any more are left alone."""
        rows = await self.fetchall(
            f"""SELECT {self._TARGET_COLUMNS} FROM feeds f
                WHERE f.status != 'paused' AND coalesce(f.next_poll_at, 0) <= ?
                  AND (f.is_global = 1
                       OR EXISTS (SELECT 1 FROM guild_feeds g WHERE g.feed_id = f.id))
                ORDER BY coalesce(f.next_poll_at, 0), f.id
                LIMIT ?""",
            (at, limit),
        )
        return [self._target(row) for row in rows]

    async def poll_target(self, feed_id: int) -> PollTarget | None:
        row = await self.fetchone(
            f"SELECT {self._TARGET_COLUMNS} FROM feeds WHERE id = ?", (feed_id,)
        )
        return self._target(row) if row else None

    async def poll_target_by_url(self, url: str) -> PollTarget | None:
        row = await self.fetchone(f"SELECT {self._TARGET_COLUMNS} FROM feeds WHERE url = ?", (url,))
        return self._target(row) if row else None

    async def schedule_polls(self, schedule: Sequence[tuple[int, int]]) -> None:
        """Set the next poll time of feeds: (feed_id, next_poll_at) pairs, in one write."""
        if not schedule:
            return
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE feeds SET next_poll_at = ? WHERE id = ?",
                [(at, feed_id) for feed_id, at in schedule],
            )

    async def record_poll_failure(
        self, feed_id: int, error: str, *, at: int, next_poll_at: int, pause_after: int
    ) -> str:
        """Count a failed poll; the feed is paused once it has failed for `pause_after`
        seconds in a row. Returns the feed's status afterwards."""
        async with self.transaction() as db:
            await db.execute(
                """UPDATE feeds SET
                       failure_count = failure_count + 1,
                       failing_since = coalesce(failing_since, ?),
                       last_error = ?,
                       last_polled_at = ?,
                       next_poll_at = ?,
                       status = CASE WHEN ? - coalesce(failing_since, ?) >= ? THEN 'paused'
                                     ELSE 'failing' END
                   WHERE id = ?""",
                (at, error, at, next_poll_at, at, at, pause_after, feed_id),
            )
            status = await db.execute("SELECT status FROM feeds WHERE id = ?", (feed_id,))
            row = await status.fetchone()
        return row["status"] if row else "ok"

    async def record_poll_recovered(self, feed_id: int) -> None:
        """A poll worked: the failure streak (and any pause) is over."""
        async with self.transaction() as db:
            await db.execute(
                """UPDATE feeds SET failure_count = 0, failing_since = NULL, status = 'ok',
                       last_error = NULL
                   WHERE id = ?""",
                (feed_id,),
            )

    async def mark_feeds_global(self, urls: Sequence[str]) -> None:
        """Feeds named in FEEDS are visible in every guild, even if a guild added one first."""
        if not urls:
            return
        async with self.transaction() as db:
            await db.executemany(
                "UPDATE feeds SET is_global = 1 WHERE url = ?", [(url,) for url in urls]
            )

    # ------------------------------------------------------------------ guild feeds

    async def guild_feeds(self, guild_id: int) -> list[GuildFeed]:
        """Every feed the guild sees (global ones and its own), by title."""
        subquery, params = visible_feeds(guild_id)
        rows = await self.fetchall(
            f"""SELECT f.id, f.url, f.title, f.is_global,
                       EXISTS (SELECT 1 FROM guild_feeds g
                               WHERE g.feed_id = f.id AND g.guild_id = ?) AS followed_here,
                       (SELECT count(*) FROM episodes e WHERE e.feed_id = f.id) AS episode_count,
                       f.last_polled_at, f.last_success_at, f.last_error, f.status,
                       f.failure_count, f.next_poll_at
                FROM feeds f WHERE f.id IN ({subquery})
                ORDER BY f.title COLLATE NOCASE, f.id""",
            (guild_id, *params),
        )
        return [
            GuildFeed(
                **{
                    **dict(row),
                    "is_global": bool(row["is_global"]),
                    "followed_here": bool(row["followed_here"]),
                }
            )
            for row in rows
        ]

    async def follows_feed(self, guild_id: int, feed_id: int) -> bool:
        """Whether the guild added this feed with /feed add."""
        row = await self.fetchone(
            "SELECT 1 FROM guild_feeds WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id)
        )
        return row is not None

    async def feed_title(self, feed_id: int) -> str:
        row = await self.fetchone("SELECT title, url FROM feeds WHERE id = ?", (feed_id,))
        return (row["title"] or row["url"]) if row else ""

    async def follow_feed(self, guild_id: int, feed_id: int, user_id: int | None) -> None:
        """Let a guild see a feed that is already stored (another guild follows it)."""
        async with self.transaction() as db:
            await db.execute(
                """INSERT OR IGNORE INTO guild_feeds (guild_id, feed_id, added_by, added_at)
                   VALUES (?, ?, ?, ?)""",
                (guild_id, feed_id, user_id, now()),
            )

    async def unfollow_feed(self, guild_id: int, feed_id: int) -> bool:
        """Stop a guild following a feed; drop its waiting announcements of that feed. A guild
        feed nobody follows any more is deleted with its episodes. Returns whether the guild
        followed it."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "DELETE FROM guild_feeds WHERE guild_id = ? AND feed_id = ?", (guild_id, feed_id)
            )
            if cursor.rowcount == 0:
                return False
            await db.execute(
                """UPDATE deliveries SET state = 'skipped', error = 'feed removed'
                   WHERE guild_id = ? AND state = 'pending'
                     AND episode_id IN (SELECT id FROM episodes WHERE feed_id = ?)
                     AND NOT EXISTS (SELECT 1 FROM feeds WHERE id = ? AND is_global = 1)""",
                (guild_id, feed_id, feed_id),
            )
            await db.execute(
                """DELETE FROM feeds WHERE id = ? AND is_global = 0
                     AND NOT EXISTS (SELECT 1 FROM guild_feeds WHERE feed_id = ?)""",
                (feed_id, feed_id),
            )
        return True

    async def feed_totals(self, feed_id: int) -> tuple[int, int]:
        """(episodes, chapters) stored for a feed."""
        row = await self.fetchone(
            """SELECT (SELECT count(*) FROM episodes WHERE feed_id = ?) AS episodes,
                      (SELECT count(*) FROM chapters c JOIN episodes e ON e.id = c.episode_id
                       WHERE e.feed_id = ?) AS chapters""",
            (feed_id, feed_id),
        )
        assert row is not None
        return row["episodes"], row["chapters"]

    async def episode_titles(self, episode_ids: Sequence[int]) -> list[str]:
        """Titles of episodes, newest first (what `/feed refresh` reports as new)."""
        titles: list[tuple[int, int, str]] = []
        for chunk in chunks(list(episode_ids)):
            marks = placeholders(len(chunk))
            rows = await self.fetchall(
                f"SELECT id, coalesce(published_at, 0) AS at, title FROM episodes "
                f"WHERE id IN ({marks})",
                chunk,
            )
            titles += [(row["at"], row["id"], row["title"]) for row in rows]
        return [title for _, _, title in sorted(titles, reverse=True)]

    # ------------------------------------------------------------------ guild settings

    async def announce_settings(self, guild_id: int) -> AnnounceSettings | None:
        row = await self.fetchone(
            """SELECT guild_id, channel_id, role_id, thread, enabled, blocked, last_error,
                      last_error_at
               FROM announce_settings WHERE guild_id = ?""",
            (guild_id,),
        )
        if row is None:
            return None
        values = dict(row)
        for flag in ("thread", "enabled", "blocked"):
            values[flag] = bool(values[flag])
        return AnnounceSettings(**values)

    async def set_announce_channel(
        self,
        guild_id: int,
        channel_id: int,
        *,
        role_id: int | None,
        thread: bool,
        user_id: int | None,
    ) -> None:
        """Announce here from now on; clears a previous block, so waiting announcements go
        out (within the backlog rule)."""
        async with self.transaction() as db:
            await db.execute(
                """INSERT INTO announce_settings
                       (guild_id, channel_id, role_id, thread, enabled, blocked, last_error,
                        last_error_at, updated_by, updated_at)
                   VALUES (?, ?, ?, ?, 1, 0, NULL, NULL, ?, ?)
                   ON CONFLICT (guild_id) DO UPDATE SET
                       channel_id = excluded.channel_id, role_id = excluded.role_id,
                       thread = excluded.thread, enabled = 1, blocked = 0, last_error = NULL,
                       last_error_at = NULL, updated_by = excluded.updated_by,
                       updated_at = excluded.updated_at""",
                (guild_id, channel_id, role_id, int(thread), user_id, now()),
            )
            # Announcements that may sit in a channel no longer used are claimed afresh.
            await db.execute(
                """UPDATE deliveries SET state = 'pending', channel_id = NULL, claimed_at = NULL
                   WHERE guild_id = ? AND state = 'sending' AND channel_id != ?""",
                (guild_id, channel_id),
            )
            # Failed announcements of the last week get another chance in the new setup.
            await db.execute(
                """UPDATE deliveries SET state = 'pending', next_attempt_at = 0, attempts = 0,
                       channel_id = NULL
                   WHERE guild_id = ? AND state = 'failed' AND created_at >= ?""",
                (guild_id, now() - 7 * 24 * 3600),
            )

    async def announce_off(self, guild_id: int) -> bool:
        """Stop announcing in a guild; waiting announcements are dropped. Returns whether
        announcements were on."""
        async with self.transaction() as db:
            cursor = await db.execute(
                "UPDATE announce_settings SET enabled = 0, updated_at = ? "
                "WHERE guild_id = ? AND enabled = 1",
                (now(), guild_id),
            )
            await db.execute(
                """UPDATE deliveries SET state = 'skipped', error = 'announcements turned off'
                   WHERE guild_id = ? AND state = 'pending'""",
                (guild_id,),
            )
            return cursor.rowcount > 0

    async def record_guild_error(self, guild_id: int, error: str, *, block: bool) -> None:
        """Remember a problem for the admins; `block` stops the sender for this guild until
        /announce channel is run again (a permission or a channel only they can fix)."""
        async with self.transaction() as db:
            await db.execute(
                """UPDATE announce_settings SET last_error = ?, last_error_at = ?,
                       blocked = max(blocked, ?)
                   WHERE guild_id = ?""",
                (error, now(), int(block), guild_id),
            )

    async def delivery_counts(self, guild_id: int) -> dict[str, int]:
        """How many of the guild's deliveries are in each state."""
        rows = await self.fetchall(
            "SELECT state, count(*) AS n FROM deliveries WHERE guild_id = ? GROUP BY state",
            (guild_id,),
        )
        return {row["state"]: row["n"] for row in rows}

    # ------------------------------------------------------------------ the outbox

    async def skip_stale_deliveries(
        self, at: int, *, max_per_guild: int, max_age: int, catch_up_after: int = 0
    ) -> int:
        """The backlog rule: none about an episode older than `max_age` seconds is sent;
        and after downtime only a guild's newest `max_per_guild` waiting announcements are.
        The rest are marked skipped. Returns how many were skipped.

        The cap is for catching up: it skips only announcements that are late, about an
        episode that came out (published, or first seen when undated) more than
        `catch_up_after` seconds ago — the bot was down, the feed failing, or Discord out
        of reach. Episodes that arrive together on time (a batch release, several feeds
        in one poll) are all announced, and count against the cap for late ones.

        Runs on every drain, so both statements read only the open deliveries, through the
        partial index `deliveries_open` (its condition spelled as in the migration), never
        the whole history of deliveries or the whole catalogue."""
        async with self.transaction() as db:
            old = await db.execute(
                f"""UPDATE deliveries SET state = 'skipped', error = 'older than the backlog limit'
                   WHERE {_OPEN} AND state = 'pending'
                     AND (SELECT coalesce(published_at, first_seen_at) FROM episodes
                          WHERE id = deliveries.episode_id) < ?""",
                (at - max_age,),
            )
            # `+`: partitioning by the column would walk every delivery through the
            # (guild_id, state) index instead.
            excess = await db.execute(
                f"""UPDATE deliveries SET state = 'skipped', error = 'too many waiting at once'
                   WHERE {_OPEN} AND state = 'pending' AND id IN (
                       SELECT id FROM (
                           SELECT d.id, coalesce(e.published_at, e.first_seen_at) AS out_at,
                                  row_number() OVER (
                                      PARTITION BY +d.guild_id
                                      ORDER BY coalesce(e.published_at, e.first_seen_at) DESC,
                                               e.id DESC) AS newest
                           FROM deliveries d JOIN episodes e ON e.id = d.episode_id
                           WHERE d.{_OPEN})
                       WHERE newest > ? AND out_at < ?)""",
                (max_per_guild, at - catch_up_after),
            )
            return old.rowcount + excess.rowcount

    async def open_deliveries(self, at: int, limit: int = 50) -> list[Delivery]:
        """Deliveries ready to work on, for guilds that announce and are not blocked:
        unfinished ones first (a crash left them), then the oldest episodes first."""
        rows = await self.fetchall(
            f"""SELECT d.id, d.episode_id, d.guild_id, d.state, d.attempts,
                      coalesce(d.channel_id, s.channel_id) AS channel_id, d.message_id,
                      d.thread_id, s.role_id, s.thread
               FROM deliveries d
               JOIN announce_settings s ON s.guild_id = d.guild_id
               JOIN episodes e ON e.id = d.episode_id
               WHERE d.{_OPEN} AND d.next_attempt_at <= ?
                 AND s.enabled = 1 AND s.blocked = 0
               ORDER BY d.state = 'pending', coalesce(e.published_at, e.first_seen_at), e.id,
                        d.id
               LIMIT ?""",
            (at, limit),
        )
        return [Delivery(**{**dict(row), "thread": bool(row["thread"])}) for row in rows]

    async def _update_delivery(self, sql: str, params: Sequence[Any]) -> bool:
        async with self.transaction() as db:
            cursor = await db.execute(sql, params)
            return cursor.rowcount > 0

    async def claim_delivery(self, delivery_id: int, channel_id: int, at: int) -> bool:
        """pending → sending, in `channel_id`; False if someone else claimed it. Committed
        before anything is posted, so that after a crash the sender knows to look first."""
        return await self._update_delivery(
            """UPDATE deliveries SET state = 'sending', channel_id = ?, claimed_at = ?
               WHERE id = ? AND state = 'pending'""",
            (channel_id, at, delivery_id),
        )

    async def mark_posted(
        self, delivery_id: int, message_id: int, thread_id: int | None = None
    ) -> None:
        """The announcement message exists (its thread and chapter list may not yet)."""
        await self._update_delivery(
            """UPDATE deliveries SET state = 'posted', message_id = ?,
                   thread_id = coalesce(?, thread_id), error = NULL
               WHERE id = ?""",
            (message_id, thread_id, delivery_id),
        )

    async def mark_thread(self, delivery_id: int, thread_id: int) -> None:
        await self._update_delivery(
            "UPDATE deliveries SET thread_id = ? WHERE id = ?", (thread_id, delivery_id)
        )

    async def mark_sent(self, delivery_id: int, *, note: str | None = None) -> None:
        """Done. `note` keeps a non-fatal problem (e.g. the thread could not be created)."""
        await self._update_delivery(
            "UPDATE deliveries SET state = 'sent', sent_at = ?, error = ? WHERE id = ?",
            (now(), note, delivery_id),
        )

    async def retry_delivery(
        self, delivery_id: int, error: str, *, next_attempt_at: int, attempts: int
    ) -> None:
        """Try again later, in the same state (a 'sending' one is looked for first)."""
        await self._update_delivery(
            "UPDATE deliveries SET error = ?, next_attempt_at = ?, attempts = ? WHERE id = ?",
            (error, next_attempt_at, attempts, delivery_id),
        )

    async def release_delivery(self, delivery_id: int, error: str) -> None:
        """Discord refused the post outright (nothing was created): back to pending, to be
        claimed afresh, wherever the guild announces by then."""
        await self._update_delivery(
            """UPDATE deliveries SET state = 'pending', channel_id = NULL, claimed_at = NULL,
                   error = ?
               WHERE id = ? AND state = 'sending'""",
            (error, delivery_id),
        )

    async def fail_delivery(self, delivery_id: int, error: str) -> None:
        await self._update_delivery(
            "UPDATE deliveries SET state = 'failed', error = ? WHERE id = ?",
            (error, delivery_id),
        )

    # ------------------------------------------------------------------ episodes

    async def latest_episode_id(self, guild_id: int) -> int | None:
        """The newest episode the guild sees (for /announce test)."""
        subquery, params = visible_feeds(guild_id)
        row = await self.fetchone(
            f"""SELECT id FROM episodes WHERE feed_id IN ({subquery})
                ORDER BY coalesce(published_at, first_seen_at) DESC, id DESC LIMIT 1""",
            params,
        )
        return row["id"] if row else None

    async def announced_episode(self, episode_id: int) -> AnnouncedEpisode | None:
        row = await self.fetchone(
            """SELECT e.id, f.title AS feed_title, f.link AS feed_link, e.title, e.number,
                      e.number_label, e.season, e.published_at, e.duration, e.notes_text,
                      e.link, e.audio_url, e.image
               FROM episodes e JOIN feeds f ON f.id = e.feed_id WHERE e.id = ?""",
            (episode_id,),
        )
        if row is None:
            return None
        chapters = await self.fetchall(
            "SELECT start, title FROM chapters WHERE episode_id = ? ORDER BY position",
            (episode_id,),
        )
        return AnnouncedEpisode(
            **dict(row),
            chapters=tuple(AnnouncedChapter(c["start"], c["title"]) for c in chapters),
        )
