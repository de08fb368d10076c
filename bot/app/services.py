"""The one wiring point: every service the cogs use, built once per bot from what the
runner (or a test, or `episode-bot ask`) opened.

`Services.build` is the only place that decides which fetcher reads which feeds:

- FEEDS are the operator's own choice: read by the trusted `fetcher` / `importer`,
  private addresses allowed.
- Feeds a guild adds with /feed add come from members: read through `guard`, the
  `guild_fetcher` given (the runner's `Fetcher(allow_private=ALLOW_PRIVATE_FEED_URLS)`).
  Without one, a `Fetcher(allow_private=False)` is made here and owned (closed by
  `close()`), unless ALLOW_PRIVATE_FEED_URLS, when the trusted fetcher serves both.

There is one Poller (a feed is never read twice at once) and one Announcer (the outbox
has one sender), shared by the poller loop and the admin commands.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.announce.announcer import Announcer, ResolveChannel
from bot.announce.poller import Poller
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.search.catalogue import Catalogue
from bot.store import Store
from bot.transcripts.transcript_sync import FeedTranscripts, TranscriptSync

if TYPE_CHECKING:
    from bot.semantic.semantic_layer import SemanticLayer

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Services:
    """What the cogs take in their `setup()`; `close()` releases what was built here (the
    store and the fetchers passed in stay their opener's to close)."""

    settings: Settings
    store: Store
    catalogue: Catalogue
    fetcher: Fetcher  # trusted: FEEDS
    importer: Importer  # trusted: FEEDS
    guard: Fetcher  # feeds guilds add with /feed add
    poller: Poller
    announcer: Announcer
    transcripts: FeedTranscripts
    owned_fetchers: tuple[Fetcher, ...] = ()  # made here, closed by `close()`
    semantic: SemanticLayer | None = None  # EMBEDDING_MODEL: /when's meaning layer

    @classmethod
    def build(
        cls,
        *,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        importer: Importer,
        guild_fetcher: Fetcher | None = None,
        resolve_channel: ResolveChannel,
        bot_user_id: Callable[[], int | None],
    ) -> Services:
        """Wire the services over the store and fetchers; `resolve_channel` and
        `bot_user_id` are the bot's, for the announcer."""
        owned: tuple[Fetcher, ...] = ()
        guard = guild_fetcher
        if guard is None:
            if settings.allow_private_feed_urls:
                guard = fetcher
            else:
                guard = Fetcher(allow_private=False)
                owned = (guard,)
        guarded = importer if guard is fetcher else Importer(store, guard)
        transcripts = FeedTranscripts(
            store,
            trusted=TranscriptSync(store, fetcher),
            guarded=TranscriptSync(store, guard),
        )
        poller = Poller(
            store,
            trusted=importer,
            guarded=guarded,
            guard=guard,
            interval_minutes=settings.poll_interval_minutes,
            on_feed_changed=transcripts.feed_changed,
        )
        announcer = Announcer(
            store,
            resolve_channel=resolve_channel,
            bot_user_id=bot_user_id,
            poll_interval_minutes=settings.poll_interval_minutes,
        )
        semantic = semantic_layer(settings, store)
        return cls(
            settings=settings,
            store=store,
            catalogue=Catalogue(store, fusion=semantic),
            fetcher=fetcher,
            importer=importer,
            guard=guard,
            poller=poller,
            announcer=announcer,
            transcripts=transcripts,
            owned_fetchers=owned,
            semantic=semantic,
        )

    async def close(self) -> None:
        """Stop background sends and transcript syncs, close the fetchers made here.
        Safe to call more than once."""
        await self.announcer.close()
        await self.transcripts.close()
        if self.semantic is not None:
            await self.semantic.close()
        for fetcher in self.owned_fetchers:
            await fetcher.close()


def semantic_layer(settings: Settings, store: Store) -> SemanticLayer | None:
    """/when's meaning layer when EMBEDDING_MODEL names a model, else None. Its modules
    (numpy, model2vec) are imported only then; without the extra, one log line says so
    and /when searches words only."""
    if not settings.embedding_model:
        return None
    try:
        from bot.semantic.semantic_layer import SemanticLayer
    except ImportError as exc:
        log.warning(
            "EMBEDDING_MODEL is set but the semantic extra is missing (%s): "
            "pip install 'episode-bot[semantic]'; /when searches words only",
            exc,
        )
        return None
    return SemanticLayer(store, settings.embedding_model)
