"""`episode-bot run` and `episode-bot invite`: connecting the bot to Discord, and leaving.

`run` opens the store and the fetchers, builds the bot with them, points discord.py at
DISCORD_API_BASE / DISCORD_GATEWAY_URL, logs in and serves until SIGINT or SIGTERM, then
closes the gateway, the HTTP sessions and the store, in that order. Problems a user can
fix (no token, a rejected token, an intent the portal doesn't grant) end in one line on
stderr and exit code 2, never a traceback. The token is never logged.

`invite` prints the URL that adds the bot to a server with exactly the permissions it
uses; see `invite_permissions`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl

from bot.app.client import EpisodeBot, bot_intents, quiet_voice_warnings
from bot.app.settings import Settings
from bot.ingest.fetch import Fetcher
from bot.ingest.importer import Importer
from bot.ops.discord_errors import log_discord_failures
from bot.store import Store

log = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

# Test knob, not a user setting: how long discord.py waits after the last GUILD_CREATE
# before `on_ready` (its default is 2 s). The end-to-end tests set it small.
GUILD_READY_TIMEOUT_VAR = "EPISODE_BOT_GUILD_READY_TIMEOUT"

NO_TOKEN = (
    "DISCORD_TOKEN is not set: put the bot token from the Discord developer portal "
    "(Bot → Reset Token) in .env or the environment"
)
REJECTED_TOKEN = (
    "Discord rejected DISCORD_TOKEN: reset it in the developer portal (Bot → Reset Token) "
    "and update .env"
)
PRIVILEGED_INTENT = (
    "Discord refused the gateway connection (4014): the bot asked for a privileged intent "
    "that is not enabled in the developer portal (Bot → Privileged Gateway Intents). "
    "episode-bot needs none; this build asked for more than it should"
)


class RunError(Exception):
    """Why the bot could not start or keep running, in one line; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code


def point_discord_at(settings: Settings) -> None:
    """Send discord.py's REST calls (interaction webhooks included) and its gateway
    connection where the settings say: Discord itself, a proxy, or a test's fake."""
    discord.http.Route.BASE = settings.discord_api_base
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


def require_token(settings: Settings) -> str:
    """The bot token, or a `RunError` saying where to put it."""
    if not settings.discord_token:
        raise RunError(NO_TOKEN)
    return settings.discord_token


def guild_ready_timeout(env: Mapping[str, str]) -> float | None:
    """The test knob `GUILD_READY_TIMEOUT_VAR` in seconds, or None to keep discord.py's."""
    text = env.get(GUILD_READY_TIMEOUT_VAR, "").strip()
    if not text:
        return None
    try:
        return max(0.0, float(text))
    except ValueError:
        raise RunError(f"{GUILD_READY_TIMEOUT_VAR} must be a number of seconds") from None


