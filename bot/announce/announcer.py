"""The outbox sender: posts queued announcements to Discord, once each, never a flood.

Deliveries are queued by the importer, in the transaction that stores a new episode. The
sender drains them oldest first, at most one post a second per channel, and moves each
through `pending → sending → posted → sent` (see 0003_announcements.sql):

- **Before posting** it commits `sending`. A delivery found in `sending` (a crash, or an
  error whose outcome is unknown) is first looked for among the channel's recent messages,
  by the marker in the embed footer (`ref A<id>`); if it is there it is adopted, not posted
  again. `posted` records the message id, so the thread and the chapter list are added
  later without a second post.
- **The backlog rule**: no announcement about an episode older than seven days goes out;
  and when catching up after downtime (the bot down, the feed failing, Discord out of
  reach), only a guild's newest three. An announcement is catching up when its episode
  came out more than `CATCH_UP_AFTER` (six hours, or two poll intervals if longer) ago:
  episodes that arrive together on time (a batch release, several feeds in one poll) all
  go out. The rest are marked `skipped`.
- **Errors**: a missing permission or a deleted channel is recorded on the guild's settings
  and stops its announcements until an admin runs `/announce channel` (shown by `/feed
  list`); Discord 5xx, rate limits and network errors are retried with backoff, then
  recorded as failed. Nothing is dropped silently; one bad delivery never stops the rest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord

from bot.announce.announcement import (
    TEST_MARKER,
    Announcement,
    build_announcement,
    delivery_marker,
    has_marker,
)
from bot.store import Store
from bot.store.announcement_rows import Delivery
from bot.ui.replies import NO_MENTIONS

log = logging.getLogger(__name__)

# The sender's view of Discord: a channel id → a channel (cache, else an API call).
ResolveChannel = Callable[[int], Awaitable[Any]]

PACE_SECONDS = 1.0  # at least this long between two posts in one channel
MAX_PER_GUILD = 3  # the backlog rule: at most this many late announcements are sent...
MAX_AGE = 7 * 24 * 3600  # ...and none about an episode older than this
# An announcement is late (catching up after downtime) when its episode came out longer ago
# than this. Generous: feed caches, a retried poll and publishers' dates that are off by a
# few hours must not make a batch released on time look like a backlog.
CATCH_UP_AFTER = 6 * 3600
MAX_ATTEMPTS = 8  # transient failures before a delivery is given up (about an hour)
RETRY_BASE = 30  # seconds; doubled after each failure
RETRY_CAP = 3600
HISTORY_LIMIT = 50  # recent messages searched for an announcement a crash left unconfirmed
THREAD_ALREADY_EXISTS = 160004  # Discord: "A thread has already been created for this message"

# The permissions the bot needs in an announcement channel, in the words of Discord's UI.
PERMISSION_NAMES = {
    "view_channel": "View Channel",
    "send_messages": "Send Messages",
    "embed_links": "Embed Links",
    "read_message_history": "Read Message History",
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
    "mention_everyone": "Mention @everyone, @here and All Roles",
}


def catch_up_after(poll_interval_minutes: float) -> int:
    """Seconds after which an episode's announcement is catching up (the backlog cap
    applies): `CATCH_UP_AFTER`, or two poll intervals when polls are that far apart."""
    return max(CATCH_UP_AFTER, round(2 * poll_interval_minutes * 60))


class AnnounceError(Exception):
    """An announcement could not be posted; the text says why, for an admin."""


@dataclass(slots=True)
class DrainReport:
    sent: int = 0
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    blocked_guilds: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class TestPost:
    channel_id: int
    jump_url: str


def missing_permissions(
    channel: Any, me: Any, *, role: discord.Role | None = None, thread: bool = True
) -> list[str]:
    """What the bot lacks to announce in `channel`, named as Discord's UI names it.

    Text and announcement channels: view, send, embed links, read history (to find its own
    announcements after a crash) and, with threads, create public threads and send in them.
    Forum channels: the same, where sending is "Create Posts" and every post is a thread.
    A role that is not mentionable can only be pinged with "Mention @everyone...".
    """
    forum = isinstance(channel, discord.ForumChannel)
    needed = ["view_channel", "send_messages", "embed_links", "read_message_history"]
    if forum:
        needed.append("send_messages_in_threads")
    elif thread:
        needed += ["create_public_threads", "send_messages_in_threads"]
    if role is not None and not role.mentionable:
        needed.append("mention_everyone")
    granted = channel.permissions_for(me)
    names = []
    for name in needed:
        if not getattr(granted, name):
            names.append(
                "Create Posts" if forum and name == "send_messages" else PERMISSION_NAMES[name]
            )
    return names


class Announcer:
    """Drains the outbox to Discord. One per bot (drains are serialized by a lock).

    Discord is reached only through `resolve_channel` and the objects it returns (the
    channel's `send`/`history`/`create_thread`, the message's `create_thread`), so tests
    pass specced fakes. `bot_user_id` tells our own messages from others'. `clock`,
    `monotonic` and `sleep` are injectable so that tests need no real time.
    `poll_interval_minutes` (POLL_INTERVAL_MINUTES) stretches what counts as catching up
    when polls are hours apart.
    """

    def __init__(
        self,
        store: Store,
        *,
        resolve_channel: ResolveChannel,
        bot_user_id: Callable[[], int | None],
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        pace_seconds: float = PACE_SECONDS,
        poll_interval_minutes: float = 0,
    ) -> None:
        self._store = store
        self._catch_up_after = catch_up_after(poll_interval_minutes)
        self._resolve = resolve_channel
        self._me = bot_user_id
        self._clock = clock
        self._monotonic = monotonic
        self._sleep = sleep
        self._pace_seconds = pace_seconds
        self._last_post: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._background: set[asyncio.Task[Any]] = set()
        self._stopping = False  # set by `close`: no new delivery starts

    # ------------------------------------------------------------------ draining

    async def drain(self, *, max_rounds: int = 20) -> DrainReport:
        """Send everything that is due now. Never raises for a delivery."""
        report = DrainReport()
        async with self._lock:
            report.skipped = await self._store.skip_stale_deliveries(
                int(self._clock()),
                max_per_guild=MAX_PER_GUILD,
                max_age=MAX_AGE,
                catch_up_after=self._catch_up_after,
            )
            for _ in range(max_rounds):
                if self._stopping:
                    break
                batch = await self._store.open_deliveries(int(self._clock()))
                batch = [d for d in batch if d.guild_id not in report.blocked_guilds]
                if not batch:
                    break
                for delivery in batch:
                    if self._stopping:
                        break  # stopping: the one in flight is done; the rest wait in the outbox
                    if delivery.guild_id in report.blocked_guilds:
                        continue
                    await self._deliver_safely(delivery, report)
        if report.sent or report.failed or report.skipped:
            log.info(
                "announcements: %d sent, %d skipped, %d failed, %d to retry",
                report.sent,
                report.skipped,
                report.failed,
                report.retrying,
            )
        return report

    def drain_soon(self) -> None:
        """Drain in the background (after `/feed refresh` found something new)."""
        task = asyncio.get_running_loop().create_task(self._drain_logged())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _drain_logged(self) -> None:
        try:
            await self.drain()
        except Exception:
            log.exception("draining the outbox failed")

    def stop_soon(self) -> None:
        """Start no new delivery (a graceful stop); the one in flight goes on."""
        self._stopping = True

    def resume(self) -> None:
        """Deliver again after a stop (the poller cog loaded again)."""
        self._stopping = False

    async def close(self, grace: float = 0.0) -> None:
        """Stop (cog unload): no new delivery starts, a background drain's delivery in
        flight may finish within `grace` seconds, then what still runs is cancelled; the
        outbox keeps what was not sent."""
        self._stopping = True
        tasks = list(self._background)
        if tasks and grace > 0:
            await asyncio.wait(tasks, timeout=grace)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _deliver_safely(self, delivery: Delivery, report: DrainReport) -> None:
        try:
            await self._deliver(delivery)
            report.sent += 1
        except _Blocked as blocked:
            report.blocked_guilds.add(delivery.guild_id)
            await self._store.record_guild_error(delivery.guild_id, str(blocked), block=True)
            if blocked.nothing_posted:
                await self._store.release_delivery(delivery.id, str(blocked))
            log.warning("announcements blocked in guild %s: %s", delivery.guild_id, blocked)
        except discord.HTTPException as exc:
            if _is_transient(exc):
                await self._retry_or_fail(delivery, _describe(exc), report)
            else:
                # Another 4xx: the payload is wrong, and would be just as wrong next time.
                log.error("Discord rejected delivery %s: %s", delivery.id, exc)
                await self._fail(delivery, f"Discord rejected the announcement: {exc}", report)
        except Exception as exc:
            if not _is_transient(exc):
                log.exception("announcing delivery %s failed", delivery.id)
            await self._retry_or_fail(delivery, _describe(exc), report)

    async def _retry_or_fail(self, delivery: Delivery, error: str, report: DrainReport) -> None:
        attempts = delivery.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            await self._fail(delivery, f"gave up after {attempts} attempts: {error}", report)
            return
        delay = min(RETRY_BASE * 2 ** (attempts - 1), RETRY_CAP)
        await self._store.retry_delivery(
            delivery.id, error, next_attempt_at=int(self._clock()) + delay, attempts=attempts
        )
        report.retrying += 1

    async def _fail(self, delivery: Delivery, error: str, report: DrainReport) -> None:
        await self._store.fail_delivery(delivery.id, error)
        await self._store.record_guild_error(delivery.guild_id, error, block=False)
        report.failed += 1

    async def _deliver(self, delivery: Delivery) -> None:
        """Take one delivery as far as it goes: post (or adopt), thread, chapter list.

        Raises _Blocked for what only an admin can fix, and Discord or network errors for
        the caller to retry; the state committed so far says where to resume.
        """
        episode = await self._store.announced_episode(delivery.episode_id)
        if episode is None:  # deleted with its feed since it was queued
            await self._store.fail_delivery(delivery.id, "the episode is no longer stored")
            return
        # Anything but a fresh delivery may already be (partly) in Discord: look first.
        unsure = delivery.state != "pending"
        if not unsure and not await self._store.claim_delivery(
            delivery.id, delivery.channel_id, int(self._clock())
        ):
            return  # no longer pending: taken care of elsewhere
        announcement = build_announcement(
            episode, marker=delivery_marker(delivery.id), role_id=delivery.role_id
        )
        if delivery.state == "posted":
            try:
                channel = await self._channel(delivery.channel_id, nothing_posted=False)
            except _Blocked as gone:
                # The message went with its channel: nothing left to finish.
                await self._store.mark_sent(delivery.id, note=str(gone))
                return
        else:
            channel = await self._channel(delivery.channel_id, nothing_posted=not unsure)
        forum = isinstance(channel, discord.ForumChannel)

        message: Any = None
        thread: Any = None
        if delivery.state == "posted":
            if forum:
                thread = await self._thread(delivery.thread_id or delivery.message_id or 0)
            else:
                message = channel.get_partial_message(delivery.message_id)
                if delivery.thread_id is not None:
                    thread = await self._thread(delivery.thread_id)
        else:
            if unsure:
                message, thread = await self._find_posted(channel, delivery, announcement)
                if message is not None:
                    log.info("delivery %s had been posted already; adopting it", delivery.id)
            if message is None:
                message, thread = await self._post(channel, announcement, delivery.channel_id)
            await self._store.mark_posted(
                delivery.id, message.id, thread.id if thread is not None else None
            )

        note = None
        if not forum and delivery.thread and thread is None and message is not None:
            thread, note = await self._create_thread(
                message, announcement.thread_name, delivery.guild_id
            )
            if thread is not None:
                await self._store.mark_thread(delivery.id, thread.id)
        if thread is not None:
            await self._post_chapters(thread, announcement, check_first=unsure)
        await self._store.mark_sent(delivery.id, note=note)

    # ------------------------------------------------------------------ Discord steps

    async def _channel(self, channel_id: int, *, nothing_posted: bool) -> Any:
        try:
            return await self._resolve(channel_id)
        except discord.NotFound:
            raise _Blocked(
                f"the announcement channel <#{channel_id}> no longer exists", nothing_posted=True
            ) from None
        except discord.Forbidden:
            raise _Blocked(
                f"I can no longer see the announcement channel <#{channel_id}>",
                nothing_posted=nothing_posted,
            ) from None

    async def _post(
        self, channel: Any, announcement: Announcement, channel_id: int
    ) -> tuple[Any, Any]:
        """Post the announcement; in a forum, as a new post (a thread with the message)."""
        await self._pace(channel_id)
        try:
            if isinstance(channel, discord.ForumChannel):
                created = await channel.create_thread(
                    name=announcement.thread_name,
                    content=announcement.content,
                    embed=announcement.embed,
                    allowed_mentions=announcement.allowed_mentions,
                )
                return created.message, created.thread
            message = await channel.send(
                content=announcement.content,
                embed=announcement.embed,
                allowed_mentions=announcement.allowed_mentions,
            )
            return message, None
        except (discord.Forbidden, discord.NotFound) as exc:
            # Refused outright: nothing was created, so it can be claimed again later.
            raise _Blocked(_refusal(channel, exc), nothing_posted=True) from None
        finally:
            self._last_post[channel_id] = self._monotonic()

    async def _find_posted(
        self, channel: Any, delivery: Delivery, announcement: Announcement
    ) -> tuple[Any, Any]:
        """The announcement of `delivery` if an earlier attempt did post it: (message, thread
        of a forum post) or (None, None)."""
        marker = delivery_marker(delivery.id)
        me = self._me()
        try:
            if isinstance(channel, discord.ForumChannel):
                for thread in channel.threads:
                    if thread.name != announcement.thread_name:
                        continue
                    if me is not None and thread.owner_id != me:
                        continue
                    starter = await thread.fetch_message(thread.id)
                    if has_marker(list(starter.embeds), marker):
                        return starter, thread
                return None, None
            async for message in channel.history(limit=HISTORY_LIMIT):
                if me is not None and message.author.id != me:
                    continue
                if has_marker(list(message.embeds), marker):
                    return message, None
        except discord.Forbidden:
            raise _Blocked(
                f"I need the Read Message History permission in <#{delivery.channel_id}> to "
                "check an announcement I may already have posted",
                nothing_posted=False,
            ) from None
        return None, None

    async def _create_thread(
        self, message: Any, name: str, guild_id: int
    ) -> tuple[Any, str | None]:
        """The discussion thread on an announcement: (thread, None), or (None, why not)."""
        try:
            return await message.create_thread(name=name), None
        except discord.HTTPException as exc:
            if exc.code == THREAD_ALREADY_EXISTS:
                # An earlier attempt made it; a thread started on a message shares its id.
                return await self._thread(message.id), None
            if isinstance(exc, discord.Forbidden):
                note = "I could not open a discussion thread: missing Create Public Threads"
                await self._store.record_guild_error(guild_id, note, block=False)
                return None, note
            raise

    async def _thread(self, thread_id: int) -> Any:
        try:
            return await self._resolve(thread_id)
        except (discord.NotFound, discord.Forbidden):
            return None  # deleted or hidden by a moderator: not ours to recreate

    async def _post_chapters(
        self, thread: Any, announcement: Announcement, *, check_first: bool
    ) -> None:
        """The thread's first message(s): the chapter list. After a crash, not twice."""
        if check_first and await self._has_our_messages(thread):
            return
        for text in announcement.chapter_messages:
            await self._pace(thread.id)
            try:
                await thread.send(content=text, allowed_mentions=NO_MENTIONS)
            except discord.Forbidden:
                log.warning("could not post chapters in thread %s", thread.id)
                return
            finally:
                self._last_post[thread.id] = self._monotonic()

    async def _has_our_messages(self, thread: Any) -> bool:
        me = self._me()
        try:
            async for message in thread.history(limit=10):
                # A forum post's starter message (same id as the thread) is the announcement.
                if message.id != thread.id and (me is None or message.author.id == me):
                    return True
        except discord.Forbidden:
            return True  # can't tell: better a missing list than a doubled one
        return False

    async def _pace(self, channel_id: int) -> None:
        last = self._last_post.get(channel_id)
        if last is not None:
            wait = last + self._pace_seconds - self._monotonic()
            if wait > 0:
                await self._sleep(wait)

    # ------------------------------------------------------------------ /announce test

    async def post_test(self, guild_id: int) -> TestPost:
        """Post the newest episode's announcement, marked as a test, where this guild
        announces. Not recorded in the outbox. Raises AnnounceError with the reason."""
        settings = await self._store.announce_settings(guild_id)
        if settings is None:
            raise AnnounceError("No announcement channel is set: use `/announce channel` first.")
        episode_id = await self._store.latest_episode_id(guild_id)
        episode = await self._store.announced_episode(episode_id) if episode_id else None
        if episode is None:
            raise AnnounceError("There is no episode to announce yet: follow a feed first.")
        try:
            channel = await self._resolve(settings.channel_id)
        except discord.HTTPException:
            raise AnnounceError(
                f"I can't reach the announcement channel <#{settings.channel_id}>; "
                "it may have been deleted. Choose another with `/announce channel`."
            ) from None
        announcement = build_announcement(
            episode, marker=TEST_MARKER, role_id=settings.role_id, test=True
        )
        try:
            message, thread = await self._post(channel, announcement, settings.channel_id)
        except _Blocked as blocked:
            raise AnnounceError(f"Discord refused: {blocked}.") from None
        if thread is None and settings.thread:
            thread, _ = await self._create_thread(message, announcement.thread_name, guild_id)
        if thread is not None:
            await self._post_chapters(thread, announcement, check_first=False)
        return TestPost(settings.channel_id, message.jump_url)


class _Blocked(Exception):
    """Only an admin can fix this (permission, deleted channel): stop the guild's sender."""

    def __init__(self, reason: str, *, nothing_posted: bool) -> None:
        super().__init__(reason)
        self.nothing_posted = nothing_posted


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, discord.HTTPException):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, discord.HTTPException):
        return f"Discord error {exc.status}: {exc.text or exc}"[:300]
    return f"{type(exc).__name__}: {exc}"[:300]


def _refusal(channel: Any, exc: discord.HTTPException) -> str:
    """Why Discord refused an announcement post, naming the missing permissions."""
    where = f"<#{getattr(channel, 'id', '?')}>"
    if isinstance(exc, discord.NotFound):
        return f"the announcement channel {where} no longer exists"
    missing: list[str] = []
    guild = getattr(channel, "guild", None)
    me = getattr(guild, "me", None)
    if me is not None:
        try:
            missing = missing_permissions(channel, me, thread=False)
        except Exception:  # a partial channel: no permission data to name
            missing = []
    if missing:
        return f"I can't post in {where}: missing the {', '.join(missing)} permission"
    return f"Discord refused to let me post in {where} ({exc.text or 'Forbidden'})"
