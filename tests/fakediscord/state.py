"""What the fake Discord knows, shared by its areas (gateway, REST, member actions).

One application, one bot user and one guild; the messages, threads, interactions and
commands the bot made; everything it asked (the request log, syncs, IDENTIFYs and
RESUMEs); what the next requests will meet (injected 429s, holds); and the `violations`
each test asserts empty. The areas change it and call `changed()`, which wakes
`wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakediscord.models import (
    FORUM,
    NEWS,
    TEXT,
    FakeMessage,
    Guild,
    InteractionHandle,
    Member,
    Perm,
    bot_token,
    snowflake,
    user_object,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"


@dataclass
class LoggedRequest:
    method: str
    path: str  # after /api/v10
    query: dict[str, str]
    body: Any
    status: int = 0


@dataclass
class SyncRecord:
    """One `PUT .../commands`: the scope (None for global, else the guild id) and body."""

    guild_id: int | None
    commands: list[dict[str, Any]]


@dataclass
class Hold:
    """A request held by the fake until `release()`: before it is handled, or (`after`)
    handled but not yet answered, as when a connection dies with the answer in flight."""

    pattern: str
    after: bool
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Injected429:
    """The next request matching `pattern` is answered 429 with `retry_after`."""

    pattern: str
    retry_after: float
    is_global: bool


class DiscordState:
    """The guild, what the bot did in it and what the tests arranged; no I/O of its own."""

    def __init__(self, *, token: str | None = None) -> None:
        self.bot_user_id = snowflake()
        self.application_id = self.bot_user_id  # true of every bot made since 2016
        self.token = token or bot_token(self.bot_user_id)
        self.accepted_tokens = {self.token}
        self.bot_user = user_object(self.bot_user_id, "episode-bot", bot=True)
        self.owner = user_object(snowflake(), "owner")

        guild_id = snowflake()
        self.guild = Guild(
            id=guild_id, name="Warm Restarts Listeners", owner_id=int(self.owner["id"])
        )
        # A locked-down server: @everyone may only use commands, so whatever the bot can
        # do comes from its own role, i.e. from the permissions of its invite URL.
        self.everyone_role = self.guild.add_role("@everyone", Perm.EVERYONE_LOCKED)
        self.admin_role = self.guild.add_role(
            "Moderators", Perm.MANAGE_GUILD | Perm.MANAGE_MESSAGES
        )
        self.ping_role = self.guild.add_role("New episodes", 0, mentionable=True)
        self.quiet_role = self.guild.add_role("Regulars", 0, mentionable=False)
        self.bot_role = self.guild.add_role(
            "episode-bot",
            Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS,
            managed=True,
            tags={"bot_id": str(self.bot_user_id)},
        )
        self.text_channel = self.guild.add_channel("episodes", TEXT)
        self.general_channel = self.guild.add_channel("general", TEXT)
        self.news_channel = self.guild.add_channel("announcements", NEWS)
        self.forum_channel = self.guild.add_channel("episode-talk", FORUM)
        self.bot_member = Member(self.bot_user, [int(self.bot_role["id"])])
        self.admin = Member(user_object(snowflake(), "admin"), [int(self.admin_role["id"])])
        self.member = Member(user_object(snowflake(), "listener"), [])
        for member in (self.bot_member, self.admin, self.member):
            self.guild.members[member.id] = member
        # Every guild the bot is in, by id (`add_guild` adds more); `guild` is the first.
        self.guilds: dict[int, Guild] = {guild_id: self.guild}
        self.shard_count = 1  # what `GET /gateway/bot` recommends

        # Which role an announcement may ping (None: no message may ping anyone).
        self.allowed_ping_role_id: int | None = None
        self.response_deadline = 3.0  # seconds to the initial interaction response
        self.token_lifetime = 15 * 60.0  # seconds of follow-ups after it
        self.privileged_intents_enabled = 0

        self.violations: list[str] = []
        self.requests: list[LoggedRequest] = []
        self.sync_requests: list[SyncRecord] = []
        self.synced: dict[int | None, list[dict[str, Any]]] = {}
        self.command_ids: dict[tuple[int | None, str], int] = {}  # (scope, name) -> id
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.gateway_connections: list[str] = []  # the path of each websocket connection
        self.rate_limited: list[str] = []
        self.messages: dict[int, FakeMessage] = {}
        self.history: dict[int, list[int]] = {}  # channel id -> message ids, oldest first
        self.threads: list[dict[str, Any]] = []
        self.interactions: dict[int, InteractionHandle] = {}
        self.interactions_by_token: dict[str, InteractionHandle] = {}
        self.injected_429s: list[Injected429] = []
        self.holds: list[Hold] = []
        self.diagnostics: Callable[[], str] | None = None  # e.g. the bot's log tail

        self.port = 0
        self.serving = False  # between start() and close()
        self._waiters: list[asyncio.Future[None]] = []

    # ------------------------------------------------------------------ guilds

    def add_guild(self, name: str, *, shard: int = 0, shard_count: int = 1) -> Guild:
        """Another guild, its id on `shard` of `shard_count` (`(id >> 22) % count`): locked
        down as the first one, with the bot (its own role), a text channel "episodes" and
        a member without permissions. Add it before the bot connects (its READY lists it).
        """
        guild_id = snowflake()
        millis = (guild_id >> 22) + (shard - (guild_id >> 22)) % shard_count
        guild_id = (millis << 22) | (guild_id & ((1 << 22) - 1))
        guild = Guild(id=guild_id, name=name, owner_id=int(self.owner["id"]))
        guild.add_role("@everyone", Perm.EVERYONE_LOCKED)
        bot_role = guild.add_role(
            "episode-bot",
            Perm.VIEW_CHANNEL | Perm.SEND_MESSAGES | Perm.EMBED_LINKS,
            managed=True,
            tags={"bot_id": str(self.bot_user_id)},
        )
        guild.add_channel("episodes", TEXT)
        for member in (
            Member(self.bot_user, [int(bot_role["id"])]),
            Member(user_object(snowflake(), "listener"), []),
        ):
            guild.members[member.id] = member
        self.guilds[guild_id] = guild
        return guild

    def guild_of_channel(self, channel: int | str | dict[str, Any]) -> Guild:
        """The guild holding a channel (the first guild when no guild knows it)."""
        channel_id = _id(channel)
        for guild in self.guilds.values():
            if channel_id in guild.channels:
                return guild
        return self.guild

    # ------------------------------------------------------------------ addresses

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """For DISCORD_API_BASE."""
        return f"{self.origin}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """For DISCORD_GATEWAY_URL."""
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def resume_gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/resume"

    # ------------------------------------------------------------------ violations and waiting

    def violation(self, text: str) -> None:
        log.warning("violation: %s", text)
        self.violations.append(text)

    def changed(self) -> None:
        """Wake every `wait_for` to re-check its condition."""
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_for(
        self, predicate: Callable[[], bool], within: float = 10.0, what: str = "a condition"
    ) -> None:
        """Wait until `predicate()` holds, re-checking whenever the fake's state changes."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"timed out after {within} s waiting for {what}{self._tail()}")
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter, min(remaining, 0.05))

    def _tail(self) -> str:
        parts = []
        if self.violations:
            parts.append("violations:\n  " + "\n  ".join(self.violations))
        if self.diagnostics is not None:
            parts.append(self.diagnostics())
        return ("\n" + "\n".join(parts)) if parts else ""

    # ------------------------------------------------------------------ queries

    def channel_messages(self, channel_id: int | str | dict[str, Any]) -> list[FakeMessage]:
        """The messages in a channel or thread, oldest first (ephemeral ones are not)."""
        cid = _id(channel_id)
        return [
            self.messages[mid]
            for mid in self.history.get(cid, [])
            if not self.messages[mid].deleted
        ]

    def thread_for(self, message: FakeMessage | int) -> dict[str, Any] | None:
        mid = message.id if isinstance(message, FakeMessage) else message
        return next((t for t in self.threads if int(t["id"]) == mid), None)


def _id(value: int | str | dict[str, Any]) -> int:
    return int(value["id"]) if isinstance(value, dict) else int(value)


__all__ = ["API_PREFIX", "DiscordState", "Hold", "Injected429", "LoggedRequest", "SyncRecord"]
