"""REST: channels and the messages in them, and the message rules every area shares.

`Messages` builds, stores and edits the bot's messages wherever they come from (a
channel, an interaction response or follow-up, a forum post), checks them against
Discord's limits and refuses empty ones, records a ping of anyone but the allowed role as
a violation, and checks the bot's channel permissions. Its routes are
`/channels/{id}` and `/channels/{id}/messages[/{id}]`.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.mentions import pings
from tests.fakediscord.models import (
    FORUM,
    PUBLIC_THREAD,
    FakeMessage,
    InteractionHandle,
    Perm,
    iso_now,
    names_of,
    snowflake,
)
from tests.fakediscord.rest import (
    BODY,
    DiscordError,
    error,
    form_errors,
    json_response,
    method_not_allowed,
)
from tests.fakediscord.state import API_PREFIX, DiscordState


class Messages:
    """The bot's messages and channels: shared rules, and the channel routes."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    def add_routes(self, router: web.UrlDispatcher) -> None:
        p = API_PREFIX
        router.add_get(f"{p}/channels/{{cid}}", self._get_channel)
        router.add_route("*", f"{p}/channels/{{cid}}/messages", self._channel_messages)
        router.add_route("*", f"{p}/channels/{{cid}}/messages/{{mid}}", self._channel_message)
        router.add_post(f"{p}/channels/{{cid}}/typing", self._typing)

    # ------------------------------------------------------------------ building messages

    def message_data(
        self,
        channel_id: int,
        payload: dict[str, Any],
        flags: int,
        handle: InteractionHandle | None,
        *,
        msg_type: int = 0,
    ) -> dict[str, Any]:
        """The Discord message object for what the bot sent (`payload`) to a channel."""
        state = self.state
        data: dict[str, Any] = {
            "id": str(snowflake()),
            "type": msg_type,
            "channel_id": str(channel_id),
            "guild_id": str(state.guild_of_channel(channel_id).id),
            "author": state.bot_user,
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
            data["webhook_id"] = str(state.application_id)
            data["application_id"] = str(state.application_id)
            data["interaction_metadata"] = {
                "id": str(handle.id),
                "type": handle.type,
                "user": handle.payload["member"]["user"],
                "authorizing_integration_owners": {"0": str(state.guild.id)},
            }
        _mark_mentions(data, payload.get("allowed_mentions"))
        return data

    def store_message(
        self,
        data: dict[str, Any],
        *,
        allowed_mentions: Any,
        interaction: InteractionHandle | None,
        in_history: bool,
    ) -> FakeMessage:
        """Keep a message; `in_history` puts it in its channel (ephemeral ones are not)."""
        state = self.state
        message = FakeMessage(
            data,
            allowed_mentions=allowed_mentions,
            interaction_id=interaction.id if interaction else None,
        )
        state.messages[message.id] = message
        if in_history:
            state.history.setdefault(message.channel_id, []).append(message.id)
            channel = state.guild_of_channel(message.channel_id).channels.get(message.channel_id)
            if channel is not None:
                channel["last_message_id"] = str(message.id)
                if channel["type"] == PUBLIC_THREAD:
                    channel["message_count"] += 1
                    channel["total_message_sent"] += 1
        return message

    # ------------------------------------------------------------------ rules

    def check_mentions(self, where: str, payload: dict[str, Any]) -> None:
        """Record a violation for a ping of anyone but the allowed role, or of that role
        when Discord would not notify it."""
        state = self.state
        pinged = pings(payload.get("content"), payload.get("allowed_mentions"))
        allowed = f"role:{state.allowed_ping_role_id}" if state.allowed_ping_role_id else None
        unwanted = [p for p in pinged if p != allowed]
        if unwanted:
            state.violation(
                f"{where}: would ping {', '.join(unwanted)} "
                f"(allowed_mentions={payload.get('allowed_mentions')!r})"
            )
        if allowed in pinged:
            role = state.guild.roles.get(state.allowed_ping_role_id or 0)
            bot_perms = state.guild.permissions(state.bot_member)
            if (
                role is not None
                and not role["mentionable"]
                and not bot_perms & Perm.MENTION_EVERYONE
            ):
                state.violation(
                    f"{where}: pings @{role['name']}, which is not mentionable, without the "
                    "Mention @everyone permission: Discord would not notify anyone"
                )

    def refuse_if_empty(self, message: dict[str, Any], where: str) -> None:
        if limits.is_empty_message(message):
            raise DiscordError(
                400, limits.EMPTY_MESSAGE, violation=f"{where}: Cannot send an empty message"
            )

    def channel(self, cid: str | int) -> dict[str, Any]:
        channel = self.state.guild.channels.get(int(cid))
        if channel is None:
            raise error(404, 10003, "Unknown Channel")
        return channel

    def require(self, channel: dict[str, Any], bits: int, what: str) -> None:
        """403 Missing Permissions unless the bot has `bits` in `channel`."""
        state = self.state
        have = state.guild.permissions(state.bot_member, int(channel["id"]))
        missing = bits & ~have
        if missing:
            raise DiscordError(
                403,
                {"message": "Missing Permissions", "code": 50013},
                violation=f"{what} in #{channel['name']}: the bot lacks {names_of(missing)}",
            )

    def send_permissions(self, channel: dict[str, Any], payload: dict[str, Any]) -> int:
        """What the bot needs to post `payload` in `channel`."""
        bits = Perm.VIEW_CHANNEL
        bits |= (
            Perm.SEND_MESSAGES_IN_THREADS
            if channel["type"] == PUBLIC_THREAD
            else Perm.SEND_MESSAGES
        )
        if payload.get("embeds"):
            bits |= Perm.EMBED_LINKS
        return bits

    # ------------------------------------------------------------------ changing messages

    def apply(self, message: FakeMessage, payload: dict[str, Any], *, keep_flags: int) -> None:
        """Change `message` as `payload` asks, unchecked; `keep_flags` survive."""
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
        _mark_mentions(data, payload.get("allowed_mentions"))
        message.edits += 1

    def edit(self, message: FakeMessage, payload: dict[str, Any], where: str) -> None:
        """A checked edit: within the limits, not left empty, pinging nobody unwanted."""
        errors = limits.check_message(payload, allow_ephemeral=True)
        if errors:
            raise form_errors(errors, where)
        result = {**message.data, **{k: v for k, v in payload.items() if v is not None}}
        result["flags"] = message.flags & ~128
        self.refuse_if_empty(result, f"{where} (the edit would leave it empty)")
        self.check_mentions(where, payload)
        self.apply(message, payload, keep_flags=message.flags & 64)
        if "allowed_mentions" in payload:
            message.allowed_mentions = payload["allowed_mentions"]

    def delete(self, message: FakeMessage) -> None:
        message.deleted = True

    # ------------------------------------------------------------------ routes

    async def _get_channel(self, request: web.Request) -> web.Response:
        channel = self.channel(request.match_info["cid"])
        self.require(channel, Perm.VIEW_CHANNEL, "GET channel")
        return json_response(channel)

    async def _typing(self, request: web.Request) -> web.Response:
        self.channel(request.match_info["cid"])
        return web.Response(status=204)

    async def _channel_messages(self, request: web.Request) -> web.Response:
        state = self.state
        channel = self.channel(request.match_info["cid"])
        cid = int(channel["id"])
        if request.method == "GET":
            self.require(channel, Perm.VIEW_CHANNEL, "reading history")
            if not state.guild.permissions(state.bot_member, cid) & Perm.READ_MESSAGE_HISTORY:
                state.violation(
                    f"read #{channel['name']}'s history without Read Message History: "
                    "Discord answers with no messages"
                )
                return json_response([])
            return json_response(self._history_page(cid, request.query))
        if request.method != "POST":
            raise method_not_allowed()
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
        self.require(channel, self.send_permissions(channel, payload), "sending a message")
        errors = limits.check_message(payload)
        if errors:
            raise form_errors(errors, where)
        self.refuse_if_empty(payload, where)
        self.check_mentions(where, payload)
        message = self.store_message(
            self.message_data(cid, payload, (payload.get("flags") or 0) & (4 | 4096), None),
            allowed_mentions=payload.get("allowed_mentions"),
            interaction=None,
            in_history=True,
        )
        return json_response(message.data)

    def _history_page(self, cid: int, query: Any) -> list[dict[str, Any]]:
        try:
            limit = int(query.get("limit", "50"))
        except ValueError:
            limit = -1
        if not 1 <= limit <= 100:
            errors = limits.FormErrors()
            errors.add(["limit"], "NUMBER_TYPE_MAX", "int value should be between 1 and 100.")
            raise form_errors(errors, "GET messages")
        messages = self.state.messages
        ids = [m.id for m in self.state.channel_messages(cid)]
        if "before" in query:
            ids = [i for i in ids if i < int(query["before"])]
        if "after" in query:
            ids = [i for i in ids if i > int(query["after"])]
            return [messages[i].data for i in ids[:limit]][::-1]
        return [messages[i].data for i in reversed(ids[-limit:])]

    async def _channel_message(self, request: web.Request) -> web.StreamResponse:
        channel = self.channel(request.match_info["cid"])
        message = self.state.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted or message.channel_id != int(channel["id"]):
            raise error(404, 10008, "Unknown Message")
        if message.ephemeral:
            raise error(404, 10008, "Unknown Message")
        where = f"{request.method} message in #{channel['name']}"
        if request.method == "GET":
            self.require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY, where)
            return json_response(message.data)
        if int(message.data["author"]["id"]) != self.state.bot_user_id:
            raise DiscordError(
                403,
                {"message": "Cannot edit a message authored by another user", "code": 50005},
                violation=where,
            )
        if request.method == "PATCH":
            self.edit(message, request[BODY] or {}, where)
            return json_response(message.data)
        if request.method == "DELETE":
            self.delete(message)
            return web.Response(status=204)
        raise method_not_allowed()


def _mark_mentions(data: dict[str, Any], allowed: Any) -> None:
    """Fill in who the message pings, as Discord's answer shows it."""
    pinged = pings(data.get("content"), allowed)
    data["mention_everyone"] = any(p.startswith("@") for p in pinged)
    data["mention_roles"] = [p.split(":")[1] for p in pinged if p.startswith("role:")]


__all__ = ["Messages"]
