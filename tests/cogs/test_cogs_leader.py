"""The poller cog under a leader lease: only the holder polls and sends; the others wait
(their announcer stopped) and take over once the lease expires; a clean stop releases."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import create_autospec

from discord.ext import commands

from bot.announce.announcer import Announcer
from bot.announce.poller import Poller
from bot.store import Store
from bot.store.lease_rows import POLLER_LEASE
from cogs import feed_polling
from cogs.feed_polling import LEASE_TTL, LeaderLease, PollerCog


class Clock:
    def __init__(self, at: float = 1000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def cog_with(lease: LeaderLease) -> tuple[PollerCog, Any, Any]:
    poller = create_autospec(Poller, instance=True)
    announcer = create_autospec(Announcer, instance=True)
    bot = create_autospec(commands.Bot, instance=True)
    cog = PollerCog(bot, poller=poller, announcer=announcer, feeds=[], lease=lease)
    return cog, poller, announcer


async def test_only_the_holder_polls_and_sends_and_the_other_takes_over_after_expiry(tmp_path):
    clock = Clock()
    path = tmp_path / "s.db"
    async with await Store.open(path) as a_store, await Store.open(path) as b_store:
        a, a_poller, a_announcer = cog_with(LeaderLease(a_store, holder="a", clock=clock))
        b, b_poller, b_announcer = cog_with(LeaderLease(b_store, holder="b", clock=clock))

        await a.run_once()
        await b.run_once()
        assert a_poller.poll_due.await_count == 1 and a_announcer.drain.await_count == 1
        a_announcer.resume.assert_called()
        assert b_poller.poll_due.await_count == 0 and b_announcer.drain.await_count == 0
        b_announcer.stop_soon.assert_called()  # /feed refresh there sends nothing either

        clock.at += LEASE_TTL - 1  # a renews in time: still a
        await a.run_once()
        await b.run_once()
        assert a_poller.poll_due.await_count == 2 and b_poller.poll_due.await_count == 0

        clock.at += LEASE_TTL + 1  # a died (no renewal): b takes over
        await b.run_once()
        assert b_poller.poll_due.await_count == 1 and b_announcer.drain.await_count == 1
        assert await b_store.lease_holder(POLLER_LEASE) == ("b", int(clock.at) + LEASE_TTL)
        await a.run_once()  # a comes back: b leads, a only answers commands
        assert a_poller.poll_due.await_count == 2


async def test_a_clean_stop_releases_the_lease(tmp_path):
    async with await Store.open(tmp_path / "s.db") as store:
        lease = LeaderLease(store, holder="a")
        assert await lease.held()
        await lease.release()
        assert await store.lease_holder(POLLER_LEASE) is None
        await lease.release()  # not held: nothing to do


async def test_a_store_failure_means_not_leading(tmp_path):
    async with await Store.open(tmp_path / "s.db") as store:
        lease = LeaderLease(store, holder="a")
        assert await lease.held()
        # The lease can no longer be read or written: every renewal fails in the store.
        async with store.transaction() as db:
            await db.execute("DROP TABLE leader_lease")
        assert not await lease.held()
        assert not lease.leading


async def test_the_heartbeat_renews_between_ticks_and_a_lost_lease_stops_sending(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(feed_polling, "LEASE_RENEW_SECONDS", 0.01)
    clock = Clock()
    async with await Store.open(tmp_path / "s.db") as store:
        lease = LeaderLease(store, holder="a", clock=clock)
        cog, _, announcer = cog_with(lease)
        monkeypatch.setattr(cog.tick, "start", lambda: None)  # no tick: the heartbeat alone
        await cog.cog_load()
        try:
            assert await lease.held()
            clock.at += 100  # long past the TTL of the first take: renewed meanwhile
            for _ in range(100):
                holder = await store.lease_holder(POLLER_LEASE)
                if holder == ("a", int(clock.at) + LEASE_TTL):
                    break
                await asyncio.sleep(0.01)
            assert holder == ("a", int(clock.at) + LEASE_TTL)
            # Another process took it (we stalled past the TTL): we stop sending.
            async with store.transaction() as db:
                await db.execute("UPDATE leader_lease SET holder = 'b', expires_at = 9999999999")
            announcer.stop_soon.reset_mock()
            for _ in range(100):
                if announcer.stop_soon.called:
                    break
                await asyncio.sleep(0.01)
            announcer.stop_soon.assert_called()
            assert not lease.leading
        finally:
            await cog.cog_unload()
