"""What a member does in Discord's client: run a slash command, type into an
autocompleted option, click a button or pick in a select.

Each becomes an INTERACTION_CREATE dispatched to the bot, built only from what the member
could have sent: the command from the schema the bot synced (`interactions.py`), shown
only where and to whom Discord would show it, and a component only if it is on the
message now and enabled. An interaction still unanswered after `response_deadline` is a
violation.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from tests.fakediscord.gateway import Gateway
from tests.fakediscord.interactions import SchemaError, build_command_data, find_command
from tests.fakediscord.models import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    FakeMessage,
    InteractionHandle,
    Member,
    names_of,
    snowflake,
)
from tests.fakediscord.state import DiscordState

MESSAGE_COMMAND = 3  # an application command's type: Apps → name on a message


class CommandNotAvailable(AssertionError):
    """Discord's client would not let this member run this command here."""


class MemberActions:
    """Interactions started as a member would start them; see `FakeDiscord.invoke`."""

    def __init__(self, state: DiscordState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    async def command(
        self,
        names: list[str],
        options: dict[str, Any],
        *,
        member: Member | None,
        channel: dict[str, Any] | None,
        focused: str | None,
        override_permissions: bool,
    ) -> InteractionHandle:
        """Run `names` ("feed", "add"), or with `focused` ask for that option's choices."""
        state = self.state
        member = member or state.member
        channel = channel or state.text_channel
        schema, scope = find_command(state, names[0])
        self._check_available(schema, member, channel, override_permissions)
        data = build_command_data(state, schema, names, options, member=member, focused=focused)
        data["id"] = str(state.command_ids[(scope, schema["name"])])
        if scope is not None:
            data["guild_id"] = str(scope)
        kind = AUTOCOMPLETE if focused else APPLICATION_COMMAND
        label = ("autocomplete " if focused else "") + "/" + " ".join(names)
        return await self._dispatch(kind, data, member, channel, label)

    async def message_command(
        self,
        name: str,
        target: FakeMessage,
        *,
        member: Member | None,
    ) -> InteractionHandle:
        """Run the message command `name` (Apps → name) on `target`: `data.type` 3, the
        message in `data.resolved.messages`, as Discord sends it (its text included,
        without the message-content intent)."""
        state = self.state
        member = member or state.member
        channel = state.guild_of_channel(target.channel_id).channels[target.channel_id]
        schema, scope = find_command(state, name)
        if schema.get("type", 1) != MESSAGE_COMMAND:
            raise SchemaError(f"{name!r} is not a message command")
        self._check_available(schema, member, channel, False)
        data: dict[str, Any] = {
            "id": str(state.command_ids[(scope, schema["name"])]),
            "name": schema["name"],
            "type": MESSAGE_COMMAND,
            "target_id": str(target.id),
            "resolved": {"messages": {str(target.id): target.data}},
        }
        if scope is not None:
            data["guild_id"] = str(scope)
        return await self._dispatch(
            APPLICATION_COMMAND, data, member, channel, f"message command {name}"
        )

    def _check_available(
        self, schema: dict[str, Any], member: Member, channel: dict[str, Any], override: bool
    ) -> None:
        contexts = schema.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise CommandNotAvailable(f"/{schema['name']} is not available in servers")
        required = schema.get("default_member_permissions")
        if required is None or override:
            return
        have = self.state.guild_of_channel(channel).permissions(member, int(channel["id"]))
        if int(required) & ~have:
            raise CommandNotAvailable(
                f"Discord hides /{schema['name']} from {member.user['username']}: it needs "
                f"{names_of(int(required) & ~have)}"
            )

    async def click(
        self,
        message: FakeMessage | int,
        custom_id: str | None,
        *,
        label: str | None,
        member: Member | None,
        values: list[str] | None,
    ) -> InteractionHandle:
        """Click a component of `message` as it is now; see `FakeDiscord.click`."""
        state = self.state
        stored = state.messages[message.id if isinstance(message, FakeMessage) else message]
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
            user_id = int(metadata["user"]["id"]) if metadata else state.member.id
            guild = state.guild_of_channel(stored.channel_id)
            member = guild.members.get(user_id, state.member)
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None:
            data["values"] = values
        channel = state.guild_of_channel(stored.channel_id).channels[stored.channel_id]
        return await self._dispatch(
            MESSAGE_COMPONENT, data, member, channel, f"click {custom_id}", message=stored
        )

    async def _dispatch(
        self,
        kind: int,
        data: dict[str, Any],
        member: Member,
        channel: dict[str, Any],
        label: str,
        *,
        message: FakeMessage | None = None,
    ) -> InteractionHandle:
        state = self.state
        guild = state.guild_of_channel(channel)
        channel_id = int(channel["id"])
        bot_member = guild.members.get(state.bot_user_id, state.bot_member)
        payload: dict[str, Any] = {
            "id": str(snowflake()),
            "application_id": str(state.application_id),
            "type": kind,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(120),
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel_id),
            "channel": {k: channel[k] for k in ("id", "type", "name", "guild_id", "parent_id")}
            | {"permissions": str(guild.permissions(member, channel_id))},
            "member": member.payload(guild.permissions(member, channel_id)),
            "app_permissions": str(guild.permissions(bot_member, channel_id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "data": data,
        }
        if message is not None:
            payload["message"] = message.data
        handle = InteractionHandle(state, payload, label)
        state.interactions[handle.id] = handle
        state.interactions_by_token[handle.token] = handle
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        handle.dispatched_at = time.monotonic()
        asyncio.get_running_loop().call_later(
            state.response_deadline + 0.05, self._check_answered, handle
        )
        return handle

    def _check_answered(self, handle: InteractionHandle) -> None:
        if not handle.responded and self.state.serving:
            self.state.violation(
                f"{handle.label}: no response within {self.state.response_deadline:g} s "
                "(the member sees 'The application did not respond')"
            )


__all__ = ["CommandNotAvailable", "MemberActions"]
