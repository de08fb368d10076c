"""End to end, in this process: the bot's page turner under the real discord.py client.

A page turner that times out must disable its buttons in the message itself, so that no
member presses a dead button; the fake Discord then refuses clicks on them, as Discord's
client does. (A page turner lost in a restart is in test_e2e_commands.py.)
"""

from __future__ import annotations

import discord
import pytest

from bot.ui.views import Paginator
from tests.fakediscord import FakeDiscord
from tests.fakediscord.tinybot import TinyBot, point_discord_at, running


@pytest.fixture
async def fake(monkeypatch):
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


def pages(count: int) -> list[discord.Embed]:
    return [discord.Embed(title=f"Page {n}", description=f"Text {n}") for n in range(1, count + 1)]


async def test_a_page_turner_that_times_out_disables_its_buttons_in_place(fake):
    bot = TinyBot(fake)

    @bot.command("pages")
    async def show(interaction: discord.Interaction) -> None:
        await Paginator(pages(3), owner_id=interaction.user.id, timeout=0.3).start(interaction)

    async with running(bot):
        message = await (await fake.invoke("pages")).reply()
        assert not message.button("Next")["disabled"]
        turned = await fake.click(message, label="Next")
        assert await turned.response() == 7
        assert message.embeds[0]["title"] == "Page 2"

        await fake.wait_for(
            lambda: all(b["disabled"] for b in message.buttons()), 5, "the buttons to be disabled"
        )
        with pytest.raises(AssertionError, match="disabled"):
            await fake.click(message, label="Next")
    assert message.embeds[0]["title"] == "Page 2"  # the page stays readable
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
