"""End to end: sharding. Two shards in one process answer in guilds on both; two
processes of one shard each on one store answer each in its own guilds, exactly one of
them (the holder of the store's leader lease) announces, once per new episode, and when
it is killed the other takes over within a minute, nothing lost or doubled."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from bot.app.runner import invite_permissions
from tests.e2e.test_e2e_admin import SHOW, admin, announced_number, announcements, show_feed
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import (
    IMPORTED_FEEDS,
    BotProcess,
    bot_env,
    store_value,
    wait_for_store,
)
from tests.fakediscord.models import Guild
from tests.support.feedserver import FeedServer
from tests.support.paths import EXAMPLES

LEADER = "SELECT holder FROM leader_lease WHERE name = 'poller'"


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        server.set_bot_permissions(invite_permissions().value)
        yield server


@pytest.fixture
async def feeds():
    async with FeedServer() as server:
        yield server


def shard_of(guild_id: int, count: int = 2) -> int:
    return (guild_id >> 22) % count


def second_guild(fake: FakeDiscord) -> Guild:
    """A guild on the other of two shards than the fake's first guild."""
    return fake.add_guild("Second Server", shard=1 - shard_of(fake.guild.id), shard_count=2)


async def start(fake: FakeDiscord, db: Path, **extra: str) -> BotProcess:
    # Commands synced globally (no DEV_GUILD_ID): the second guild sees them too.
    env = bot_env(fake, db_path=db, feeds=[EXAMPLES / "feed.xml"], dev_guild=False, extra=extra)
    process = await BotProcess(env, cwd=db.parent).start()
    fake.diagnostics = process.tail
    return process


async def ask_latest(fake: FakeDiscord, guild: Guild) -> None:
    """/latest in a text channel of `guild`, by a member there: answered."""
    channel = next(iter(guild.channels.values()))
    member = next(m for m in guild.members.values() if m.id != fake.bot_user_id)
    handle = await fake.invoke("latest", member=member, in_channel=channel)
    await handle.reply(within=10)


def assert_routed_by_shard(fake: FakeDiscord) -> None:
    """Every guild event went to the session of its guild's shard, as Discord does it."""
    seen = 0
    for shard, session in fake.sessions.items():
        for _, frame in session.sent:
            event = json.loads(frame)
            data = event["d"]
            if event["t"] == "GUILD_CREATE":
                guild_id = int(data["id"])
            elif event["t"] == "INTERACTION_CREATE":
                guild_id = int(data["guild_id"])
            else:
                continue
            assert shard_of(guild_id) == shard, (event["t"], guild_id, shard)
            seen += 1
    assert seen >= 4  # both guilds created, a command in each


def leader_pid(db: Path) -> int:
    """The pid in the lease holder (`host:pid:nonce`), 0 when nobody holds it."""
    with sqlite3.connect(db) as conn:
        row = conn.execute(LEADER).fetchone()
    return int(row[0].split(":")[1]) if row else 0


async def test_one_process_runs_the_shards_discord_recommends_and_answers_on_both(fake, tmp_path):
    fake.shard_count = 2  # GET /gateway/bot recommends two
    other = second_guild(fake)
    db = tmp_path / "episode-bot.db"
    bot = await start(fake, db)
    try:
        await fake.wait_until_ready(within=30, identifies=2)
        await wait_for_store(db, IMPORTED_FEEDS, 1, bot)
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
        assert {s.shard for s in fake.sessions.values()} == {(0, 2), (1, 2)}
        for guild in (fake.guild, other):
            await ask_latest(fake, guild)
        assert_routed_by_shard(fake)
        assert await bot.stop() == 0
    finally:
        await bot.kill()
    assert "Traceback" not in bot.log, bot.tail()
    assert fake.violations == []


async def test_two_processes_one_shard_each_one_announcer_and_failover_after_sigkill(
    fake, feeds, tmp_path
):
    other = second_guild(fake)
    db = tmp_path / "episode-bot.db"
    home = shard_of(fake.guild.id)  # the shard of the guild that announces
    # The process of the other guild's shard starts first and takes the lease: killing it
    # leaves the announcing guild's process to take over.
    first = await start(fake, db, SHARD_COUNT="2", SHARD_IDS=str(1 - home))
    second: BotProcess | None = None
    try:
        await wait_for_store(db, LEADER.replace("holder", "count(*)"), 1, first)
        assert leader_pid(db) == first.process.pid
        second = await start(fake, db, SHARD_COUNT="2", SHARD_IDS=str(home))
        await fake.wait_until_ready(within=30, identifies=2)
        assert sorted(tuple(i["shard"]) for i in fake.identifies) == [(0, 2), (1, 2)]
        # Each answers in its own guild.
        for guild in (fake.guild, other):
            await ask_latest(fake, guild)
        assert_routed_by_shard(fake)
        assert fake.violations == []

        channel = fake.text_channel
        await admin(fake, "announce channel", channel=channel["id"])
        feeds.route(SHOW, show_feed([1, 2]))
        await admin(fake, "feed add", url=feeds.url(SHOW))
        feeds.route(SHOW, show_feed([1, 2, 3]))
        # Refreshed by the process that is not the leader: the leader sends it.
        await admin(fake, "feed refresh", feed=feeds.url(SHOW))
        await fake.wait_for(lambda: len(announcements(fake, channel)) == 1, 30, "episode 3")
        await asyncio.sleep(11)  # a whole tick of both: nothing is sent twice
        assert len(announcements(fake, channel)) == 1
        assert leader_pid(db) == first.process.pid

        # The leader dies; the survivor takes the lease over within a minute and sends
        # what came meanwhile, once.
        await first.kill()
        feeds.route(SHOW, show_feed([1, 2, 3, 4]))
        await admin(fake, "feed refresh", feed=feeds.url(SHOW))
        await fake.wait_for(lambda: len(announcements(fake, channel)) == 2, 60, "episode 4")
        assert leader_pid(db) == second.process.pid
        await asyncio.sleep(2)
        numbers = [announced_number(m) for m in announcements(fake, channel)]
        assert numbers == ["#3", "#4"], numbers
        sent = "SELECT count(*) FROM deliveries WHERE state = 'sent'"
        assert store_value(db, sent) == 2
        assert await second.stop() == 0
        # A clean stop gives the lease up.
        assert leader_pid(db) == 0
    finally:
        await first.kill()
        if second is not None:
            await second.kill()
    assert "this process now leads" in second.log
    assert "Traceback" not in first.log + second.log, second.tail()
    assert fake.violations == []
