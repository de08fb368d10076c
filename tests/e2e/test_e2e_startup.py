"""End to end, in this process: the sync policy, the invite URL and start-up errors.

These drive the bot's own code (`EpisodeBot`, `bot.app.runner`) with the real discord.py
client against the loopback fake Discord, in the test's process, where that is enough
and much faster; test_e2e_run.py runs the bot as users run it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
from pathlib import Path

import discord
import pytest

from bot.app.client import SYNC_HASH_KEY, command_tree_hash
from bot.app.runner import (
    PRIVILEGED_INTENT,
    REJECTED_TOKEN,
    RunError,
    application_id_from_token,
    invite,
    invite_permissions,
    open_bot,
    point_discord_at,
    run_bot,
)
from bot.app.settings import Settings
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import bot_env

MEMBER_COMMANDS = {"episode", "chapters", "when", "search", "related", "latest", "guest"}
# Moments (issue 14): slash commands, and the message command "Find moment".
MEMBER_COMMANDS |= {"moment", "discuss", "saved", "top", "Find moment"}
ADMIN_COMMANDS = {"feed", "announce"}


@pytest.fixture
async def fake():
    async with FakeDiscord() as server:
        yield server


@pytest.fixture(autouse=True)
def restore_discord_urls(monkeypatch):
    """In-process tests point discord.py at the fake; put its class attributes back."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(
        discord.gateway.DiscordWebSocket,
        "DEFAULT_GATEWAY",
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
    )


def settings_for(fake: FakeDiscord, db: Path, **changes) -> Settings:
    settings = Settings.from_env(bot_env(fake, db_path=db, dev_guild=False))
    return dataclasses.replace(settings, **changes)


# --------------------------------------------------------------------------- in this process


async def test_invite_asks_for_exactly_the_permissions_the_bot_uses():
    permissions = invite_permissions()
    assert permissions == discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        create_public_threads=True,
        send_messages_in_threads=True,
        read_message_history=True,
    )
    assert bin(permissions.value).count("1") == 6
    assert invite_permissions(mention_any_role=True).value == (
        permissions.value | discord.Permissions(mention_everyone=True).value
    )


async def test_invite_falls_back_to_the_application_id_in_the_token(fake, tmp_path):
    settings = settings_for(fake, tmp_path / "bot.db", discord_api_base="http://127.0.0.1:9/api")
    url, note = await invite(settings)
    assert f"client_id={fake.application_id}&" in url
    assert note is not None and "application id in the token" in note
    assert application_id_from_token(fake.token) == fake.application_id
    assert application_id_from_token("not a token") is None


async def test_invite_with_a_rejected_token_is_refused(fake, tmp_path):
    settings = settings_for(fake, tmp_path / "bot.db", discord_token=fake.token + "x")
    with pytest.raises(RunError) as raised:
        await invite(settings)
    assert str(raised.value) == REJECTED_TOKEN and raised.value.code == 2


async def start_in_process(fake: FakeDiscord, db: Path, *, force_sync: bool = False) -> None:
    """Log the real client in (which runs setup_hook: cogs and the sync), then close."""
    settings = settings_for(fake, db)
    point_discord_at(settings)
    async with open_bot(settings, db, force_sync=force_sync) as bot:  # as `run` builds it
        await bot.login(fake.token)


async def test_without_a_dev_server_commands_sync_globally_only_when_they_changed(fake, tmp_path):
    db = tmp_path / "bot.db"
    await start_in_process(fake, db)
    assert [record.guild_id for record in fake.sync_requests] == [None]
    assert {c["name"] for c in fake.commands()} == MEMBER_COMMANDS | ADMIN_COMMANDS

    await start_in_process(fake, db)  # a restart with the same commands: no sync
    assert len(fake.sync_requests) == 1

    with sqlite3.connect(db) as conn:  # as if the code had changed the commands since
        conn.execute(
            "UPDATE bot_state SET value = 'stale' WHERE key LIKE ?", (SYNC_HASH_KEY + "%",)
        )
    await start_in_process(fake, db)
    assert len(fake.sync_requests) == 2

    await start_in_process(fake, db, force_sync=True)  # `episode-bot run --sync`
    assert len(fake.sync_requests) == 3
    assert fake.violations == []


def test_the_command_hash_follows_the_commands_not_their_order():
    def tree_with(
        *names: str, description: str = "Does a thing"
    ) -> discord.app_commands.CommandTree:
        tree = discord.app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
        for name in names:

            async def callback(interaction: discord.Interaction) -> None: ...

            tree.add_command(
                discord.app_commands.Command(name=name, description=description, callback=callback)
            )
        return tree

    assert command_tree_hash(tree_with("a", "b")) == command_tree_hash(tree_with("b", "a"))
    assert command_tree_hash(tree_with("a", "b")) != command_tree_hash(tree_with("a"))
    assert command_tree_hash(tree_with("a")) != command_tree_hash(tree_with("a", description="New"))
    assert re.fullmatch(r"[0-9a-f]{64}", command_tree_hash(tree_with("a")))


async def test_a_privileged_intent_the_portal_does_not_grant_is_explained(
    fake, tmp_path, monkeypatch
):
    def members_too() -> discord.Intents:
        return discord.Intents(guilds=True, members=True)

    monkeypatch.setattr("bot.app.client.bot_intents", members_too)
    settings = settings_for(fake, tmp_path / "bot.db", dev_guild_id=fake.guild.id)
    with pytest.raises(RunError) as raised:
        await run_bot(settings, tmp_path / "bot.db", env={})
    assert str(raised.value) == PRIVILEGED_INTENT and raised.value.code == 2
    assert fake.violations == []


async def test_a_token_reset_while_the_bot_starts_is_explained(fake, tmp_path):
    """Discord took the token for the REST calls, then refused it on the gateway (4004)."""
    settings = settings_for(fake, tmp_path / "bot.db", dev_guild_id=fake.guild.id)
    sync = fake.hold("PUT /applications/*/guilds/*/commands")
    running = asyncio.create_task(run_bot(settings, tmp_path / "bot.db", env={}))
    await fake.wait_for(sync.arrived.is_set, 10, "the command sync")
    fake.accepted_tokens.clear()  # reset in the developer portal meanwhile
    sync.release()
    with pytest.raises(RunError) as raised:
        await asyncio.wait_for(running, 10)
    assert str(raised.value) == REJECTED_TOKEN and raised.value.code == 2
    assert fake.identifies == []  # refused at IDENTIFY
    assert fake.violations == []
