"""The background loop: imports FEEDS at start, polls due feeds, drains the outbox.

One `tasks.loop`, started in `cog_load` and cancelled in `cog_unload`. Each tick polls the
feeds whose time has come and then sends what they brought; each step catches its own
errors, so the loop survives anything a feed or Discord does.

`services_for(bot)` builds the one Poller and Announcer the admin cogs share with the loop
(so a feed is never read twice at once and the outbox has one sender). It uses what the
bot was given: `store`, `settings`, `fetcher` / `importer` (trusted: FEEDS) and
`guild_fetcher` (`EpisodeBot(guild_fetcher=...)`), a `Fetcher(allow_private=False)` for
feeds that guilds add. When it is None, one is made here (unless ALLOW_PRIVATE_FEED_URLS)
and closed when this cog unloads.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from discord.ext import commands, tasks

from bot.announce.announcer import Announcer
from bot.announce.poller import Poller
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.transcripts.transcript_sync import FeedTranscripts, TranscriptSync

log = logging.getLogger(__name__)

TICK_SECONDS = 10.0  # how often due feeds and the outbox are looked at
UPKEEP_SECONDS = 24 * 3600  # transcripts re-checked and indexes compacted once a day


@dataclass
class AnnouncementServices:
    poller: Poller
    announcer: Announcer
    transcripts: FeedTranscripts
    owned_fetcher: Fetcher | None = None  # closed when the poller cog unloads

    async def close(self) -> None:
        await self.announcer.close()
        await self.transcripts.close()
        if self.owned_fetcher is not None:
            await self.owned_fetcher.close()


def services_for(bot: Any) -> AnnouncementServices:
    """The bot's one Poller and Announcer, built on first use from its dependencies."""
    existing = getattr(bot, "announcement_services", None)
    if existing is not None:
        return existing
    settings = bot.settings
    owned = None
    guard = bot.guild_fetcher
    if guard is None:
        if settings.allow_private_feed_urls:
            guard = bot.fetcher
        else:
            guard = owned = Fetcher(allow_private=False)
    guarded = bot.importer if guard is bot.fetcher else Importer(bot.store, guard)
    transcripts = FeedTranscripts(
        bot.store,
        trusted=TranscriptSync(bot.store, bot.fetcher),
        guarded=TranscriptSync(bot.store, guard),
    )
    poller = Poller(
        bot.store,
        trusted=bot.importer,
        guarded=guarded,
        guard=guard,
        interval_minutes=settings.poll_interval_minutes,
        on_feed_changed=transcripts.feed_changed,
    )

    async def resolve_channel(channel_id: int) -> Any:
        return bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)

    announcer = Announcer(
        bot.store,
        resolve_channel=resolve_channel,
        bot_user_id=lambda: bot.user.id if bot.user else None,
        poll_interval_minutes=settings.poll_interval_minutes,
    )
    services = AnnouncementServices(poller, announcer, transcripts, owned)
    bot.announcement_services = services
    return services


class PollerCog(commands.Cog, name="Poller"):
    """Runs the poller and the announcement sender in the background."""

    def __init__(
        self,
        bot: commands.Bot,
        *,
        poller: Poller,
        announcer: Announcer,
        transcripts: FeedTranscripts | None = None,
        store: Store | None = None,
        feeds: Sequence[str],
        on_unload: Any = None,
        tick_seconds: float = TICK_SECONDS,
    ) -> None:
        self.bot = bot
        self.poller = poller
        self.announcer = announcer
        self.transcripts = transcripts
        self.store = store
        self.feeds = tuple(feeds)
        self._last_upkeep: float | None = None
        self._on_unload = on_unload
        self._feeds_imported = False
        self.tick.change_interval(seconds=tick_seconds)

    async def cog_load(self) -> None:
        self.tick.start()

    async def cog_unload(self) -> None:
        task = self.tick.get_task()
        self.tick.cancel()
        if task is not None and task is not asyncio.current_task():
            await asyncio.wait([task])  # stopped for real: nothing is sent after unload
        await self.announcer.close()
        if self._on_unload is not None:
            await self._on_unload()

    @tasks.loop(seconds=TICK_SECONDS)
    async def tick(self) -> None:
        await self.run_once()

    @tick.before_loop
    async def _wait_until_ready(self) -> None:
        # The sender needs the channel cache; polling can wait the few seconds too.
        await self.bot.wait_until_ready()

    async def run_once(self) -> None:
        """One round: FEEDS (the first time), due feeds, the outbox. Never raises."""
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
        try:
            await self.announcer.drain()
        except Exception:
            log.exception("sending announcements failed")

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


async def setup(bot: commands.Bot) -> None:
    services = services_for(bot)

    async def forget_services() -> None:
        await services.close()
        if getattr(bot, "announcement_services", None) is services:
            bot.announcement_services = None  # type: ignore[attr-defined]

    await bot.add_cog(
        PollerCog(
            bot,
            poller=services.poller,
            announcer=services.announcer,
            transcripts=services.transcripts,
            store=bot.store,  # type: ignore[attr-defined]
            feeds=bot.settings.feeds,  # type: ignore[attr-defined]
            on_unload=forget_services,
        )
    )
