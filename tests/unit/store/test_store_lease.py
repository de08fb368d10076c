"""The leader lease: two processes (two Store connections) on one file, one leader."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from bot.store import Store

TTL = 30


@contextlib.asynccontextmanager
async def two_stores(path) -> AsyncIterator[tuple[Store, Store]]:
    async with await Store.open(path) as a, await Store.open(path) as b:
        yield a, b


async def test_the_first_to_ask_holds_the_lease_and_the_other_is_refused(tmp_path):
    async with two_stores(tmp_path / "s.db") as (a, b):
        assert await a.try_acquire("poller", "a", now=1000, ttl=TTL)
        assert not await b.try_acquire("poller", "b", now=1001, ttl=TTL)
        assert await b.lease_holder("poller") == ("a", 1000 + TTL)


async def test_the_holder_renews_and_the_other_stays_refused_while_it_does(tmp_path):
    async with two_stores(tmp_path / "s.db") as (a, b):
        for tick in range(0, 120, 10):  # renewed every 10 s for two minutes
            assert await a.try_acquire("poller", "a", now=1000 + tick, ttl=TTL)
            assert not await b.try_acquire("poller", "b", now=1000 + tick + 5, ttl=TTL)
        assert await a.lease_holder("poller") == ("a", 1110 + TTL)


async def test_an_expired_lease_is_taken_over_and_the_old_holder_is_then_refused(tmp_path):
    async with two_stores(tmp_path / "s.db") as (a, b):
        assert await a.try_acquire("poller", "a", now=1000, ttl=TTL)
        assert not await b.try_acquire("poller", "b", now=1000 + TTL, ttl=TTL)  # not yet
        assert await b.try_acquire("poller", "b", now=1000 + TTL + 1, ttl=TTL)
        assert not await a.try_acquire("poller", "a", now=1000 + TTL + 2, ttl=TTL)
        assert await a.lease_holder("poller") == ("b", 1000 + 2 * TTL + 1)


async def test_release_lets_the_other_take_it_at_once_and_only_the_holder_releases(tmp_path):
    async with two_stores(tmp_path / "s.db") as (a, b):
        assert await a.try_acquire("poller", "a", now=1000, ttl=TTL)
        assert not await b.release("poller", "b")
        assert not await b.try_acquire("poller", "b", now=1001, ttl=TTL)
        assert await a.release("poller", "a")
        assert await a.lease_holder("poller") is None
        assert await b.try_acquire("poller", "b", now=1002, ttl=TTL)


async def test_leases_are_independent_by_name(tmp_path):
    async with two_stores(tmp_path / "s.db") as (a, b):
        assert await a.try_acquire("poller", "a", now=1000, ttl=TTL)
        assert await b.try_acquire("other", "b", now=1000, ttl=TTL)


async def test_many_contenders_at_once_make_exactly_one_holder(tmp_path):
    path = tmp_path / "s.db"
    async with await Store.open(path) as first:
        stores = [first] + [await Store.open(path) for _ in range(4)]
        try:
            won = await asyncio.gather(
                *(s.try_acquire("poller", f"p{i}", now=1000, ttl=TTL) for i, s in enumerate(stores))
            )
        finally:
            for store in stores[1:]:
                await store.close()
    assert sum(won) == 1
