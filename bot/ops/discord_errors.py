"""Every error answer from Discord (4xx, 5xx) logged once, with what an operator needs.

discord.py raises an `HTTPException` for such an answer (after its own retries of 5xx and
429), and the code that made the call decides what it means, often quietly (a deleted
channel, an expired interaction). This adds one warning per failed call, at the one place
every REST call passes through: the bot's `HTTPClient.request` and the webhook adapter
that interaction responses and follow-ups use.

A line names the method and the route's *template* (`/webhooks/{webhook_id}/{webhook_token}`),
never the filled-in URL, which for an interaction carries its token; Discord's error code
and message (trimmed), and the guild and channel when the route names them. Never a
request body: that is a member's or a feed's text.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.http import HTTPClient, Route
from discord.webhook.async_ import AsyncWebhookAdapter

log = logging.getLogger(__name__)

_MESSAGE_CHARS = 200
_MARK = "_episode_bot_logs_failures"


def log_failure(route: Route, error: discord.HTTPException) -> None:
    """The one warning for a failed call."""
    message = " ".join(str(error.text or "").split())[:_MESSAGE_CHARS] or "no message"
    where = f" in channel {route.channel_id}" if route.channel_id else ""
    log.warning(
        "Discord answered %s (code %s) to %s %s%s: %s",
        error.status,
        error.code,
        route.method,
        route.path,
        where,
        message,
        extra={"guild": route.guild_id},
    )


def _logged(request: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(request)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return await request(*args, **kwargs)
        except discord.HTTPException as error:
            route = next((a for a in args if isinstance(a, Route)), kwargs.get("route"))
            if isinstance(route, Route):
                log_failure(route, error)
            raise

    setattr(wrapper, _MARK, True)
    return wrapper


def log_discord_failures(http: HTTPClient) -> None:
    """Log the failed REST calls of one client (the bot's) and of every interaction
    response and follow-up (discord.py's webhook adapter, shared by the process)."""
    if not getattr(http.request, _MARK, False):
        http.request = _logged(http.request)  # type: ignore[method-assign,assignment]
    if not getattr(AsyncWebhookAdapter.request, _MARK, False):
        AsyncWebhookAdapter.request = _logged(AsyncWebhookAdapter.request)  # type: ignore[method-assign,assignment]
