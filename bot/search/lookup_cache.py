"""The autocomplete index of a store, built from its rows and rebuilt when they change.

One `LookupCache` per store (`lookup_cache(store)`), shared by every reader of that store
(autocomplete, episode arguments) and warmed by the importer after a write. A
trigger-maintained generation counter in the store says in one cheap read whether the
index is current; a rebuild runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections import defaultdict

from bot.models.lookup_rows import LookupRows
from bot.search.fts_query import fold
from bot.search.lookup import IndexedEpisode, IndexedPerson, LookupIndex, lookup_words
from bot.search.person_aliases import merge_aliases
from bot.store import Store
from bot.store.episode_reads import Scope

log = logging.getLogger(__name__)

# A rebuild waits for a quiet second after the last write, so that a burst of imports (a
# poll cycle) shares one rebuild instead of paying one a second, each holding the old index
# and the new one at once (~20 MiB of a 500-feed cycle's peak). It waits at most
# REFRESH_MAX_WAIT after the first write, so a long burst still refreshes autocomplete.
REFRESH_QUIET = 1.0
REFRESH_MAX_WAIT = 30.0

_caches: weakref.WeakKeyDictionary[Store, LookupCache] = weakref.WeakKeyDictionary()


def lookup_cache(store: Store) -> LookupCache:
    """The one cache of `store` (made on first use; it stops its work when the store closes)."""
    cache = _caches.get(store)
    if cache is None:
        cache = _caches[store] = LookupCache(store)
    return cache


class LookupCache:
    def __init__(
        self,
        store: Store,
        *,
        refresh_quiet: float = REFRESH_QUIET,
        refresh_max_wait: float = REFRESH_MAX_WAIT,
    ) -> None:
        self._store = store
        self._refresh_quiet = refresh_quiet
        self._refresh_max_wait = refresh_max_wait
        self._last_change = 0.0
        self._cached: tuple[int, LookupIndex] | None = None
        self._lock = asyncio.Lock()
        self._refresh: asyncio.Task[None] | None = None
        self._stale = False
        store.on_close(self.close)

    async def scope(self, guild_id: int | None) -> tuple[LookupIndex, Scope]:
        """The lookup index and a guild's scope, with one query when nothing changed."""
        scope, generation = await self._store.scope_and_generation(guild_id)
        return await self.index(generation), scope

    async def index(self, generation: int | None = None) -> LookupIndex:
        """The index autocomplete reads, rebuilt when the catalogue changed."""
        if generation is None:
            generation = await self._store.lookup_generation()
        cached = self._cached
        if cached is not None and cached[0] == generation:
            return cached[1]
        async with self._lock:
            cached = self._cached
            if cached is not None and cached[0] == generation:
                return cached[1]
            rows = await self._store.lookup_rows()
            index = await asyncio.to_thread(build_lookup_index, rows)
            self._cached = (generation, index)
            return index

    def refresh_soon(self) -> None:
        """After a write that changed the catalogue: rebuild in the background, so that a
        member's next keystroke does not wait for it. (Reads never see a stale index
        either way: `index` checks the generation.)"""
        self._last_change = asyncio.get_running_loop().time()
        self._stale = True
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(self._refresh_later())

    async def _refresh_later(self) -> None:
        loop = asyncio.get_running_loop()
        while self._stale:
            deadline = loop.time() + self._refresh_max_wait
            while True:
                wake = min(self._last_change + self._refresh_quiet, deadline)
                if wake <= loop.time():
                    break
                await asyncio.sleep(wake - loop.time())
            self._stale = False
            try:
                await self.index()
            except Exception:
                log.exception("rebuilding the autocomplete index failed")

    async def close(self) -> None:
        task = self._refresh
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def build_lookup_index(rows: LookupRows) -> LookupIndex:
    """The in-memory index of the store's rows (CPU only: run it in a thread)."""
    people: dict[int, IndexedPerson] = {}
    guest_words: dict[int, list[str]] = defaultdict(list)
    for episode_id, person_id, name, role in rows.credits:
        person = people.get(person_id)
        if person is None:
            person = people[person_id] = IndexedPerson(
                person_id, name, " ".join(fold(name).split()), tuple(lookup_words(name))
            )
        person.episodes.append((episode_id, role))
        if role != "host":
            guest_words[episode_id].extend(person.words)
    indexed = [
        IndexedEpisode(
            id=row[0],
            feed_id=row[1],
            number=row[2],
            season=row[3],
            title=row[4],
            published_at=row[5],
            episode_type=row[6],
            folded_title=fold(row[4]),
            words=tuple(lookup_words(row[4])),
            guest_words=tuple(guest_words.get(row[0], ())),
        )
        for row in rows.episodes
    ]
    # One person under several spellings is one (bot/search/person_aliases.py).
    return LookupIndex(indexed, merge_aliases(people.values(), rows.hrefs), rows.feed_titles)
