"""REST: the bot's answers to interactions — the initial callback, follow-ups, and the
original and follow-up messages through the interaction webhook.

Discord's timing is enforced: the callback within `response_deadline` (else 404 10062),
once only (40060), of a type the interaction accepts; follow-ups only after it and for
`token_lifetime`. A callback is answered 200 with `{"interaction", "resource"}`, since
discord.py raises on a 204.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.models import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    FakeMessage,
    InteractionHandle,
)
from tests.fakediscord.rest import (
    BODY,
    DiscordError,
    error,
    form_errors,
    json_response,
    method_not_allowed,
)
from tests.fakediscord.rest_messages import Messages
from tests.fakediscord.state import API_PREFIX, DiscordState

# The callback types Discord accepts for each interaction type.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


class InteractionRoutes:
    """`/interactions/{id}/{token}/callback` and `/webhooks/{app}/{token}[/messages/{id}]`."""

    def __init__(self, state: DiscordState, messages: Messages) -> None:
        self.state = state
        self.messages = messages

    def add_routes(self, router: web.UrlDispatcher) -> None:
        p = API_PREFIX
        router.add_post(f"{p}/interactions/{{iid}}/{{token}}/callback", self._callback)
        router.add_post(f"{p}/webhooks/{{app}}/{{token}}", self._followup)
        router.add_route(
            "*", f"{p}/webhooks/{{app}}/{{token}}/messages/{{mid}}", self._webhook_message
        )

    def _interaction(self, token: str, app: str | None = None) -> InteractionHandle:
        handle = self.state.interactions_by_token.get(token)
        if handle is None or (app is not None and int(app) != self.state.application_id):
            raise DiscordError(
                404,
                {"message": "Unknown Webhook", "code": 10015},
                violation="a webhook call with an unknown interaction token",
            )
        return handle

    async def _callback(self, request: web.Request) -> web.Response:
        state = self.state
        handle = state.interactions.get(int(request.match_info["iid"]))
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
        if received - handle.dispatched_at > state.response_deadline:
            raise DiscordError(
                404,
                {"message": "Unknown interaction", "code": 10062},
                violation=(
                    f"{handle.label}: responded after {received - handle.dispatched_at:.2f} s "
                    f"(more than {state.response_deadline:g} s: Discord has forgotten it)"
                ),
            )
        if kind not in ALLOWED_CALLBACKS[handle.type]:
            errors = limits.FormErrors()
            errors.add(["type"], limits.CHOICES, f"Callback type {kind} is not valid here")
            raise form_errors(errors, f"{handle.label}: callback")
        data = body.get("data") or {}
        where = f"{handle.label}: response"
        resource: dict[str, Any] = {"type": kind}
        summary: dict[str, Any] = {"id": str(handle.id), "type": handle.type}
        if kind == 8:
            errors = limits.check_autocomplete(body)
            if errors:
                raise form_errors(errors, where)
            handle.choices_sent = data["choices"]
        elif kind == 4:
            message = self._create_message(handle, data, where, original=True)
            handle.original_id = message.id
            resource["message"] = message.data
        elif kind == 5:
            flags = 128 | ((data.get("flags") or 0) & 64)
            message = self.messages.store_message(
                self.messages.message_data(
                    int(handle.payload["channel_id"]),
                    {"content": ""},
                    flags,
                    handle,
                    msg_type=_reply_type(handle),
                ),
                allowed_mentions=None,
                interaction=handle,
                in_history=not flags & 64,
            )
            handle.original_id = message.id
            resource["message"] = message.data
            summary["response_message_loading"] = True
        elif kind in (6, 7):
            target = state.messages[int(handle.payload["message"]["id"])]
            if kind == 7:
                self.messages.edit(target, data, where)
                resource["message"] = target.data
            handle.original_id = target.id
        elif kind == 9:
            pass  # modals: nothing to store
        if handle.original_id is not None:
            original = state.messages[handle.original_id]
            summary["response_message_id"] = str(original.id)
            summary["response_message_ephemeral"] = original.ephemeral
        handle.callback_type = kind
        handle.callback_data = data
        handle.callback_at = received
        return json_response({"interaction": summary, "resource": resource})

    def _create_message(
        self, handle: InteractionHandle, data: dict[str, Any], where: str, *, original: bool
    ) -> FakeMessage:
        errors = limits.check_message(
            data, path=("data",) if original else (), allow_ephemeral=True
        )
        if errors:
            raise form_errors(errors, where)
        self.messages.refuse_if_empty(data, where)
        flags = (data.get("flags") or 0) & (64 | 4 | 4096)
        self.messages.check_mentions(where, data)
        message_type = _reply_type(handle) if original else 0
        return self.messages.store_message(
            self.messages.message_data(
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
        if time.monotonic() - handle.dispatched_at > self.state.token_lifetime:
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
                raise form_errors(errors, where)
            self.messages.refuse_if_empty(data, where)
            asked = bool((data.get("flags") or 0) & 64)
            if asked and not original.ephemeral:
                self.state.violation(
                    f"{where}: asked to be ephemeral, but the first follow-up after a public "
                    "defer replaces the 'thinking' message and is public"
                )
            self.messages.check_mentions(where, data)
            self.messages.apply(original, data, keep_flags=original.flags & 64)
            original.allowed_mentions = data.get("allowed_mentions")
            message = original
        else:
            message = self._create_message(handle, data, where, original=False)
            handle.followup_ids.append(message.id)
        wait = request.query.get("wait", "false").lower() in ("1", "true")
        if not wait:
            return web.Response(status=204)
        return json_response(message.data)

    async def _webhook_message(self, request: web.Request) -> web.StreamResponse:
        handle = self._interaction(request.match_info["token"], request.match_info["app"])
        where = f"{handle.label}: {request.method} message"
        self._check_token_alive(handle, where)
        mid = request.match_info["mid"]
        stored = self.state.messages
        if mid == "@original":
            if handle.original_id is None:
                raise error(404, 10008, "Unknown Message")
            message = stored[handle.original_id]
        else:
            message_id = int(mid)
            if message_id not in (handle.original_id, *handle.followup_ids):
                raise error(404, 10008, "Unknown Message")
            message = stored[message_id]
        if message.deleted:
            raise error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(message.data)
        if request.method == "DELETE":
            self.messages.delete(message)
            return web.Response(status=204)
        if request.method == "PATCH":
            self.messages.edit(message, request[BODY] or {}, where)
            return json_response(message.data)
        raise method_not_allowed()


def _reply_type(handle: InteractionHandle) -> int:
    return 20 if handle.type == APPLICATION_COMMAND else 0  # CHAT_INPUT_COMMAND / DEFAULT


__all__ = ["ALLOWED_CALLBACKS", "InteractionRoutes"]
