"""The background loop: imports FEEDS at start, polls due feeds, drains the outbox.

One `tasks.loop`, started in `cog_load` and cancelled in `cog_unload`. Each tick polls the
feeds whose time has come and then sends what they brought; each step catches its own
errors, so the loop survives anything a feed or Discord does. With BACKUP_DIR it also takes
the daily copy of the store. Unloading (SIGTERM) stops polling at once and lets an
announcement in flight finish, for `STOP_GRACE_SECONDS` at most.

The Poller and Announcer are the bot's own (`bot.services`, built by `Services.build`),
shared with the admin cogs: a feed is never read twice at once and the outbox has one
sender. The bot closes them when it closes.

With SHARD_IDS (one of several processes on one store) the loop runs only in the process
that holds the store's leader lease "poller": each tick takes or renews it (`LEASE_TTL`
seconds), and a heartbeat renews it every `LEASE_RENEW_SECONDS` while a long tick runs;
the others only answer commands and take the lease over once the leader has not renewed
it in time (dead), so within `LEASE_TTL + TICK_SECONDS`. A clean stop releases it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from discord.ext import commands, tasks

from bot.announce.announcer import Announcer
from bot.announce.poller import Poller
from bot.app.client import EpisodeBot
from bot.ops.backup import DailyBackups
from bot.store import Store
from bot.store.lease_rows import POLLER_LEASE
from bot.transcripts.transcript_sync import FeedTranscripts

log = logging.getLogger(__name__)

TICK_SECONDS = 10.0  # how often due feeds and the outbox are looked at
UPKEEP_SECONDS = 24 * 3600  # transcripts re-checked and indexes compacted once a day
STOP_GRACE_SECONDS = 10.0  # on stop, how long an announcement in flight may take to finish
LEASE_TTL = 30  # seconds a lease lasts unless renewed (every tick)
LEASE_RENEW_SECONDS = 10.0  # the leader's heartbeat, also during a long tick


class LeaderLease:
    """This process's claim on the store's lease `name`: `held()` takes or renews it and
    says whether we lead; a store error counts as not leading (never two leaders)."""

    def __init__(
        self,
        store: Store,
        *,
        name: str = POLLER_LEASE,
        ttl: int = LEASE_TTL,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.name = name
        self.ttl = ttl
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self.leading = False

    async def held(self) -> bool:
        try:
            leading = await self.store.try_acquire(
                self.name, self.holder, int(self._clock()), self.ttl
            )
        except Exception:
            log.exception("renewing the leader lease %r failed", self.name)
            leading = False
        if leading != self.leading:
            if leading:
                log.info("this process now leads: it polls the feeds and sends announcements")
            else:
                log.info("another process leads the poller; this one only answers commands")
        self.leading = leading
        return leading

    async def release(self) -> None:
        if not self.leading:
            return
        self.leading = False
        try:
            await self.store.release(self.name, self.holder)
        except Exception:
            log.exception("releasing the leader lease %r failed", self.name)


class PollerCog(commands.Cog, name="Poller"):
    """Runs the poller and the announcement sender in the background."""

    def __init__(
        self,
        bot: commands.Bot | commands.AutoShardedBot,
        *,
        poller: Poller,
        announcer: Announcer,
        transcripts: FeedTranscripts | None = None,
        store: Store | None = None,
        feeds: Sequence[str],
        tick_seconds: float = TICK_SECONDS,
        backups: DailyBackups | None = None,
        lease: LeaderLease | None = None,
    ) -> None:
        self.bot = bot
        self.poller = poller
        self.announcer = announcer
        self.transcripts = transcripts
        self.store = store
        self.feeds = tuple(feeds)
        self.backups = backups  # BACKUP_DIR: a daily copy of the store
        self.lease = lease  # None: the only process, always the leader
        self._last_upkeep: float | None = None
        self._feeds_imported = False
        self._not_announcing = asyncio.Event()  # clear while the tick drains the outbox
        self._not_announcing.set()
        self._heartbeat: asyncio.Task[None] | None = None
        self.tick.change_interval(seconds=tick_seconds)

    async def cog_load(self) -> None:
        if self.lease is None:
            self.announcer.resume()  # stopped by a previous unload, if any
        else:
            self.announcer.stop_soon()  # no sending (/feed refresh) until we lead
            self._heartbeat = asyncio.create_task(self._renew_lease(), name="leader-lease")
        self.tick.start()

    async def _renew_lease(self) -> None:
        """While leading, renew the lease between ticks too (a poll of many feeds may
        outlast its TTL); a leader that lost it (stalled past the TTL, another took over)
        stops sending at once. Taking the lease is the tick's, at its start."""
        assert self.lease is not None
        while True:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            if self.lease.leading and not await self.lease.held():
                self.announcer.stop_soon()

    async def cog_unload(self) -> None:
        """Stop gracefully (SIGTERM, bot close): polling stops at once, an announcement in
        flight may finish within `STOP_GRACE_SECONDS`, no new one starts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STOP_GRACE_SECONDS
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.wait([self._heartbeat])
            self._heartbeat = None
        self.announcer.stop_soon()
        task = self.tick.get_task()
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._not_announcing.wait(), STOP_GRACE_SECONDS)
        self.tick.cancel()
        if task is not None and task is not asyncio.current_task():
            await asyncio.wait([task])  # stopped for real: nothing is sent after unload
        await self.announcer.close(grace=max(0.0, deadline - loop.time()))
        if self.transcripts is not None:
            await self.transcripts.close()  # the syncs the loop started stop with it
        if self.lease is not None:
            await self.lease.release()  # the next leader need not wait for it to expire

    @tasks.loop(seconds=TICK_SECONDS)
    async def tick(self) -> None:
        await self.run_once()

    @tick.before_loop
    async def _wait_until_ready(self) -> None:
        # The sender needs the channel cache; polling can wait the few seconds too.
        await self.bot.wait_until_ready()

    async def run_once(self) -> None:
        """One round: FEEDS (the first time), due feeds, the outbox. Never raises. With a
        lease, only when this process leads (else the announcer stays stopped)."""
        if self.lease is not None:
            if not await self.lease.held():
                self.announcer.stop_soon()
                return
            self.announcer.resume()
        if not self._feeds_imported:
            self._feeds_imported = True
            try:
                await self.poller.import_feeds(self.feeds)
            except Exception:
                log.exception("importing FEEDS failed")
        try:
            await self.poller.poll_due()
        except Exception:
            log.exception("the poll cycle failed")
        await self._daily_upkeep()
        if self.backups is not None:
            await self.backups.run_if_due()  # never raises; looks at most hourly
        self._not_announcing.clear()
        try:
            await self.announcer.drain()
        except Exception:
            log.exception("sending announcements failed")
        finally:
            self._not_announcing.set()

    async def _daily_upkeep(self) -> None:
        """At start and then daily: every feed's transcripts (synced in the background);
        daily, not at start, the search indexes compacted (it holds the write lock for a
        moment, ~2 s on a very large store)."""
        now = asyncio.get_running_loop().time()
        last = self._last_upkeep
        if last is not None and now - last < UPKEEP_SECONDS:
            return
        self._last_upkeep = now
        if self.transcripts is not None:
            try:
                await self.transcripts.sync_every_feed()
            except Exception:
                log.exception("starting the transcript sweep failed")
        if last is not None and self.store is not None:
            try:
                await self.store.optimize_search_indexes()
            except Exception:
                log.exception("compacting the search indexes failed")


async def setup(bot: EpisodeBot) -> None:
    services = bot.services
    settings = services.settings
    backups = None
    if settings.backup_dir is not None and services.store.path != ":memory:":
        backups = DailyBackups(Path(services.store.path), settings.backup_dir, settings.backup_keep)
    await bot.add_cog(
        PollerCog(
            bot,
            poller=services.poller,
            announcer=services.announcer,
            transcripts=services.transcripts,
            store=services.store,
            feeds=services.settings.feeds,
            backups=backups,
            # More than one process on this store (SHARD_IDS): one leads, by lease.
            lease=LeaderLease(services.store) if settings.shard_ids is not None else None,
        )
    )
