"""Each error answer from Discord is logged once, with the route's template and Discord's
code, never the interaction token in the URL nor the request's text."""

from __future__ import annotations

import logging

import aiohttp
import discord
import pytest
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from bot.ops.discord_errors import log_discord_failures
from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.tinybot import point_discord_at


@pytest.fixture
async def fake(monkeypatch):
    async with FakeDiscord() as server:
        point_discord_at(server, monkeypatch)
        yield server


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.ops.discord_errors"]


async def test_a_rest_call_discord_refuses_is_logged_once_with_its_route(fake, caplog):
    client = discord.Client(intents=discord.Intents.none())
    try:
        await client.login(fake.token)
        log_discord_failures(client.http)
        log_discord_failures(client.http)  # wrapping twice still logs once
        guild = fake.guild.id
        with pytest.raises(discord.NotFound):
            await client.http.get_member(guild, 424242)
    finally:
        await client.close()
    [record] = warnings_of(caplog)
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "404" in message and "GET /guilds/{guild_id}/members/{member_id}" in message
    assert record.guild == guild
    assert fake.token not in message


async def test_an_interaction_answer_refused_is_logged_without_its_token_or_text(fake, caplog):
    log_discord_failures(discord.Client(intents=discord.Intents.none()).http)
    route = Route(
        "POST",
        "/interactions/{webhook_id}/{webhook_token}/callback",
        webhook_id=987654321,
        webhook_token="the-interaction-token",
    )
    async with aiohttp.ClientSession() as session:
        with pytest.raises(discord.HTTPException):
            await AsyncWebhookAdapter().request(
                route, session, payload={"type": 4, "data": {"content": "what a member typed"}}
            )
    [record] = warnings_of(caplog)
    message = record.getMessage()
    assert "{webhook_token}" in message
    assert "the-interaction-token" not in message and "what a member typed" not in message
