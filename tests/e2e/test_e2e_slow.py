"""End to end, in this process: slow work defers first, and the answer after a defer is
what the member should see.

The real `EpisodeBot` with the real search cog runs against the fake Discord; the cog's
`defer_after` is set to 0 so that every search takes the slow path (defer, then answer by
follow-up) without needing a slow catalogue.
"""

from __future__ import annotations

import contextlib

import pytest

from bot.app.client import EpisodeBot
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import bot_env
from tests.fakediscord.tinybot import point_discord_at, running
from tests.support.paths import EXAMPLES


@pytest.fixture
async def fake(monkeypatch):
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


@contextlib.asynccontextmanager
async def search_bot(fake: FakeDiscord, tmp_path):
    """The bot with only the search cog, over a store holding the example show."""
    settings = Settings.from_env(bot_env(fake, db_path=tmp_path / "bot.db"))
    async with await Store.open(":memory:") as store, Fetcher() as fetcher:
        await Importer(store, fetcher, remote_files=False).import_source(str(EXAMPLES / "feed.xml"))
        bot = EpisodeBot(
            settings=settings,
            store=store,
            fetcher=fetcher,
            importer=Importer(store, fetcher),
            extensions=("cogs.search",),
            guild_ready_timeout=0.05,
        )
        async with running(bot, fake):
            bot.get_cog("Search").defer_after = 0.0  # every search is "slow"
            yield bot


async def test_a_slow_search_defers_then_answers_by_follow_up(fake, tmp_path):
    async with search_bot(fake, tmp_path):
        handle = await fake.invoke("search", query="learning rate")
        assert await handle.response() == 5  # "thinking…" first
        answer = await handle.reply()
    assert not answer.ephemeral
    assert answer.embeds[0]["title"] == "Search: “learning rate”"
    assert fake.violations == []


async def test_a_slow_search_that_finds_nothing_still_answers_privately(fake, tmp_path):
    """After a public "thinking…" defer, Discord makes the first follow-up replace it and
    ignores its ephemeral flag: a "nothing found" meant for one member goes public."""
    async with search_bot(fake, tmp_path):
        handle = await fake.invoke("search", query="zzzz qqqq")
        answer = await handle.reply()
    assert fake.violations == []
    assert answer.ephemeral, "the 'nothing found' answer was shown to the whole channel"
