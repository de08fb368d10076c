"""End to end: SIGTERM stops the bot gracefully. Polling stops, the announcement in flight
finishes (its post and its thread), no other starts, the store is closed cleanly (its WAL
checkpointed away), and what was not sent goes out once after the next start."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import pytest

from bot.app.runner import invite_permissions
from tests.e2e.test_e2e_admin import SHOW, admin, announced_number, announcements, show_feed
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import start_bot, store_value
from tests.support.feedserver import FeedServer
from tests.support.paths import EXAMPLES


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        server.set_bot_permissions(invite_permissions().value)
        yield server


@pytest.fixture
async def feeds():
    async with FeedServer() as server:
        yield server


async def test_sigterm_lets_the_announcement_in_flight_finish_and_closes_the_store(
    fake, feeds, tmp_path
):
    options = {"feeds": [EXAMPLES / "feed.xml"], "ready_feeds": 1}
    bot = await start_bot(fake, tmp_path, **options)
    db = tmp_path / "episode-bot.db"
    try:
        channel = fake.text_channel
        await admin(fake, "announce channel", channel=channel["id"])
        feeds.route(SHOW, show_feed([1, 2]))
        await admin(fake, "feed add", url=feeds.url(SHOW))
        assert announcements(fake, channel) == []  # the back catalogue is not announced

        # Two new episodes: the first one's post is held by Discord when SIGTERM comes.
        feeds.route(SHOW, show_feed([1, 2, 3, 4]))
        in_flight = fake.hold("POST /channels/*/messages")
        await admin(fake, "feed refresh", feed=feeds.url(SHOW))
        await fake.wait_for(in_flight.arrived.is_set, 10, "the first announcement")
        # Members keep using the bot while it stops.
        load = [asyncio.create_task(fake.invoke("latest", member=fake.member)) for _ in range(4)]
        bot.process.send_signal(signal.SIGTERM)
        await asyncio.sleep(1.0)
        stopping_since = time.monotonic()
        in_flight.release()
        assert await bot.wait(within=15) == 0, bot.tail()
        assert time.monotonic() - stopping_since < 11  # bounded by the 10 s grace
        answered = await asyncio.gather(*load, return_exceptions=True)
    finally:
        await bot.kill()

    # The announcement in flight finished: posted once, with its thread.
    [posted] = announcements(fake, channel)
    assert announced_number(posted) == "#3"
    assert fake.thread_for(posted) is not None
    assert "shutting down" in bot.log
    assert "Traceback" not in bot.log, bot.tail()
    # A member who asked while it stopped got an answer or nothing, never an apology.
    replies = []
    for handle in answered:
        if not isinstance(handle, BaseException):
            with contextlib.suppress(AssertionError):  # no answer: the bot had gone
                replies.append(await handle.reply(within=0.5))
    assert not [r for r in replies if "went wrong" in (r.content or "")]
    # The store was closed cleanly: its write-ahead log checkpointed and removed.
    assert not (tmp_path / "episode-bot.db-wal").exists()
    assert store_value(db, "SELECT count(*) FROM deliveries WHERE state = 'sent'") == 1
    assert store_value(db, "SELECT count(*) FROM deliveries WHERE state = 'pending'") == 1

    # Started again: the episode that waited is announced, once; nothing twice.
    bot = await start_bot(fake, tmp_path, **options)
    try:
        await fake.wait_for(lambda: len(announcements(fake, channel)) == 2, 20, "episode 4")
        await asyncio.sleep(0.5)
        numbers = [announced_number(m) for m in announcements(fake, channel)]
        assert numbers == ["#3", "#4"], numbers
        assert await bot.stop() == 0
    finally:
        await bot.kill()
    assert fake.violations == []
