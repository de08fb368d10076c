"""A loopback Discord for end-to-end tests: REST and a JSON gateway, on 127.0.0.1.

The real discord.py client logs in to it, syncs its commands, connects to its gateway and
answers the interactions it dispatches, exactly as it would with Discord. Everything the
bot sends is checked against Discord's limits (`limits.py`) and answered the way Discord
answers it — a 400 with code 50035 and the nested `errors` for a bad form, 404 10062 for a
late interaction response, 160004 for a second thread on a message — and every such
mistake, every message that could ping someone other than the configured role, and every
call the fake doesn't know is also appended to `violations`, which each test asserts empty.

    async with FakeDiscord() as fake:
        ... start the bot with DISCORD_API_BASE=fake.api_base,
            DISCORD_GATEWAY_URL=fake.gateway_url, DISCORD_TOKEN=fake.token ...
        await fake.wait_until_ready()
        handle = await fake.invoke("episode", query="12")
        message = await handle.reply()
        assert fake.violations == []

Wire details that matter to discord.py: JSON answers carry exactly
`Content-Type: application/json`; a 429 carries `Via` and a JSON `retry_after`, or the
client won't retry it; gateway frames are TEXT, so the client's zlib-stream is unused.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import json
import logging
import secrets
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

from aiohttp import WSMsgType, web

from tests.fakediscord import limits
from tests.fakediscord.interactions import build_command_data, find_command
from tests.fakediscord.mentions import pings
from tests.fakediscord.models import (
    FORUM,
    NEWS,
    PUBLIC_THREAD,
    TEXT,
    FakeMessage,
    Guild,
    InteractionHandle,
    Member,
    Perm,
    bot_token,
    iso_now,
    names_of,
    snowflake,
    user_object,
)

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# The parsed JSON body, read once by the middleware.
BODY: web.RequestKey[Any] = web.RequestKey("body", object)
HEARTBEAT_INTERVAL_MS = 41250
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content

# Interaction types and the callback types Discord accepts for each.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


class DiscordError(Exception):
    """An answer other than success, in Discord's JSON shape."""

    def __init__(self, status: int, body: dict[str, Any], *, violation: str | None = None):
        super().__init__(body.get("message"))
        self.status = status
        self.body = body
        self.violation = violation


class CommandNotAvailable(AssertionError):
    """Discord's client would not let this member run this command here."""


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
class _Session:
    id: str
    seq: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly application/json: with "; charset=utf-8" discord.py reads the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _error(status: int, code: int, message: str) -> DiscordError:
    return DiscordError(status, {"code": code, "message": message})


