"""The Discord client: built with its dependencies, loads the cogs, nothing at import time."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

import discord
from discord.ext import commands

from bot.app.services import Services
from bot.app.settings import Settings
from bot.app.tree import EpisodeTree
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.store import Store
from bot.ui.replies import NO_MENTIONS

log = logging.getLogger(__name__)

# Every cog the bot runs; each module has an async `setup(bot)`.
EXTENSIONS: tuple[str, ...] = (
    "cogs.episodes",
    "cogs.search",
    "cogs.feed_polling",
    "cogs.feeds",
    "cogs.announce",
    "cogs.moments",
)

# The store key of the hash of the last globally synced tree (suffixed with the app id).
SYNC_HASH_KEY = "commands.global.sha256"


def bot_intents() -> discord.Intents:
    """Only what the bot needs: guilds (channels, roles, threads). No message content,
    no members: slash commands and buttons arrive as interactions regardless."""
    intents = discord.Intents.none()
    intents.guilds = True
    return intents


def quiet_voice_warnings() -> None:
    """Building a client makes discord.py warn that the voice libraries are missing; the bot
    never joins a voice channel, so the warning is noise (and a wrong hint to install them)."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False


class EpisodeBot(commands.AutoShardedBot):
    """The bot. Dependencies are passed in and wired once into `self.services`
    (`Services.build`); `setup_hook` loads the cogs, whose `setup()` take what they need
    from there.

    `fetcher` / `importer` serve FEEDS (trusted); `guild_fetcher` fetches the feeds guilds
    add with /feed add (`Services.build` makes one when it is None). The store and the
    fetchers stay the caller's to close; `close()` closes what the services made.

    Sharded: one process runs every shard Discord recommends, or SHARD_COUNT of them, or
    the SHARD_IDS subset (a set of processes; one of them leads the poller and sender).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        importer: Importer,
        guild_fetcher: Fetcher | None = None,
        extensions: Sequence[str] = EXTENSIONS,
        force_sync: bool = False,
        **options: Any,
    ) -> None:
        quiet_voice_warnings()
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,  # no prefix commands; slash only
            intents=bot_intents(),
            tree_cls=EpisodeTree,
            help_command=None,
            allowed_mentions=NO_MENTIONS,  # a default; every send also says so explicitly
            **options,
        )
        self.services = Services.build(
            settings=settings,
            store=store,
            fetcher=fetcher,
            importer=importer,
            guild_fetcher=guild_fetcher,
            resolve_channel=self.resolve_channel,
            bot_user_id=self.own_user_id,
        )
        self._extensions_to_load = tuple(extensions)
        self._force_sync = force_sync

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> Store:
        return self.services.store

    async def resolve_channel(self, channel_id: int) -> Any:
        """A channel by id: from the cache, else asked of Discord (the announcer's way)."""
        return self.get_channel(channel_id) or await self.fetch_channel(channel_id)

    def own_user_id(self) -> int | None:
        """The bot's user id once logged in (the announcer tells its own messages by it)."""
        return self.user.id if self.user else None

    async def close(self) -> None:
        """Unload the cogs (the poller loop stops) and close Discord, then the services."""
        if getattr(self, "_AutoShardedClient__queue", None) is None:
            # Never started (tests, `doctor`, offline answers): the sharded client makes
            # its event queue at login, and its close() needs one.
            await self._async_setup_hook()
        try:
            await super().close()
        finally:
            await self.services.close()

    async def setup_hook(self) -> None:
        if self.services.semantic is not None:
            # The model loads and the backlog embeds in the background; /when searches
            # words only until then.
            self.services.semantic.start_soon()
        for extension in self._extensions_to_load:
            await self.load_extension(extension)
        log.info("loaded %d cogs", len(self._extensions_to_load))
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """Register the slash commands with Discord, only when that is needed.

        With DEV_GUILD_ID the commands are copied to that server and synced there at every
        start (instant, and free: guild syncs are cheap), and not globally, where members of
        the development server would see every command twice. Otherwise they are synced
        globally only when the tree differs from the one last synced for this application
        (its hash is kept in the store), or when forced (`episode-bot run --sync`): global
        syncs are rate limited and take a while to reach every client, so never blindly.
        """
        dev_guild = self.settings.dev_guild_id
        if dev_guild is not None:
            guild = discord.Object(id=dev_guild)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to the development server %s", len(synced), dev_guild)
            return
        key = f"{SYNC_HASH_KEY}:{self.application_id}"
        digest = command_tree_hash(self.tree)
        if not self._force_sync and await self.store.get_state(key) == digest:
            log.info("commands unchanged since the last global sync; not syncing")
            return
        synced = await self.tree.sync()
        await self.store.set_state(key, digest)
        log.info("synced %d commands globally (they may take a while to appear)", len(synced))


def command_tree_payload(tree: discord.app_commands.CommandTree) -> list[dict[str, Any]]:
    """What a global sync would send: every global command as Discord receives it."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def command_tree_hash(tree: discord.app_commands.CommandTree) -> str:
    """A stable hash of the global command tree: same commands, same hash, whatever order
    the cogs registered them in."""
    payload = sorted(command_tree_payload(tree), key=lambda c: (c.get("type", 1), c["name"]))
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
