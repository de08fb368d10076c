"""What the member-command tests share (test_cogs_episodes.py, test_cogs_search.py).

The example show imported once per session and copied for each test; the real bot with
the member cogs loaded, never connected; and calling commands, autocomplete and buttons as
discord.py does, with every message checked against Discord's limits and for
`AllowedMentions.none()`.

The fixtures `example_db`, `example_store` and `bot` that use these are in
tests/cogs/conftest.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.app.client import EpisodeBot
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.ui import render
from bot.ui.replies import NO_MENTIONS
from tests.support.catalogues import copy_store
from tests.support.fake_interactions import MEMBER_ID, FakeInteraction, Sent, fake_interaction

COGS = ("cogs.episodes", "cogs.search")
AUDIO = "https://example.com/audio/ep{}.mp3"  # the example show's audio URLs

# Member text that must get an answer, never an exception: query syntax, quotes, emoji,
# mentions, nothing at all.
HOSTILE_INPUTS = [
    '"',
    "'",
    '"unbalanced',
    "AND(",
    "learning AND(",
    "*",
    "NEAR",
    "NEAR(a b, 3)",
    "OR NOT AND",
    "title:x",
    "-",
    "^",
    "{}",
    "\\",
    "🎙️",
    "🎙️ learning 🎙️",
    "x" * 500,
    "",
    "   ",
    "@everyone",
    "<@&123>",
    "\x00",
]

# ---------------------------------------------------------------- stores


async def open_copy(original: Path, folder: Path) -> Store:
    """A test's own copy of a built store (closed cleanly: its WAL is checkpointed)."""
    return await Store.open(copy_store(original, folder))


# ---------------------------------------------------------------- the bot


class RecordingBot(EpisodeBot):
    """The real bot, never connected, remembering the dynamic items cogs register."""

    def add_dynamic_items(self, *items: Any) -> None:
        self.registered_dynamic_items = [*getattr(self, "registered_dynamic_items", []), *items]
        super().add_dynamic_items(*items)


async def started_bot(store: Store) -> RecordingBot:
    """A bot as `setup_hook` leaves it: cogs loaded. It never logs in."""
    fetcher = Fetcher()  # never used: these commands only read the store
    bot = RecordingBot(
        settings=Settings(), store=store, fetcher=fetcher, importer=Importer(store, fetcher)
    )
    for extension in COGS:
        await bot.load_extension(extension)
    return bot


# ---------------------------------------------------------------- acting as a member


def member(bot: EpisodeBot, user_id: int = MEMBER_ID, **kwargs: Any) -> FakeInteraction:
    fake = fake_interaction(user_id=user_id, **kwargs)
    fake.interaction.client = bot
    return fake


async def invoke(bot: EpisodeBot, name: str, fake: FakeInteraction, /, **options: Any) -> Sent:
    """Call the command's real callback as discord.py would; errors go to the tree's error
    layer, as they do in the bot. Returns the one message the member got."""
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    fake.interaction.command = command
    try:
        await command.callback(command.binding, fake.interaction, **options)
    except app_commands.AppCommandError as error:
        await bot.tree.on_error(fake.interaction, error)
    messages = fake.messages()
    assert len(messages) == 1, f"/{name} sent {len(messages)} messages"
    assert_acceptable(messages[0])
    return messages[0]


async def autocomplete(
    bot: EpisodeBot, name: str, option: str, current: str, **kwargs: Any
) -> list[app_commands.Choice[str]]:
    command = bot.tree.get_command(name)
    assert isinstance(command, app_commands.Command)
    # The autocomplete callback registered for the option: what discord.py calls.
    parameter = command._params[option]
    fake = member(bot, **kwargs)
    choices = await parameter.autocomplete(command.binding, fake.interaction, current)
    assert len(choices) <= 25
    for choice in choices:
        assert 1 <= len(choice.name) <= 100 and 1 <= len(str(choice.value)) <= 100
    return choices


async def press(view: discord.ui.View, item: discord.ui.Item[Any], fake: FakeInteraction) -> None:
    """Press a button as discord.py dispatches it: both checks, then the callback."""
    if await item.interaction_check(fake.interaction) and await view.interaction_check(
        fake.interaction
    ):
        await item.callback(fake.interaction)


# ---------------------------------------------------------------- what the member got


def assert_acceptable(sent: Sent) -> None:
    """What Discord would accept, and what pings nobody."""
    assert sent.allowed_mentions is NO_MENTIONS
    assert sent.allowed_mentions.to_dict() == {"parse": []}
    components = sent.view.to_components() if sent.view is not None else []
    problems = render.message_problems(sent.content, sent.embeds, components)
    assert problems == []


def lines_of(sent: Sent) -> list[str]:
    return sent.embeds[0].description.split("\n")


async def episode_id(bot: EpisodeBot, text: str) -> int:
    resolution = await bot.services.catalogue.resolve_episode(text, guild_id=None)
    assert resolution.episode is not None, text
    return resolution.episode.id
