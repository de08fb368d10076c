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

`FakeDiscord` is the facade the tests use. It is the shared state (`state.py`: the guild,
messages, interactions, request log, violations, and `wait_for`) with the areas composed
over it: the gateway (`gateway.py`), the REST plumbing (`rest.py`) and routes
(`rest_app.py`, `rest_interactions.py`, `rest_messages.py`, `rest_threads.py`), and what
a member does (`actions.py`).

Wire details that matter to discord.py: JSON answers carry exactly
`Content-Type: application/json`; a 429 carries `Via` and a JSON `retry_after`, or the
client won't retry it; gateway frames are TEXT, so the client's zlib-stream is unused.
"""

from __future__ import annotations

import fnmatch
import socket
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tests.fakediscord.actions import CommandNotAvailable, MemberActions
from tests.fakediscord.gateway import Gateway, Session
from tests.fakediscord.models import FakeMessage, Guild, InteractionHandle, Member, snowflake
from tests.fakediscord.rest import DiscordError, Plumbing
from tests.fakediscord.rest_app import ApplicationRoutes
from tests.fakediscord.rest_interactions import InteractionRoutes
from tests.fakediscord.rest_messages import Messages
from tests.fakediscord.rest_threads import ThreadRoutes
from tests.fakediscord.state import DiscordState, Hold, Injected429, LoggedRequest, SyncRecord


class FakeDiscord(DiscordState):
    """The fake: one application, one bot user and one guild; see the module docstring.

    Tests read and set the state's attributes on it directly (`fake.violations`,
    `fake.response_deadline = 0.2`, …), which is why it extends `DiscordState` rather
    than forwarding each one.
    """

    def __init__(self, *, token: str | None = None) -> None:
        super().__init__(token=token)
        self.gateway = Gateway(self)
        self._plumbing = Plumbing(self)
        messages = Messages(self)
        self._routes = (
            ApplicationRoutes(self, self.gateway),
            InteractionRoutes(self, messages),
            messages,
            ThreadRoutes(self, messages, self.gateway),
        )
        self._actions = MemberActions(self, self.gateway)
        self._runner: web.AppRunner | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> Self:
        app = web.Application(
            middlewares=[self._plumbing.middleware], client_max_size=32 * 1024 * 1024
        )
        self.gateway.add_routes(app.router)
        for area in self._routes:
            area.add_routes(app.router)
        self._plumbing.add_fallback(app.router)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None
        )
        await self._runner.setup()
        self.serving = True
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def close(self) -> None:
        await self.gateway.close()
        runner, self._runner = self._runner, None
        self.serving = False
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

    # ------------------------------------------------------------------ arranging

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
        self.injected_429s.append(Injected429(pattern, retry_after, is_global))

    def hold(self, pattern: str, *, after: bool = False) -> Hold:
        """Hold the next request matching `pattern` (as for `inject_429`) until released;
        with `after`, Discord has done what it asked but the answer has not left yet."""
        held = Hold(pattern, after)
        self.holds.append(held)
        return held

    # ------------------------------------------------------------------ inspecting

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The commands as last synced to a guild, or globally (None)."""
        return self.synced.get(guild_id, [])

    def requests_to(self, pattern: str) -> list[LoggedRequest]:
        return [r for r in self.requests if fnmatch.fnmatchcase(f"{r.method} {r.path}", pattern)]

    # ------------------------------------------------------------------ gateway

    @property
    def connected(self) -> bool:
        return self.gateway.connected

    async def wait_until_ready(self, within: float = 10.0, *, identifies: int = 1) -> None:
        """Wait until the bot has identified (`identifies` times in all) and got its guild."""
        await self.wait_for(
            lambda: (
                len(self.identifies) >= identifies and self.connected and self.gateway.guild_sent
            ),
            within,
            "the bot to connect to the gateway",
        )

    async def wait_resumed(self, count: int = 1, within: float = 10.0) -> None:
        await self.wait_for(
            lambda: len(self.resumes) >= count and self.connected, within, "the bot to RESUME"
        )

    async def dispatch(self, event: str, data: dict[str, Any], *, shard: int | None = None) -> None:
        """Send a gateway event to the bot (on its guild's shard unless `shard` says), or
        keep it for its RESUME if disconnected."""
        await self.gateway.dispatch(event, data, shard=shard)

    async def drop_connection(self, shard: int | None = None) -> None:
        """Cut the bot's gateway connection mid-session, as a network failure would; the
        client must reconnect to `resume_gateway_url` and RESUME."""
        await self.gateway.drop_connection(shard)

    def guild_payload(self, guild: Guild | None = None) -> dict[str, Any]:
        return self.gateway.guild_payload(guild)

    @property
    def sessions(self) -> dict[int, Session]:
        """The gateway session of each shard the bot identified, by shard id."""
        return self.gateway.sessions

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
        return await self._actions.command(
            command.lstrip("/").split(),
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
        return await self._actions.command(
            command.lstrip("/").split(),
            {**options, option: value},
            member=member,
            channel=in_channel,
            focused=option,
            override_permissions=True,
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
        return await self._actions.click(
            message, custom_id, label=label, member=member, values=values
        )

    def member_says(
        self,
        text: str,
        /,
        *,
        member: Member | None = None,
        in_channel: dict[str, Any] | None = None,
        reply_to: FakeMessage | None = None,
    ) -> FakeMessage:
        """A member posts `text` (default: the member without permissions, in #episodes);
        `reply_to` makes it a reply. The bot never sees it (no message intents) until a
        message command is run on it."""
        state = self
        member = member or state.member
        channel = in_channel or state.text_channel
        data: dict[str, Any] = {
            "id": str(snowflake()),
            "channel_id": str(channel["id"]),
            "guild_id": str(state.guild.id),
            "author": member.user,
            "content": text,
            "timestamp": "2026-01-01T00:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": False,
            "type": 0,
        }
        if reply_to is not None:
            data["type"] = 19
            data["message_reference"] = {
                "message_id": str(reply_to.id),
                "channel_id": str(reply_to.channel_id),
                "guild_id": str(state.guild.id),
            }
            data["referenced_message"] = reply_to.data
        message = FakeMessage(data, allowed_mentions=None, interaction_id=None)
        state.messages[message.id] = message
        state.history.setdefault(message.channel_id, []).append(message.id)
        return message

    async def run_message_command(
        self, name: str, message: FakeMessage, /, *, member: Member | None = None
    ) -> InteractionHandle:
        """Apps → `name` on `message`, as a member would (default: the member without
        permissions)."""
        return await self._actions.message_command(name, message, member=member)


__all__ = ["CommandNotAvailable", "DiscordError", "FakeDiscord", "Hold", "SyncRecord"]
