"""End to end, in this process: the bot's page turner under the real discord.py client.

A page turner is sent and forgotten by discord.py (nothing of it stays in the client's
view store): its Previous / Next buttons are answered by the persistent `PageTurnButton`,
from the rows kept for the most recent answers. (Pages rebuilt after a restart are in
test_e2e_commands.py.)
"""

from __future__ import annotations

import discord
import pytest

from bot.ui.render import PagedList
from bot.ui.views import PageTurnButton, Paginator
from tests.fakediscord import FakeDiscord
from tests.fakediscord.tinybot import TinyBot, point_discord_at, running


@pytest.fixture
async def fake(monkeypatch):
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


def pages(count: int) -> PagedList[str]:
    """`count` pages of one line each, drawn when shown."""

    def draw(rows, index, total):
        return discord.Embed(title=f"Page {index + 1}/{total}", description=rows[0])

    return PagedList(tuple(f"Text {n}" for n in range(1, count + 1)), tuple(range(count)), draw)


async def test_pages_turn_without_a_view_kept_in_the_client(fake):
    bot = TinyBot(fake)

    @bot.command("pages")
    async def show(interaction: discord.Interaction) -> None:
        await Paginator(pages(3), owner_id=interaction.user.id).start(interaction)

    async with running(bot):
        bot.add_dynamic_items(PageTurnButton)
        message = await (await fake.invoke("pages")).reply()
        store = bot._connection._view_store
        assert not store._synced_message_views and not store._views  # nothing kept
        assert message.button("Previous")["disabled"]

        turned = await fake.click(message, label="Next")
        assert await turned.response() == 7
        assert message.embeds[0]["title"] == "Page 2/3"
        assert message.embeds[0]["description"] == "Text 2"
        await (await fake.click(message, label="Next")).response()
        assert message.embeds[0]["title"] == "Page 3/3"
        assert message.button("Next")["disabled"]

        stranger = await fake.click(message, label="Previous", member=fake.admin)
        refusal = await stranger.reply()
        assert refusal.ephemeral and "Only the person who asked" in refusal.content
        assert message.embeds[0]["title"] == "Page 3/3"
        assert not store._synced_message_views and not store._views
    assert bot.errors == []
    assert fake.violations == []


async def test_a_single_page_has_no_buttons(fake):
    bot = TinyBot(fake)

    @bot.command("pages")
    async def show(interaction: discord.Interaction) -> None:
        await Paginator(pages(1), owner_id=interaction.user.id).start(interaction)

    async with running(bot):
        message = await (await fake.invoke("pages")).reply()
    assert message.buttons() == []
    assert fake.violations == []
