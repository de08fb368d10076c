"""The autocomplete index is rebuilt once after a burst of writes, not once a second of it."""

from __future__ import annotations

import asyncio

from bot.search.lookup_cache import LookupCache


class CountingReads:
    """Counts the store's full reads of lookup rows (one per index rebuild)."""

    def __init__(self, store):
        self.rebuilds = 0
        self._read = store.lookup_rows
        store.lookup_rows = self._counted

    async def _counted(self):
        self.rebuilds += 1
        return await self._read()


async def burst(cache: LookupCache, *, writes: int, every: float) -> None:
    for _ in range(writes):
        cache.refresh_soon()
        await asyncio.sleep(every)


async def settled(cache: LookupCache) -> None:
    if cache._refresh is not None:
        await cache._refresh


async def test_a_burst_of_writes_shares_one_rebuild_after_it_ends(store):
    reads = CountingReads(store)
    # Wide margins: a loaded CI machine may stretch a 0.05 s sleep, never to 2 s.
    cache = LookupCache(store, refresh_quiet=2.0, refresh_max_wait=60)
    await burst(cache, writes=20, every=0.05)  # a second of writes, never quiet for 2 s
    assert reads.rebuilds == 0
    await settled(cache)
    assert reads.rebuilds == 1
    await cache.close()


async def test_a_long_burst_still_refreshes_after_the_longest_wait(store):
    reads = CountingReads(store)
    cache = LookupCache(store, refresh_quiet=60, refresh_max_wait=0.3)
    await burst(cache, writes=20, every=0.05)
    assert reads.rebuilds >= 1  # the index did not wait for the burst to end
    await cache.close()  # (the last write's quiet minute is not waited for)