class FakeDiscord:
    """The fake: one application, one bot user and one guild; see the module docstring."""

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

        # Which role an announcement may ping (None: no message may ping anyone).
        self.allowed_ping_role_id: int | None = None
        self.response_deadline = 3.0  # seconds to the initial interaction response
        self.token_lifetime = 15 * 60.0  # seconds of follow-ups after it
        self.privileged_intents_enabled = 0

        self.violations: list[str] = []
        self.requests: list[LoggedRequest] = []
        self.sync_requests: list[SyncRecord] = []
        self.synced: dict[int | None, list[dict[str, Any]]] = {}
        self.identifies: list[dict[str, Any]] = []
        self.resumes: list[dict[str, Any]] = []
        self.gateway_connections: list[str] = []  # the path of each websocket connection
        self.rate_limited: list[str] = []
        self.messages: dict[int, FakeMessage] = {}
        self.threads: list[dict[str, Any]] = []
        self.interactions: dict[int, InteractionHandle] = {}
        self.diagnostics: Callable[[], str] | None = None  # e.g. the bot's log tail

        self._by_token: dict[str, InteractionHandle] = {}
        self._command_ids: dict[tuple[int | None, str], int] = {}
        self._history: dict[int, list[int]] = {}
        self._session: _Session | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._inject: list[tuple[str, float, bool]] = []
        self._holds: list[Hold] = []
        self._waiters: list[asyncio.Future[None]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

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

    async def start(self) -> Self:
        app = web.Application(middlewares=[self._middleware], client_max_size=32 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/resume", self._gateway)
        self._add_routes(app)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ test helpers

    def violation(self, text: str) -> None:
        log.warning("violation: %s", text)
        self.violations.append(text)

    def allow_ping(self, role: dict[str, Any] | int | None) -> None:
        """The role announcements may ping (None: nobody may be pinged)."""
        if isinstance(role, dict):
            role = int(role["id"])
        self.allowed_ping_role_id = role

    def set_bot_permissions(self, bits: int) -> None:
        """What the bot's role grants (the invite URL's permissions, in a real guild)."""
        self.bot_role["permissions"] = str(bits)

    def inject_429(
        self, pattern: str, retry_after: float = 0.1, *, is_global: bool = False
    ) -> None:
        """The next request matching `pattern` ("POST /channels/*/messages", matched against
        the method and the path after /api/v10) is answered 429 with `retry_after`."""
        self._inject.append((pattern, retry_after, is_global))

    def hold(self, pattern: str, *, after: bool = False) -> Hold:
        """Hold the next request matching `pattern` (as for `inject_429`) until released;
        with `after`, Discord has done what it asked but the answer has not left yet."""
        held = Hold(pattern, after)
        self._holds.append(held)
        return held

    def channel_messages(self, channel_id: int | str | dict[str, Any]) -> list[FakeMessage]:
        """The messages in a channel or thread, oldest first (ephemeral ones are not)."""
        cid = _id(channel_id)
        return [
            self.messages[mid]
            for mid in self._history.get(cid, [])
            if not self.messages[mid].deleted
        ]

    def thread_for(self, message: FakeMessage | int) -> dict[str, Any] | None:
        mid = message.id if isinstance(message, FakeMessage) else message
        return next((t for t in self.threads if int(t["id"]) == mid), None)

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The commands as last synced to a guild, or globally (None)."""
        return self.synced.get(guild_id, [])

    def requests_to(self, pattern: str) -> list[LoggedRequest]:
        return [r for r in self.requests if fnmatch.fnmatchcase(f"{r.method} {r.path}", pattern)]

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

    def _changed(self) -> None:
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    @property
    def connected(self) -> bool:
        session = self._session
        return session is not None and session.ws is not None and not session.ws.closed

    async def wait_until_ready(self, within: float = 10.0, *, identifies: int = 1) -> None:
        """Wait until the bot has identified (`identifies` times in all) and got its guild."""
        await self.wait_for(
            lambda: len(self.identifies) >= identifies and self.connected and self._guild_sent,
            within,
            "the bot to connect to the gateway",
        )

    # ------------------------------------------------------------------ interactions

    async def invoke(
        self,
        command: str,
        /,
        *,
        member: Member | None = None,
        in_channel: dict[str, Any] | None = None,
        override_permissions: bool = False,
        **options: Any,
    ) -> InteractionHandle:
        """Run a slash command as a member would: built from the synced schema, so a wrong
        option name or type fails here. `command` may be "feed add" for a subcommand;
        `member` runs it (default: the member without permissions), `in_channel` is where
        (default: #episodes). `override_permissions`: a server admin granted the command to
        this member in Server Settings > Integrations, so Discord shows it despite its
        default permissions."""
        names = command.lstrip("/").split()
        return await self._dispatch_command(
            names,
            options,
            member=member,
            channel=in_channel,
            focused=None,
            override_permissions=override_permissions,
        )

    async def autocomplete(
        self,
        command: str,
        option: str,
        value: str,
        /,
        *,
        member: Member | None = None,
        in_channel: dict[str, Any] | None = None,
        **options: Any,
    ) -> InteractionHandle:
        """Type `value` into `option` of `command`; `await handle.choices()` for the answer."""
        names = command.lstrip("/").split()
        return await self._dispatch_command(
            names,
            {**options, option: value},
            member=member,
            channel=in_channel,
            focused=option,
            override_permissions=True,
        )

    async def _dispatch_command(
        self,
        names: list[str],
        options: dict[str, Any],
        *,
        member: Member | None,
        channel: dict[str, Any] | None,
        focused: str | None,
        override_permissions: bool,
    ) -> InteractionHandle:
        member = member or self.member
        channel = channel or self.text_channel
        schema, scope = find_command(self, names[0])
        self._check_available(schema, member, channel, override_permissions)
        data = build_command_data(self, schema, names, options, member=member, focused=focused)
        data["id"] = str(self._command_ids[(scope, schema["name"])])
        if scope is not None:
            data["guild_id"] = str(scope)
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        label = ("autocomplete " if focused else "") + "/" + " ".join(names)
        return await self._dispatch_interaction(kind, data, member, channel, label)

    def _check_available(
        self, schema: dict[str, Any], member: Member, channel: dict[str, Any], override: bool
    ) -> None:
        contexts = schema.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandNotAvailable(f"/{schema['name']} is not available in servers")
        required = schema.get("default_member_permissions")
        if required is None or override:
            return
        have = self.guild.permissions(member, int(channel["id"]))
        if int(required) & ~have:
            raise CommandNotAvailable(
                f"Discord hides /{schema['name']} from {member.user['username']}: it needs "
                f"{names_of(int(required) & ~have)}"
            )

    async def click(
        self,
        message: FakeMessage | int,
        custom_id: str | None = None,
        /,
        *,
        label: str | None = None,
        member: Member | None = None,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Click a button (by custom_id, or by label) or pick `values` in a select, on the
        message as it is now: a missing or disabled component fails here, as it can't be
        clicked in Discord."""
        stored = self.messages[message.id if isinstance(message, FakeMessage) else message]
        if custom_id is None:
            assert label is not None, "click needs a custom_id or a label"
            custom_id = stored.button(label).get("custom_id")
        component = next(
            (
                child
                for row in stored.components
                for child in row.get("components") or []
                if child.get("custom_id") == custom_id
            ),
            None,
        )
        assert component is not None, f"no component {custom_id!r} on {stored!r}"
        assert not component.get("disabled"), f"{custom_id!r} is disabled on {stored!r}"
        if member is None:
            metadata = stored.data.get("interaction_metadata")
            user_id = int(metadata["user"]["id"]) if metadata else self.member.id
            member = self.guild.members.get(user_id, self.member)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        channel = self.guild.channels[stored.channel_id]
        return await self._dispatch_interaction(
            MESSAGE_COMPONENT, data, member, channel, f"click {custom_id}", message=stored
        )

    async def _dispatch_interaction(
        self,
        kind: int,
        data: dict[str, Any],
        member: Member,
        channel: dict[str, Any],
        label: str,
        *,
        message: FakeMessage | None = None,
    ) -> InteractionHandle:
        channel_id = int(channel["id"])
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "application_id": str(self.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(120),
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "guild_id": str(self.guild.id),
            "guild": {"id": str(self.guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {k: channel[k] for k in ("id", "type", "name", "guild_id", "parent_id")}
            | {"permissions": str(self.guild.permissions(member, channel_id))},
            "member": member.payload(self.guild.permissions(member, channel_id)),
            "app_permissions": str(self.guild.permissions(self.bot_member, channel_id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(self.guild.id)},
            "context": 0,
            "data": data,
        }
        if message is not None:
            payload["message"] = message.data
        handle = InteractionHandle(self, payload, label)
        self.interactions[handle.id] = handle
        self._by_token[handle.token] = handle
        await self.dispatch("INTERACTION_CREATE", payload)
        handle.dispatched_at = time.monotonic()
        asyncio.get_running_loop().call_later(
            self.response_deadline + 0.05, self._check_answered, handle
        )
        return handle

    def _check_answered(self, handle: InteractionHandle) -> None:
        if not handle.responded and self._runner is not None:
            self.violation(
                f"{handle.label}: no response within {self.response_deadline:g} s "
                "(the member sees 'The application did not respond')"
            )

    # ------------------------------------------------------------------ gateway

    _guild_sent = False

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the bot, or keep it for its RESUME if disconnected."""
        session = self._session
        assert session is not None, "the bot has not identified yet"
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.sent.append((session.seq, frame))
        ws = session.ws
        if ws is not None and not ws.closed:
            async with session.lock:
                with contextlib.suppress(ConnectionError):  # replayed on RESUME
                    await ws.send_str(frame)

    async def drop_connection(self) -> None:
        """Cut the bot's gateway connection mid-session, as a network failure would; the
        client must reconnect to `resume_gateway_url` and RESUME."""
        session = self._session
        assert session is not None and session.ws is not None, "the bot is not connected"
        ws, request = session.ws, session.request
        session.ws = None
        if request is not None and request.transport is not None:
            request.transport.close()  # no close frame: the TCP connection just ends
        else:
            await ws.close(code=4000)

    async def wait_resumed(self, count: int = 1, within: float = 10.0) -> None:
        await self.wait_for(
            lambda: len(self.resumes) >= count and self.connected, within, "the bot to RESUME"
        )

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        self.gateway_connections.append(request.path)
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            self.violation(f"gateway connected with {dict(request.query)} (want v=10, json)")
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        lock = asyncio.Lock()

        async def send(payload: dict[str, Any]) -> None:
            async with lock:
                await ws.send_str(json.dumps(payload))

        await send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for message in ws:
                if message.type is WSMsgType.BINARY:
                    self.violation("the bot sent a binary gateway frame")
                    continue
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await send({"op": 11})
                elif op == 2:
                    await self._identify(ws, request, data, send, lock)
                elif op == 6:
                    await self._resume(ws, request, data, send, lock)
                elif op in (3, 4, 8):
                    pass  # presence, voice state, request guild members
                else:
                    self.violation(f"unknown gateway opcode {op}")
        finally:
            self._sockets.discard(ws)
            if self._session is not None and self._session.ws is ws:
                self._session.ws = None
            self._changed()
        return ws

    async def _identify(self, ws, request, data, send, lock) -> None:
        if data.get("token") not in self.accepted_tokens:
            await ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        self.identifies.append(data)
        if intents & PRIVILEGED_INTENTS & ~self.privileged_intents_enabled:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = _Session(id=uuid.uuid4().hex, ws=ws, request=request, lock=lock)
        self._session = session
        self._guild_sent = False
        ready = {
            "v": 10,
            "user": self.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(self.guild.id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.resume_gateway_url,
            "application": {"id": str(self.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["rotterdam"],
            "_trace": ["fake-discord"],
        }
        await self.dispatch("READY", ready)
        await self.dispatch("GUILD_CREATE", self.guild_payload())
        self._guild_sent = True
        self._changed()

    async def _resume(self, ws, request, data, send, lock) -> None:
        session = self._session
        self.resumes.append(data)
        if (
            session is None
            or data.get("session_id") != session.id
            or data.get("token") not in self.accepted_tokens
        ):
            await send({"op": 9, "d": False})
            return
        session.ws, session.request, session.lock = ws, request, lock
        missed = [frame for seq, frame in session.sent if seq > int(data.get("seq") or 0)]
        async with lock:
            for frame in missed:
                await ws.send_str(frame)
        await self.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self._changed()

    def guild_payload(self) -> dict[str, Any]:
        guild = self.guild
        channels = [c for c in guild.channels.values() if c["type"] != PUBLIC_THREAD]
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "features": [],
            "max_members": 500000,
            "large": False,
            "unavailable": False,
            "member_count": len(guild.members),
            "joined_at": "2024-01-01T00:00:00+00:00",
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "channels": channels,
            "threads": [t for t in self.threads if not t["thread_metadata"]["archived"]],
            # Without the members intent Discord sends only the bot's own member.
            "members": [self.bot_member.payload()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }

    # ------------------------------------------------------------------ HTTP plumbing

    @web.middleware
    async def _middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            return await handler(request)
        path = request.path[len(API_PREFIX) :]
        body = await self._read_body(request, path)
        record = LoggedRequest(request.method, path, dict(request.query), body)
        self.requests.append(record)
        try:
            for index, (pattern, retry_after, is_global) in enumerate(self._inject):
                if fnmatch.fnmatchcase(f"{request.method} {path}", pattern):
                    del self._inject[index]
                    self.rate_limited.append(f"{request.method} {path}")
                    record.status = 429
                    return _json(
                        {
                            "message": "You are being rate limited.",
                            "retry_after": retry_after,
                            "global": is_global,
                        },
                        429,
                        {
                            "Via": "1.1 google",
                            "Retry-After": str(max(1, round(retry_after))),
                            "X-RateLimit-Scope": "global" if is_global else "user",
                        },
                    )
            unauthenticated = path.startswith(("/interactions/", "/webhooks/"))
            if not unauthenticated and request.headers.get("Authorization") not in {
                f"Bot {t}" for t in self.accepted_tokens
            }:
                raise _error(401, 0, "401: Unauthorized")
            request[BODY] = body
            held = self._take_hold(request.method, path)
            if held is not None and not held.after:
                held.arrived.set()
                self._changed()
                await held.released.wait()
            response = await handler(request)
            if held is not None and held.after:
                held.arrived.set()
                self._changed()
                await held.released.wait()
        except DiscordError as exc:
            if exc.violation:
                self.violation(exc.violation)
            response = _json(exc.body, exc.status)
        record.status = response.status
        self._changed()
        return response

    def _take_hold(self, method: str, path: str) -> Hold | None:
        for index, held in enumerate(self._holds):
            if fnmatch.fnmatchcase(f"{method} {path}", held.pattern):
                del self._holds[index]
                return held
        return None

    async def _read_body(self, request: web.Request, path: str) -> Any:
        if not request.can_read_body:
            return None
        content_type = request.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            form = await request.post()
            payload = form.get("payload_json")
            return json.loads(payload) if isinstance(payload, str) else None
        raw = await request.read()
        if not raw:
            return None
        if content_type != "application/json":
            self.violation(f"{request.method} {path}: Content-Type {content_type!r}")
        return json.loads(raw)

    def _add_routes(self, app: web.Application) -> None:
        p = API_PREFIX
        r = app.router
        r.add_get(f"{p}/users/@me", self._me)
        r.add_get(f"{p}/oauth2/applications/@me", self._application)
        r.add_get(f"{p}/applications/@me", self._application)
        r.add_get(f"{p}/gateway", self._gateway_info)
        r.add_get(f"{p}/gateway/bot", self._gateway_info)
        r.add_route("*", f"{p}/applications/{{app}}/commands", self._commands)
        r.add_route("*", f"{p}/applications/{{app}}/guilds/{{guild}}/commands", self._commands)
        r.add_post(f"{p}/interactions/{{iid}}/{{token}}/callback", self._callback)
        r.add_post(f"{p}/webhooks/{{app}}/{{token}}", self._followup)
        r.add_route("*", f"{p}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._webhook_message)
        r.add_get(f"{p}/channels/{{cid}}", self._get_channel)
        r.add_route("*", f"{p}/channels/{{cid}}/messages", self._channel_messages)
        r.add_route("*", f"{p}/channels/{{cid}}/messages/{{mid}}", self._channel_message)
        r.add_post(f"{p}/channels/{{cid}}/messages/{{mid}}/threads", self._thread_on_message)
        r.add_post(f"{p}/channels/{{cid}}/threads", self._thread_in_channel)
        r.add_post(f"{p}/channels/{{cid}}/typing", self._typing)
        r.add_get(f"{p}/guilds/{{gid}}", self._get_guild)
        r.add_get(f"{p}/guilds/{{gid}}/channels", self._guild_channels)
        r.add_get(f"{p}/guilds/{{gid}}/roles", self._guild_roles)
        r.add_get(f"{p}/guilds/{{gid}}/members/{{uid}}", self._guild_member)
        r.add_route("*", f"{p}/{{tail:.*}}", self._unknown)

    async def _unknown(self, request: web.Request) -> web.Response:
        raise DiscordError(
            404,
            {"message": "404: Not Found", "code": 0},
            violation=f"the fake does not know {request.method} {request.path}",
        )

    def _form_errors(self, errors: limits.FormErrors, where: str) -> DiscordError:
        return DiscordError(
            400, errors.body(), violation=f"{where}: " + "; ".join(errors.messages())
        )

    # ------------------------------------------------------------------ REST: identity

    async def _me(self, request: web.Request) -> web.Response:
        return _json(self.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0})

    async def _application(self, request: web.Request) -> web.Response:
        return _json(
            {
                "id": str(self.application_id),
                "name": "episode-bot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.owner,
                "team": None,
                "verify_key": secrets.token_hex(32),
                "summary": "",
                "flags": self.privileged_intents_enabled and (1 << 15),
                "interactions_endpoint_url": None,
                "bot": self.bot_user,
                "tags": [],
                "redirect_uris": [],
                "approximate_guild_count": 1,
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return _json(
            {
                "url": self.gateway_url,
                "shards": 1,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # ------------------------------------------------------------------ REST: commands

    async def _commands(self, request: web.Request) -> web.Response:
        if int(request.match_info["app"]) != self.application_id:
            raise _error(403, 50001, "Missing Access")
        guild = request.match_info.get("guild")
        scope = int(guild) if guild is not None else None
        if scope is not None and scope != self.guild.id:
            raise _error(403, 50001, "Missing Access")
        if request.method == "GET":
            return _json(self.synced.get(scope, []))
        if request.method != "PUT":
            raise DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})
        body = request[BODY]
        self.sync_requests.append(SyncRecord(scope, body))
        errors = limits.check_commands(body)
        if errors:
            raise self._form_errors(
                errors, f"command sync ({'global' if scope is None else 'guild'})"
            )
        stored = []
        for command in body:
            key = (scope, command["name"])
            command_id = self._command_ids.setdefault(key, snowflake())
            entry = {
                "id": str(command_id),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "type": command.get("type", 1),
                "name": command["name"],
                "description": command.get("description", ""),
                "options": command.get("options") or [],
                "default_member_permissions": (
                    None
                    if command.get("default_member_permissions") is None
                    else str(command["default_member_permissions"])
                ),
                "dm_permission": command.get("dm_permission", True),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
                "nsfw": command.get("nsfw", False),
            }
            if scope is not None:
                entry["guild_id"] = str(scope)
            stored.append(entry)
        self.synced[scope] = stored
        return _json(stored)

    # ------------------------------------------------------------------ REST: interactions

    def _interaction(self, token: str, app: str | None = None) -> InteractionHandle:
        handle = self._by_token.get(token)
        if handle is None or (app is not None and int(app) != self.application_id):
            raise DiscordError(
                404,
                {"message": "Unknown Webhook", "code": 10015},
                violation="a webhook call with an unknown interaction token",
            )
        return handle

    async def _callback(self, request: web.Request) -> web.Response:
        handle = self.interactions.get(int(request.match_info["iid"]))
        if handle is None or handle.token != request.match_info["token"]:
            raise DiscordError(
                404,
                {"message": "Unknown interaction", "code": 10062},
                violation="a callback for an interaction the fake never sent",
            )
        received = time.monotonic()
        body = request[BODY] or {}
        kind = body.get("type")
        if handle.responded:
            raise DiscordError(
                400,
                {"message": "Interaction has already been acknowledged.", "code": 40060},
                violation=f"{handle.label}: responded twice",
            )
        if received - handle.dispatched_at > self.response_deadline:
            raise DiscordError(
                404,
                {"message": "Unknown interaction", "code": 10062},
                violation=(
                    f"{handle.label}: responded after {received - handle.dispatched_at:.2f} s "
                    f"(more than {self.response_deadline:g} s: Discord has forgotten it)"
                ),
            )
        if kind not in ALLOWED_CALLBACKS[handle.type]:
            errors = limits.FormErrors()
            errors.add(["type"], limits.CHOICES, f"Callback type {kind} is not valid here")
            raise self._form_errors(errors, f"{handle.label}: callback")
        data = body.get("data") or {}
        where = f"{handle.label}: response"
        resource: dict[str, Any] = {"type": kind}
        summary: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        if kind == 8:
            errors = limits.check_autocomplete(body)
            if errors:
                raise self._form_errors(errors, where)
            handle.choices_sent = data["choices"]
        elif kind == 4:
            message = self._create_interaction_message(handle, data, where, original=True)
            handle.original_id = message.id
            resource["message"] = message.data
        elif kind == 5:
            flags = 128 | ((data.get("flags") or 0) & 64)
            message = self._store_message(
                self._message_data(
                    int(handle.payload["channel_id"]),
                    {"content": ""},
                    flags,
                    handle,
                    msg_type=self._reply_type(handle),
                ),
                allowed_mentions=None,
                interaction=handle,
                in_history=not flags & 64,
            )
            handle.original_id = message.id
            resource["message"] = message.data
            summary["response_message_loading"] = True
        elif kind in (6, 7):
            target = self.messages[int(handle.payload["message"]["id"])]
            if kind == 7:
                self._edit(target, data, where)
                resource["message"] = target.data
            handle.original_id = target.id
        elif kind == 9:
            pass  # modals: nothing to store
        if handle.original_id is not None:
            original = self.messages[handle.original_id]
            summary["response_message_id"] = str(original.id)
            summary["response_message_ephemeral"] = original.ephemeral
        handle.callback_type = kind
        handle.callback_data = data
        handle.callback_at = received
        return _json({"interaction": summary, "resource": resource})

    def _reply_type(self, handle: InteractionHandle) -> int:
        return 20 if handle.type == APPLICATION_COMMAND else 0  # CHAT_INPUT_COMMAND / DEFAULT

    def _create_interaction_message(
        self, handle: InteractionHandle, data: dict[str, Any], where: str, *, original: bool
    ) -> FakeMessage:
        errors = limits.check_message(
            data, path=("data",) if original else (), allow_ephemeral=True
        )
        if errors:
            raise self._form_errors(errors, where)
        self._refuse_if_empty(data, where)
        flags = (data.get("flags") or 0) & (64 | 4 | 4096)
        self._check_mentions(where, data)
        message_type = self._reply_type(handle) if original else 0
        return self._store_message(
            self._message_data(
                int(handle.payload["channel_id"]), data, flags, handle, msg_type=message_type
            ),
            allowed_mentions=data.get("allowed_mentions"),
            interaction=handle,
            in_history=not flags & 64,
        )

    def _check_token_alive(self, handle: InteractionHandle, where: str) -> None:
        if not handle.responded:
            raise DiscordError(
                404,
                {"message": "Unknown Webhook", "code": 10015},
                violation=f"{where}: before the interaction was acknowledged",
            )
        if time.monotonic() - handle.dispatched_at > self.token_lifetime:
            raise DiscordError(
                401,
                {"message": "Invalid Webhook Token", "code": 50027},
                violation=f"{where}: the interaction token has expired (15 min)",
            )

    async def _followup(self, request: web.Request) -> web.Response:
        handle = self._interaction(request.match_info["token"], request.match_info["app"])
        where = f"{handle.label}: follow-up"
        self._check_token_alive(handle, where)
        data = request[BODY] or {}
        original = handle.original
        if (
            handle.callback_type == 5
            and original is not None
            and original.loading
            and not original.deleted
        ):
            # Discord: the first follow-up after a "thinking" defer replaces it, and keeps
            # the defer's ephemeral flag whatever the follow-up asks for.
            errors = limits.check_message(data, allow_ephemeral=True)
            if errors:
                raise self._form_errors(errors, where)
            self._refuse_if_empty(data, where)
            asked = bool((data.get("flags") or 0) & 64)
            if asked and not original.ephemeral:
                self.violation(
                    f"{where}: asked to be ephemeral, but the first follow-up after a public "
                    "defer replaces the 'thinking' message and is public"
                )
            self._check_mentions(where, data)
            self._apply(original, data, keep_flags=original.flags & 64)
            original.allowed_mentions = data.get("allowed_mentions")
            message = original
        else:
            message = self._create_interaction_message(handle, data, where, original=False)
            handle.followup_ids.append(message.id)
        wait = request.query.get("wait", "false").lower() in ("1", "true")
        if not wait:
            return web.Response(status=204)
        return _json(message.data)

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        handle = self._interaction(request.match_info["token"], request.match_info["app"])
        where = f"{handle.label}: {request.method} message"
        self._check_token_alive(handle, where)
        mid = request.match_info["mid"]
        if mid == "@original":
            if handle.original_id is None:
                raise _error(404, 10008, "Unknown Message")
            message = self.messages[handle.original_id]
        else:
            message_id = int(mid)
            if message_id not in (handle.original_id, *handle.followup_ids):
                raise _error(404, 10008, "Unknown Message")
            message = self.messages[message_id]
        if message.deleted:
            raise _error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return _json(message.data)
        if request.method == "DELETE":
            self._delete(message)
            return web.Response(status=204)
        if request.method == "PATCH":
            self._edit(message, request[BODY] or {}, where)
            return _json(message.data)
        raise DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})

    # ------------------------------------------------------------------ messages

    def _message_data(
        self,
        channel_id: int,
        payload: dict[str, Any],
        flags: int,
        handle: InteractionHandle | None,
        *,
        msg_type: int = 0,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(snowflake()),
            "type": msg_type,
            "channel_id": str(channel_id),
            "guild_id": str(self.guild.id),
            "author": self.bot_user,
            "content": payload.get("content") or "",
            "embeds": [{"type": "rich", **e} for e in payload.get("embeds") or []],
            "components": payload.get("components") or [],
            "attachments": [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "flags": flags,
        }
        if handle is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
            data["interaction_metadata"] = {
                "id": str(handle.id),
                "type": handle.type,
                "user": handle.payload["member"]["user"],
                "authorizing_integration_owners": {"0": str(self.guild.id)},
            }
        self._mark_mentions(data, payload.get("allowed_mentions"))
        return data

    def _mark_mentions(self, data: dict[str, Any], allowed: Any) -> None:
        pinged = pings(data.get("content"), allowed)
        data["mention_everyone"] = any(p.startswith("@") for p in pinged)
        data["mention_roles"] = [p.split(":")[1] for p in pinged if p.startswith("role:")]

    def _store_message(
        self,
        data: dict[str, Any],
        *,
        allowed_mentions: Any,
        interaction: InteractionHandle | None,
        in_history: bool,
    ) -> FakeMessage:
        message = FakeMessage(
            data,
            allowed_mentions=allowed_mentions,
            interaction_id=interaction.id if interaction else None,
        )
        self.messages[message.id] = message
        if in_history:
            self._history.setdefault(message.channel_id, []).append(message.id)
            channel = self.guild.channels.get(message.channel_id)
            if channel is not None:
                channel["last_message_id"] = str(message.id)
                if channel["type"] == PUBLIC_THREAD:
                    channel["message_count"] += 1
                    channel["total_message_sent"] += 1
        return message

    def _check_mentions(self, where: str, payload: dict[str, Any]) -> None:
        pinged = pings(payload.get("content"), payload.get("allowed_mentions"))
        allowed = f"role:{self.allowed_ping_role_id}" if self.allowed_ping_role_id else None
        unwanted = [p for p in pinged if p != allowed]
        if unwanted:
            self.violation(
                f"{where}: would ping {', '.join(unwanted)} "
                f"(allowed_mentions={payload.get('allowed_mentions')!r})"
            )
        if allowed in pinged:
            role = self.guild.roles.get(self.allowed_ping_role_id or 0)
            bot_perms = self.guild.permissions(self.bot_member)
            if (
                role is not None
                and not role["mentionable"]
                and not bot_perms & Perm.MENTION_EVERYONE
            ):
                self.violation(
                    f"{where}: pings @{role['name']}, which is not mentionable, without the "
                    "Mention @everyone permission: Discord would not notify anyone"
                )

    def _apply(self, message: FakeMessage, payload: dict[str, Any], *, keep_flags: int) -> None:
        data = message.data
        for key in ("content", "components"):
            if key in payload:
                data[key] = (
                    payload[key] if payload[key] is not None else ([] if key != "content" else "")
                )
        if "embeds" in payload:
            data["embeds"] = [{"type": "rich", **e} for e in payload["embeds"] or []]
        if "attachments" in payload:
            data["attachments"] = payload["attachments"] or []
        data["flags"] = (data.get("flags") or 0) & ~128 | keep_flags
        if "flags" in payload and payload["flags"] is not None:
            data["flags"] = (payload["flags"] & 4) | keep_flags | (data["flags"] & 32)
        data["edited_timestamp"] = iso_now() if message.edits or not message.loading else None
        self._mark_mentions(data, payload.get("allowed_mentions"))
        message.edits += 1

    def _edit(self, message: FakeMessage, payload: dict[str, Any], where: str) -> None:
        errors = limits.check_message(payload, allow_ephemeral=True)
        if errors:
            raise self._form_errors(errors, where)
        result = {**message.data, **{k: v for k, v in payload.items() if v is not None}}
        result["flags"] = message.flags & ~128
        self._refuse_if_empty(result, f"{where} (the edit would leave it empty)")
        self._check_mentions(where, payload)
        self._apply(message, payload, keep_flags=message.flags & 64)
        if "allowed_mentions" in payload:
            message.allowed_mentions = payload["allowed_mentions"]

    def _refuse_if_empty(self, message: dict[str, Any], where: str) -> None:
        if limits.is_empty_message(message):
            raise DiscordError(
                400, limits.EMPTY_MESSAGE, violation=f"{where}: Cannot send an empty message"
            )

    def _delete(self, message: FakeMessage) -> None:
        message.deleted = True

    # ------------------------------------------------------------------ REST: channels

    def _channel(self, cid: str | int) -> dict[str, Any]:
        channel = self.guild.channels.get(int(cid))
        if channel is None:
            raise _error(404, 10003, "Unknown Channel")
        return channel

    def _require(self, channel: dict[str, Any], bits: int, what: str) -> None:
        have = self.guild.permissions(self.bot_member, int(channel["id"]))
        missing = bits & ~have
        if missing:
            raise DiscordError(
                403,
                {"message": "Missing Permissions", "code": 50013},
                violation=f"{what} in #{channel['name']}: the bot lacks {names_of(missing)}",
            )

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["cid"])
        self._require(channel, Perm.VIEW_CHANNEL, "GET channel")
        return _json(channel)

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel(request.match_info["cid"])
        return web.Response(status=204)

    def _send_permissions(self, channel: dict[str, Any], payload: dict[str, Any]) -> int:
        bits = Perm.VIEW_CHANNEL
        bits |= (
            Perm.SEND_MESSAGES_IN_THREADS
            if channel["type"] == PUBLIC_THREAD
            else Perm.SEND_MESSAGES
        )
        if payload.get("embeds"):
            bits |= Perm.EMBED_LINKS
        return bits

    async def _channel_messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["cid"])
        cid = int(channel["id"])
        if request.method == "GET":
            self._require(channel, Perm.VIEW_CHANNEL, "reading history")
            if not self.guild.permissions(self.bot_member, cid) & Perm.READ_MESSAGE_HISTORY:
                self.violation(
                    f"read #{channel['name']}'s history without Read Message History: "
                    "Discord answers with no messages"
                )
                return _json([])
            return _json(self._history_page(cid, request.query))
        if request.method != "POST":
            raise DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})
        if channel["type"] == FORUM:
            raise DiscordError(
                400,
                {
                    "message": "Cannot send messages in a forum channel; create a post",
                    "code": 50008,
                },
                violation=f"POST message to forum #{channel['name']}",
            )
        payload = request[BODY] or {}
        where = f"message to #{channel['name']}"
        self._require(channel, self._send_permissions(channel, payload), "sending a message")
        errors = limits.check_message(payload)
        if errors:
            raise self._form_errors(errors, where)
        self._refuse_if_empty(payload, where)
        self._check_mentions(where, payload)
        message = self._store_message(
            self._message_data(cid, payload, (payload.get("flags") or 0) & (4 | 4096), None),
            allowed_mentions=payload.get("allowed_mentions"),
            interaction=None,
            in_history=True,
        )
        return _json(message.data)

    def _history_page(self, cid: int, query: Any) -> list[dict[str, Any]]:
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            errors = limits.FormErrors()
            errors.add(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
            raise self._form_errors(errors, "GET messages")
        ids = [m.id for m in self.channel_messages(cid)]
        if "before" in query:
            ids = [i for i in ids if i < int(query["before"])]
        if "after" in query:
            ids = [i for i in ids if i > int(query["after"])]
            return [self.messages[i].data for i in ids[:limit]][::-1]
        return [self.messages[i].data for i in reversed(ids[-limit:])]

    async def _channel_message(self, request: web.Request) -> web.StreamResponse:
        channel = self._channel(request.match_info["cid"])
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted or message.channel_id != int(channel["id"]):
            raise _error(404, 10008, "Unknown Message")
        if message.ephemeral:
            raise _error(404, 10008, "Unknown Message")
        where = f"{request.method} message in #{channel['name']}"
        if request.method == "GET":
            self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY, where)
            return _json(message.data)
        if int(message.data["author"]["id"]) != self.bot_user_id:
            raise DiscordError(
                403,
                {"message": "Cannot edit a message authored by another user", "code": 50005},
                violation=where,
            )
        if request.method == "PATCH":
            self._edit(message, request[BODY] or {}, where)
            return _json(message.data)
        if request.method == "DELETE":
            self._delete(message)
            return web.Response(status=204)
        raise DiscordError(405, {"message": "405: Method Not Allowed", "code": 0})

    # ------------------------------------------------------------------ REST: threads

    def _thread_data(
        self, thread_id: int, parent: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        duration = body.get("auto_archive_duration") or parent.get(
            "default_auto_archive_duration", 4320
        )
        return {
            "id": str(thread_id),
            "type": PUBLIC_THREAD,
            "guild_id": str(self.guild.id),
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user_id),
            "name": body["name"],
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": body.get("rate_limit_per_user") or 0,
            "flags": 0,
            "applied_tags": body.get("applied_tags") or [],
            "permission_overwrites": [],
            "position": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": iso_now(),
                "locked": False,
                "create_timestamp": iso_now(),
            },
            "member": {
                "id": str(thread_id),
                "user_id": str(self.bot_user_id),
                "join_timestamp": iso_now(),
                "flags": 0,
            },
        }

    async def _add_thread(self, thread: dict[str, Any]) -> None:
        self.threads.append(thread)
        self.guild.channels[int(thread["id"])] = thread
        await self.dispatch("THREAD_CREATE", thread | {"newly_created": True})

    async def _thread_on_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["cid"])
        where = f"thread on a message in #{channel['name']}"
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted or message.channel_id != int(channel["id"]):
            raise _error(404, 10008, "Unknown Message")
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(
                400,
                {"message": "Cannot execute action on this channel type", "code": 50024},
                violation=where,
            )
        if self.thread_for(message) is not None:
            raise DiscordError(
                400,
                {"message": "A thread has already been created for this message", "code": 160004},
                violation=f"{where}: a second thread on message {message.id}",
            )
        self._require(channel, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS, where)
        body = request[BODY] or {}
        errors = limits.check_thread(body)
        if errors:
            raise self._form_errors(errors, where)
        thread = self._thread_data(message.id, channel, body)
        await self._add_thread(thread)
        message.data["thread"] = thread
        message.data["flags"] = message.flags | 32  # HAS_THREAD
        return _json(thread)

    async def _thread_in_channel(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["cid"])
        body = request[BODY] or {}
        where = f"new thread in #{channel['name']}"
        errors = limits.check_thread(body)
        if channel["type"] != FORUM:
            if channel["type"] not in (TEXT, NEWS):
                raise _error(400, 50024, "Cannot execute action on this channel type")
            self._require(channel, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS, where)
            if errors:
                raise self._form_errors(errors, where)
            thread = self._thread_data(snowflake(), channel, body)
            await self._add_thread(thread)
            return _json(thread)
        # A forum post: a thread whose starter message has the thread's id.
        where = f"forum post in #{channel['name']}"
        payload = body.get("message") or {}
        self._require(channel, self._send_permissions(channel, payload), where)
        errors.extend(limits.check_message(payload, path=("message",)))
        if errors:
            raise self._form_errors(errors, where)
        self._refuse_if_empty(payload, where)
        self._check_mentions(where, payload)
        thread_id = snowflake()
        thread = self._thread_data(thread_id, channel, body)
        data = self._message_data(thread_id, payload, (payload.get("flags") or 0) & 4, None)
        data["id"] = str(thread_id)
        data["position"] = 0
        message = self._store_message(
            data,
            allowed_mentions=payload.get("allowed_mentions"),
            interaction=None,
            in_history=False,
        )
        await self._add_thread(thread)
        self._history.setdefault(thread_id, []).append(message.id)
        thread["message_count"] = thread["total_message_sent"] = 1
        thread["last_message_id"] = str(thread_id)
        channel["last_message_id"] = str(thread_id)
        return _json(thread | {"message": message.data})

    # ------------------------------------------------------------------ REST: guild

    def _check_guild(self, request: web.Request) -> None:
        if int(request.match_info["gid"]) != self.guild.id:
            raise _error(404, 10004, "Unknown Guild")

    async def _get_guild(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        payload = self.guild_payload()
        for key in ("channels", "threads", "members", "voice_states", "presences"):
            payload.pop(key)
        return _json(payload)

    async def _guild_channels(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return _json([c for c in self.guild.channels.values() if c["type"] != PUBLIC_THREAD])

    async def _guild_roles(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        return _json(list(self.guild.roles.values()))

    async def _guild_member(self, request: web.Request) -> web.Response:
        self._check_guild(request)
        member = self.guild.members.get(int(request.match_info["uid"]))
        if member is None:
            raise _error(404, 10007, "Unknown Member")
        return _json(member.payload())


def _id(value: int | str | dict[str, Any]) -> int:
    return int(value["id"]) if isinstance(value, dict) else int(value)


__all__ = ["CommandNotAvailable", "DiscordError", "FakeDiscord", "Hold", "SyncRecord"]
