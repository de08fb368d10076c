"""The one store: SQLite through aiosqlite, numbered migrations, methods named for intent.

`Store` is a single class; its methods are grouped by area in the modules of this package
(each a subclass of `StoreBase`), so that each file stays readable.
"""

from __future__ import annotations

from bot.store.announcement_rows import AnnouncementStore
from bot.store.base import QueryTooSlow, StoreBase, StoreError, load_migrations
from bot.store.embedding_rows import EmbeddingStore
from bot.store.episode_reads import SearchStore
from bot.store.episode_writes import (
    CatalogueStore,
    EpisodeWrite,
    FeedRecord,
    StoredEpisodeState,
    person_key,
)
from bot.store.lease_rows import LeaseStore
from bot.store.moment_rows import MomentStore
from bot.store.result_counts import ResultCountStore
from bot.store.state_rows import StateStore
from bot.store.transcript_rows import TranscriptStore


class Store(
    CatalogueStore,
    AnnouncementStore,
    StateStore,
    TranscriptStore,
    MomentStore,
    LeaseStore,
    EmbeddingStore,
    ResultCountStore,
    SearchStore,
    StoreBase,
):
    """The episode-bot store. `async with await Store.open(path) as store: ...`"""


__all__ = [
    "EpisodeWrite",
    "FeedRecord",
    "QueryTooSlow",
    "Store",
    "StoreError",
    "StoredEpisodeState",
    "load_migrations",
    "person_key",
]