async def run_bot(
    settings: Settings,
    db_path: Path,
    *,
    force_sync: bool = False,
    env: Mapping[str, str] | None = None,
) -> int:
    """Serve until SIGINT / SIGTERM (exit 0) or a fatal error (`RunError`)."""
    token = require_token(settings)
    options: dict[str, Any] = {}
    ready_timeout = guild_ready_timeout(os.environ if env is None else env)
    if ready_timeout is not None:
        options["guild_ready_timeout"] = ready_timeout
    point_discord_at(settings)

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with open_bot(settings, db_path, force_sync=force_sync, **options) as bot:
            return await _serve(bot, token, stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


@contextlib.asynccontextmanager
async def open_bot(
    settings: Settings, db_path: Path, *, force_sync: bool = False, **options: Any
) -> AsyncIterator[EpisodeBot]:
    """The bot as `run` builds it, over the store at `db_path` and its two fetchers;
    leaving closes the bot (if the caller hasn't), the fetchers and the store."""
    async with (
        await Store.open(db_path) as store,
        # FEEDS are the operator's own choice: trusted, private addresses allowed.
        Fetcher(allow_private=True) as trusted,
        # Feeds a guild adds with /feed add come from members: no private addresses
        # unless the operator says so.
        Fetcher(allow_private=settings.allow_private_feed_urls) as guarded,
    ):
        bot = EpisodeBot(
            settings=settings,
            store=store,
            fetcher=trusted,
            importer=Importer(store, trusted),
            guild_fetcher=guarded,
            force_sync=force_sync,
            **options,
        )
        log_discord_failures(bot.http)  # each 4xx/5xx once, with its context
        try:
            yield bot
        finally:
            if not bot.is_closed():
                await bot.close()


async def _serve(bot: EpisodeBot, token: str, stop: asyncio.Event) -> int:
    """Run the client until it stops on its own (an error) or `stop` is set."""
    client = asyncio.create_task(bot.start(token), name="discord-client")
    stopping = asyncio.create_task(stop.wait(), name="stop-signal")
    try:
        done, _ = await asyncio.wait({client, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if stopping in done:
            log.info("shutting down")
            await bot.close()  # unloads the cogs (their tasks stop), closes gateway and HTTP
            with contextlib.suppress(Exception):
                await client
            return EXIT_OK
        client.result()  # raises what stopped the client
        return EXIT_OK
    except discord.LoginFailure:
        raise RunError(REJECTED_TOKEN) from None
    except discord.GatewayNotFound as exc:
        # Sharded, the client asks `GET /gateway/bot` (the shard count and the URL) after
        # the REST calls: a 401 there is a token reset in the meantime.
        cause = exc.__cause__
        if isinstance(cause, discord.HTTPException) and cause.status == 401:
            raise RunError(REJECTED_TOKEN) from None
        detail = (
            f" ({cause.status}: {cause.text or cause})"
            if isinstance(cause, discord.HTTPException)
            else ""
        )
        raise RunError(f"Discord did not say where its gateway is{detail}", EXIT_FAILED) from None
    except discord.PrivilegedIntentsRequired:
        raise RunError(PRIVILEGED_INTENT) from None
    except discord.ConnectionClosed as exc:
        # The REST calls accepted the token, then the gateway closed for good: 4004 when
        # the token was reset in the meantime; any other code is Discord's to explain.
        if exc.code == 4004:
            raise RunError(REJECTED_TOKEN) from None
        reason = exc.reason or "no reason given"
        raise RunError(
            f"Discord closed the gateway connection ({exc.code}: {reason})", EXIT_FAILED
        ) from None
    except discord.app_commands.CommandSyncFailure as exc:
        raise RunError(f"Discord refused the slash commands: {exc}", EXIT_FAILED) from None
    except (aiohttp.ClientConnectionError, OSError) as exc:
        raise RunError(
            f"cannot reach Discord at {discord.http.Route.BASE}: {exc}", EXIT_FAILED
        ) from None
    except discord.HTTPException as exc:
        raise RunError(f"Discord answered {exc.status}: {exc.text or exc}", EXIT_FAILED) from None
    finally:
        stopping.cancel()
        if not bot.is_closed():
            await bot.close()


# --------------------------------------------------------------------------- invite


def invite_permissions(*, mention_any_role: bool = False) -> discord.Permissions:
    """Exactly what the bot uses, and no more.

    - View Channels, Send Messages, Embed Links: announcements are embeds posted in a
      channel (slash command replies need no channel permission at all).
    - Create Public Threads, Send Messages in Threads: each announcement opens a thread,
      and a forum announcement is a post (a thread) of its own.
    - Read Message History: the announcer checks a channel's recent messages so that a
      delivery interrupted by a restart is not posted twice.
    - Mention @everyone, @here and All Roles only with `mention_any_role`: pinging a role
      that is *mentionable* needs no permission, so by default the announcement role
      should be made mentionable; grant this instead only if it can't be, knowing that it
      also lets the bot ping @everyone (it never does: every message it sends allows
      mentions of the configured role alone).
    """
    permissions = discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        create_public_threads=True,
        send_messages_in_threads=True,
        read_message_history=True,
    )
    if mention_any_role:
        permissions.mention_everyone = True
    return permissions


def invite_url(application_id: int, *, mention_any_role: bool = False) -> str:
    """The OAuth2 URL that adds the application's bot with `invite_permissions`."""
    return discord.utils.oauth_url(
        application_id,
        permissions=invite_permissions(mention_any_role=mention_any_role),
        scopes=("bot", "applications.commands"),
    )


def application_id_from_token(token: str) -> int | None:
    """A bot token starts with its user id in base64; a bot's user id is its application id."""
    head = token.split(".", 1)[0]
    try:
        text = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return int(text) if text.isdigit() else None


async def fetch_application_id(token: str) -> int:
    """Ask Discord (GET /oauth2/applications/@me) which application this token belongs to."""
    quiet_voice_warnings()
    # Never connects to the gateway; the bot's intents only keep discord.py from warning.
    client = discord.Client(intents=bot_intents())
    try:
        await client.login(token)
        assert client.application_id is not None
        return client.application_id
    finally:
        await client.close()


async def invite(settings: Settings, *, mention_any_role: bool = False) -> tuple[str, str | None]:
    """The invite URL for the token's application, and a note when Discord wasn't asked."""
    token = require_token(settings)
    point_discord_at(settings)
    try:
        application_id = await fetch_application_id(token)
        note = None
    except discord.LoginFailure:
        raise RunError(REJECTED_TOKEN) from None
    except (aiohttp.ClientError, OSError, discord.HTTPException) as exc:
        from_token = application_id_from_token(token)
        if from_token is None:
            raise RunError(
                f"cannot reach Discord ({exc}) and DISCORD_TOKEN does not look like a bot token"
            ) from None
        application_id = from_token
        note = f"could not ask Discord ({exc}); used the application id in the token"
    return invite_url(application_id, mention_any_role=mention_any_role), note
