"""REST: threads — one on a message (its id is the message's), one in a channel, and a
forum post (a thread whose starter message has the thread's id). Each new thread is
dispatched as THREAD_CREATE; a second thread on one message is 400 160004."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.gateway import Gateway
from tests.fakediscord.models import FORUM, NEWS, PUBLIC_THREAD, TEXT, Perm, iso_now, snowflake
from tests.fakediscord.rest import BODY, DiscordError, error, form_errors, json_response
from tests.fakediscord.rest_messages import Messages
from tests.fakediscord.state import API_PREFIX, DiscordState


class ThreadRoutes:
    """`/channels/{id}/messages/{id}/threads` and `/channels/{id}/threads`."""

    def __init__(self, state: DiscordState, messages: Messages, gateway: Gateway) -> None:
        self.state = state
        self.messages = messages
        self.gateway = gateway

    def add_routes(self, router: web.UrlDispatcher) -> None:
        p = API_PREFIX
        router.add_post(f"{p}/channels/{{cid}}/messages/{{mid}}/threads", self._on_message)
        router.add_post(f"{p}/channels/{{cid}}/threads", self._in_channel)

    def _thread_data(
        self, thread_id: int, parent: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        state = self.state
        duration = body.get("auto_archive_duration") or parent.get(
            "default_auto_archive_duration", 4320
        )
        return {
            "id": str(thread_id),
            "type": PUBLIC_THREAD,
            "guild_id": str(state.guild.id),
            "parent_id": parent["id"],
            "owner_id": str(state.bot_user_id),
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
                "user_id": str(state.bot_user_id),
                "join_timestamp": iso_now(),
                "flags": 0,
            },
        }

    async def _add_thread(self, thread: dict[str, Any]) -> None:
        self.state.threads.append(thread)
        self.state.guild.channels[int(thread["id"])] = thread
        await self.gateway.dispatch("THREAD_CREATE", thread | {"newly_created": True})

    async def _on_message(self, request: web.Request) -> web.Response:
        messages = self.messages
        channel = messages.channel(request.match_info["cid"])
        where = f"thread on a message in #{channel['name']}"
        message = self.state.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted or message.channel_id != int(channel["id"]):
            raise error(404, 10008, "Unknown Message")
        if channel["type"] not in (TEXT, NEWS):
            raise DiscordError(
                400,
                {"message": "Cannot execute action on this channel type", "code": 50024},
                violation=where,
            )
        if self.state.thread_for(message) is not None:
            raise DiscordError(
                400,
                {"message": "A thread has already been created for this message", "code": 160004},
                violation=f"{where}: a second thread on message {message.id}",
            )
        messages.require(channel, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS, where)
        body = request[BODY] or {}
        errors = limits.check_thread(body)
        if errors:
            raise form_errors(errors, where)
        thread = self._thread_data(message.id, channel, body)
        await self._add_thread(thread)
        message.data["thread"] = thread
        message.data["flags"] = message.flags | 32  # HAS_THREAD
        return json_response(thread)

    async def _in_channel(self, request: web.Request) -> web.Response:
        messages = self.messages
        channel = messages.channel(request.match_info["cid"])
        body = request[BODY] or {}
        where = f"new thread in #{channel['name']}"
        errors = limits.check_thread(body)
        if channel["type"] != FORUM:
            if channel["type"] not in (TEXT, NEWS):
                raise error(400, 50024, "Cannot execute action on this channel type")
            messages.require(channel, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS, where)
            if errors:
                raise form_errors(errors, where)
            thread = self._thread_data(snowflake(), channel, body)
            await self._add_thread(thread)
            return json_response(thread)
        # A forum post: a thread whose starter message has the thread's id.
        where = f"forum post in #{channel['name']}"
        payload = body.get("message") or {}
        messages.require(channel, messages.send_permissions(channel, payload), where)
        errors.extend(limits.check_message(payload, path=("message",)))
        if errors:
            raise form_errors(errors, where)
        messages.refuse_if_empty(payload, where)
        messages.check_mentions(where, payload)
        thread_id = snowflake()
        thread = self._thread_data(thread_id, channel, body)
        data = messages.message_data(thread_id, payload, (payload.get("flags") or 0) & 4, None)
        data["id"] = str(thread_id)
        data["position"] = 0
        message = messages.store_message(
            data,
            allowed_mentions=payload.get("allowed_mentions"),
            interaction=None,
            in_history=False,
        )
        await self._add_thread(thread)
        self.state.history.setdefault(thread_id, []).append(message.id)
        thread["message_count"] = thread["total_message_sent"] = 1
        thread["last_message_id"] = str(thread_id)
        channel["last_message_id"] = str(thread_id)
        return json_response(thread | {"message": message.data})


__all__ = ["ThreadRoutes"]
