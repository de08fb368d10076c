"""The gateway: a JSON websocket that serves HELLO, heartbeats, IDENTIFY and RESUME, and
dispatches events to the bot.

Frames are TEXT, so the client's zlib-stream is unused. One session at a time: every
dispatch is numbered and kept, so a client that loses its connection (`drop_connection`)
and RESUMEs at `resume_gateway_url` is sent what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord.models import PUBLIC_THREAD
from tests.fakediscord.state import DiscordState

HEARTBEAT_INTERVAL_MS = 41250
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class Session:
    id: str
    seq: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    ws: web.WebSocketResponse | None = None
    request: web.Request | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass
class _Connection:
    """One websocket, and the lock that keeps its frames whole."""

    ws: web.WebSocketResponse
    request: web.Request
    lock: asyncio.Lock

    async def send(self, payload: dict[str, Any]) -> None:
        async with self.lock:
            await self.ws.send_str(json.dumps(payload))


class Gateway:
    """The websocket endpoint at `/gateway` (and `/resume`) and the bot's session on it."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state
        self.session: Session | None = None
        self.guild_sent = False  # GUILD_CREATE went out after the last IDENTIFY
        self._sockets: set[web.WebSocketResponse] = set()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/gateway", self._serve)
        router.add_get("/resume", self._serve)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)

    @property
    def connected(self) -> bool:
        session = self.session
        return session is not None and session.ws is not None and not session.ws.closed

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the bot, or keep it for its RESUME if disconnected."""
        session = self.session
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
        session = self.session
        assert session is not None and session.ws is not None, "the bot is not connected"
        ws, request = session.ws, session.request
        session.ws = None
        if request is not None and request.transport is not None:
            request.transport.close()  # no close frame: the TCP connection just ends
        else:
            await ws.close(code=4000)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        state.gateway_connections.append(request.path)
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            state.violation(f"gateway connected with {dict(request.query)} (want v=10, json)")
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        connection = _Connection(ws, request, asyncio.Lock())
        await connection.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for message in ws:
                if message.type is WSMsgType.BINARY:
                    state.violation("the bot sent a binary gateway frame")
                    continue
                if message.type is not WSMsgType.TEXT:
                    continue
                frame = json.loads(message.data)
                op, data = frame.get("op"), frame.get("d")
                if op == 1:
                    await connection.send({"op": 11})
                elif op == 2:
                    await self._identify(connection, data)
                elif op == 6:
                    await self._resume(connection, data)
                elif op in (3, 4, 8):
                    pass  # presence, voice state, request guild members
                else:
                    state.violation(f"unknown gateway opcode {op}")
        finally:
            self._sockets.discard(ws)
            if self.session is not None and self.session.ws is ws:
                self.session.ws = None
            state.changed()
        return ws

    async def _identify(self, connection: _Connection, data: dict[str, Any]) -> None:
        state = self.state
        if data.get("token") not in state.accepted_tokens:
            await connection.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents") or 0)
        state.identifies.append(data)
        if intents & PRIVILEGED_INTENTS & ~state.privileged_intents_enabled:
            await connection.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = Session(
            id=uuid.uuid4().hex, ws=connection.ws, request=connection.request, lock=connection.lock
        )
        self.session = session
        self.guild_sent = False
        ready = {
            "v": 10,
            "user": state.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(state.guild.id), "unavailable": True}],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": state.resume_gateway_url,
            "application": {"id": str(state.application_id), "flags": 0},
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
        self.guild_sent = True
        state.changed()

    async def _resume(self, connection: _Connection, data: dict[str, Any]) -> None:
        state = self.state
        session = self.session
        state.resumes.append(data)
        if (
            session is None
            or data.get("session_id") != session.id
            or data.get("token") not in state.accepted_tokens
        ):
            await connection.send({"op": 9, "d": False})
            return
        session.ws, session.request, session.lock = (
            connection.ws,
            connection.request,
            connection.lock,
        )
        missed = [frame for seq, frame in session.sent if seq > int(data.get("seq") or 0)]
        async with connection.lock:
            for frame in missed:
                await connection.ws.send_str(frame)
        await self.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        state.changed()

    def guild_payload(self) -> dict[str, Any]:
        """The guild as GUILD_CREATE carries it (`GET /guilds/{id}` answers a subset)."""
        state = self.state
        guild = state.guild
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
            "threads": [t for t in state.threads if not t["thread_metadata"]["archived"]],
            # Without the members intent Discord sends only the bot's own member.
            "members": [state.bot_member.payload()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }


__all__ = ["HEARTBEAT_INTERVAL_MS", "PRIVILEGED_INTENTS", "Gateway", "Session"]
