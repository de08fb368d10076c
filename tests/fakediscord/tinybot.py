"""A minimal discord.py client in the test's own process, for checking the fake itself and
for exercising one view or helper of the bot under the real library, quickly."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import discord
import yarl
from discord import app_commands

from tests.fakediscord.server import FakeDiscord


class TinyBot(discord.Client):
    """A client whose commands a test registers with `command()`, synced to the fake's
    guild at login. Errors of its commands are collected in `errors`."""

    def __init__(self, fake: FakeDiscord):
        super().__init__(intents=discord.Intents(guilds=True), guild_ready_timeout=0.05)
        self.tree = app_commands.CommandTree(self)
        self.fake = fake
        self.errors: list[BaseException] = []

        @self.tree.error
        async def on_error(interaction: discord.Interaction, error: Exception) -> None:
            self.errors.append(getattr(error, "original", error))

    async def setup_hook(self) -> None:
        await self.tree.sync(guild=discord.Object(self.fake.guild.id))

    def command(self, name: str) -> Callable[[Any], Any]:
        """Register the decorated `async def handler(interaction, ...)` as /name."""

        def register(handler: Any) -> Any:
            self.tree.add_command(
                app_commands.Command(name=name, description=f"/{name}", callback=handler),
                guild=discord.Object(self.fake.guild.id),
            )
            return handler

        return register


def point_discord_at(fake: FakeDiscord, monkeypatch: Any) -> None:
    """Send this process's discord.py to the fake (undone by `monkeypatch`)."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        yarl.URL(fake.gateway_url),
    )


ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running(bot: ClientT, fake: FakeDiscord | None = None) -> AsyncIterator[ClientT]:
    """Log the client in to `fake` (a TinyBot's own by default), connect it and wait until
    its guild is cached; close after."""
    if fake is None:
        assert isinstance(bot, TinyBot), "say which fake the client logs in to"
        fake = bot.fake
    task = asyncio.create_task(bot.start(fake.token))
    try:
        await fake.wait_until_ready()
        await asyncio.wait_for(bot.wait_until_ready(), 5)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await task
