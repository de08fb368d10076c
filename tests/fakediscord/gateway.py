"""The gateway: a JSON websocket that serves HELLO, heartbeats, IDENTIFY and RESUME, and
dispatches events to the bot.

Frames are TEXT, so the client's zlib-stream is unused. One session per shard (an
IDENTIFY without `shard` is shard `[0, 1]`): every dispatch is numbered and kept, so a
client that loses its connection (`drop_connection`) and RESUMEs at `resume_gateway_url`
is sent what it missed. A guild's events go to the session of shard
`(guild_id >> 22) % shard_count`, as Discord routes them; other events to shard 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakediscord.models import PUBLIC_THREAD, Guild
from tests.fakediscord.state import DiscordState

HEARTBEAT_INTERVAL_MS = 41250
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


@dataclass
class Session:
    id: str
    shard: tuple[int, int] = (0, 1)  # (shard id, shard count) as identified
    guilds_sent: bool = False  # its GUILD_CREATEs went out after its IDENTIFY
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
        self.sessions: dict[int, Session] = {}  # shard id -> its session
        self._sockets: set[web.WebSocketResponse] = set()

    def add_routes(self, router: web.UrlDispatcher) -> None:
        router.add_get("/gateway", self._serve)
        router.add_get("/resume", self._serve)

    async def close(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001)

    @property
    def session(self) -> Session | None:
        """Shard 0's session (the only one of an unsharded bot), else the first."""
        if 0 in self.sessions:
            return self.sessions[0]
        return next(iter(self.sessions.values()), None)

    @property
    def shard_count(self) -> int:
        """How many shards the bot identified with (1 before it did)."""
        session = self.session
        return session.shard[1] if session is not None else 1

    def shard_of(self, guild_id: int) -> int:
        return (guild_id >> 22) % self.shard_count

    def _every_shard(self, check: Any) -> bool:
        count = self.shard_count
        return bool(self.sessions) and all(
            shard in self.sessions and check(self.sessions[shard]) for shard in range(count)
        )

    @property
    def connected(self) -> bool:
        """Every shard of the identified count has a live connection."""
        return self._every_shard(lambda s: s.ws is not None and not s.ws.closed)

    @property
    def guild_sent(self) -> bool:
        """Every shard got its guilds after its last IDENTIFY."""
        return self._every_shard(lambda s: s.guilds_sent)

    def _route(self, event: str, data: dict[str, Any]) -> int:
        guild_id = data.get("id") if event.startswith("GUILD_") else data.get("guild_id")
        if guild_id is None and isinstance(data.get("guild"), dict):
            guild_id = data["guild"].get("id")
        return self.shard_of(int(guild_id)) if guild_id is not None else 0

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> None:
        """Send a gateway event to the bot (on the shard of its guild), or keep it for
        its RESUME if disconnected."""
        shard = self._route(event, data) if shard is None else shard
        session = self.sessions.get(shard)
        assert session is not None, f"the bot has not identified shard {shard} yet"
        await self._send(session, event, data)

    async def _send(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data})
        session.sent.append((session.seq, frame))
        ws = session.ws
        if ws is not None and not ws.closed:
            async with session.lock:
                with contextlib.suppress(ConnectionError):  # replayed on RESUME
                    await ws.send_str(frame)

    async def drop_connection(self, shard: int | None = None) -> None:
        """Cut the bot's gateway connection mid-session, as a network failure would; the
        client must reconnect to `resume_gateway_url` and RESUME."""
        session = self.session if shard is None else self.sessions.get(shard)
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
            for session in self.sessions.values():
                if session.ws is ws:
                    session.ws = None
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
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if not 0 <= shard_id < shard_count:
            await connection.ws.close(code=4010, message=b"Invalid shard.")
            return
        session = Session(
            id=uuid.uuid4().hex,
            shard=(shard_id, shard_count),
            ws=connection.ws,
            request=connection.request,
            lock=connection.lock,
        )
        if any(s.shard[1] != shard_count for s in self.sessions.values() if s is not session):
            # a new shard count: the old sessions are of another sharding, forget them
            self.sessions = {}
        self.sessions[shard_id] = session
        guilds = [g for g in state.guilds.values() if (g.id >> 22) % shard_count == shard_id]
        ready = {
            "v": 10,
            "user": state.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "shard": [shard_id, shard_count],
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
        await self._send(session, "READY", ready)
        for guild in guilds:
            await self._send(session, "GUILD_CREATE", self.guild_payload(guild))
        session.guilds_sent = True
        state.changed()

    async def _resume(self, connection: _Connection, data: dict[str, Any]) -> None:
        state = self.state
        session = next((s for s in self.sessions.values() if s.id == data.get("session_id")), None)
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
        await self._send(session, "RESUMED", {"_trace": ["fake-discord"]})
        state.changed()

    def guild_payload(self, guild: Guild | None = None) -> dict[str, Any]:
        """The guild as GUILD_CREATE carries it (`GET /guilds/{id}` answers a subset)."""
        state = self.state
        guild = guild or state.guild
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
            "threads": [
                t
                for t in state.threads
                if not t["thread_metadata"]["archived"] and t.get("guild_id") == str(guild.id)
            ],
            # Without the members intent Discord sends only the bot's own member.
            "members": [guild.members.get(state.bot_user_id, state.bot_member).payload()],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "application_id": None,
        }


__all__ = ["HEARTBEAT_INTERVAL_MS", "PRIVILEGED_INTENTS", "Gateway", "Session"]
