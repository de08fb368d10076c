"""REST: who the bot is, where its gateway is, its command syncs and reads of its guild."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from tests.fakediscord import limits
from tests.fakediscord.gateway import Gateway
from tests.fakediscord.models import PUBLIC_THREAD, Guild, snowflake
from tests.fakediscord.rest import BODY, error, form_errors, json_response, method_not_allowed
from tests.fakediscord.state import API_PREFIX, DiscordState, SyncRecord


class ApplicationRoutes:
    """`/users/@me`, `/oauth2/applications/@me`, `/gateway`, `.../commands`, `/guilds/…`."""

    def __init__(self, state: DiscordState, gateway: Gateway) -> None:
        self.state = state
        self.gateway = gateway

    def add_routes(self, router: web.UrlDispatcher) -> None:
        p = API_PREFIX
        router.add_get(f"{p}/users/@me", self._me)
        router.add_get(f"{p}/oauth2/applications/@me", self._application)
        router.add_get(f"{p}/applications/@me", self._application)
        router.add_get(f"{p}/gateway", self._gateway_info)
        router.add_get(f"{p}/gateway/bot", self._gateway_info)
        router.add_route("*", f"{p}/applications/{{app}}/commands", self._commands)
        router.add_route("*", f"{p}/applications/{{app}}/guilds/{{guild}}/commands", self._commands)
        router.add_get(f"{p}/guilds/{{gid}}", self._get_guild)
        router.add_get(f"{p}/guilds/{{gid}}/channels", self._guild_channels)
        router.add_get(f"{p}/guilds/{{gid}}/roles", self._guild_roles)
        router.add_get(f"{p}/guilds/{{gid}}/members/{{uid}}", self._guild_member)

    # ------------------------------------------------------------------ identity

    async def _me(self, request: web.Request) -> web.Response:
        return json_response(
            self.state.bot_user | {"verified": True, "mfa_enabled": False, "flags": 0}
        )

    async def _application(self, request: web.Request) -> web.Response:
        state = self.state
        return json_response(
            {
                "id": str(state.application_id),
                "name": "episode-bot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": state.owner,
                "team": None,
                "verify_key": secrets.token_hex(32),
                "summary": "",
                "flags": state.privileged_intents_enabled and (1 << 15),
                "interactions_endpoint_url": None,
                "bot": state.bot_user,
                "tags": [],
                "redirect_uris": [],
                "approximate_guild_count": len(state.guilds),
            }
        )

    async def _gateway_info(self, request: web.Request) -> web.Response:
        return json_response(
            {
                "url": self.state.gateway_url,
                "shards": self.state.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # ------------------------------------------------------------------ commands

    async def _commands(self, request: web.Request) -> web.Response:
        state = self.state
        if int(request.match_info["app"]) != state.application_id:
            raise error(403, 50001, "Missing Access")
        guild = request.match_info.get("guild")
        scope = int(guild) if guild is not None else None
        if scope is not None and scope not in state.guilds:
            raise error(403, 50001, "Missing Access")
        if request.method == "GET":
            return json_response(state.synced.get(scope, []))
        if request.method != "PUT":
            raise method_not_allowed()
        body = request[BODY]
        state.sync_requests.append(SyncRecord(scope, body))
        errors = limits.check_commands(body)
        if errors:
            raise form_errors(errors, f"command sync ({'global' if scope is None else 'guild'})")
        stored = [self._stored_command(scope, command) for command in body]
        state.synced[scope] = stored
        return json_response(stored)

    def _stored_command(self, scope: int | None, command: dict[str, Any]) -> dict[str, Any]:
        """The command as Discord answers a sync: an id kept across syncs of the same name."""
        command_id = self.state.command_ids.setdefault((scope, command["name"]), snowflake())
        entry = {
            "id": str(command_id),
            "application_id": str(self.state.application_id),
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
        return entry

    # ------------------------------------------------------------------ guild

    def _guild(self, request: web.Request) -> Guild:
        guild = self.state.guilds.get(int(request.match_info["gid"]))
        if guild is None:
            raise error(404, 10004, "Unknown Guild")
        return guild

    async def _get_guild(self, request: web.Request) -> web.Response:
        payload = self.gateway.guild_payload(self._guild(request))
        for key in ("channels", "threads", "members", "voice_states", "presences"):
            payload.pop(key)
        return json_response(payload)

    async def _guild_channels(self, request: web.Request) -> web.Response:
        channels = self._guild(request).channels.values()
        return json_response([c for c in channels if c["type"] != PUBLIC_THREAD])

    async def _guild_roles(self, request: web.Request) -> web.Response:
        return json_response(list(self._guild(request).roles.values()))

    async def _guild_member(self, request: web.Request) -> web.Response:
        member = self._guild(request).members.get(int(request.match_info["uid"]))
        if member is None:
            raise error(404, 10007, "Unknown Member")
        return json_response(member.payload())


__all__ = ["ApplicationRoutes"]
