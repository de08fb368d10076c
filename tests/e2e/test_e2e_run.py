"""End to end: `episode-bot run` and `episode-bot invite` as users run them.

Each case is its own process (`python -m bot ...`) against the loopback fake Discord. A
process takes about a second to start, so the module starts all of them at once and each
test reads what its process did.
"""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass

import pytest
import pytest_asyncio

from bot.app.runner import NO_TOKEN, REJECTED_TOKEN, invite_permissions
from tests.fakediscord import FakeDiscord, Perm
from tests.fakediscord.botprocess import BotProcess, bot_env, run_to_exit
from tests.support.paths import EXAMPLES

pytestmark = pytest.mark.asyncio(loop_scope="module")

MEMBER_COMMANDS = {"episode", "chapters", "when", "search", "related", "latest", "guest"}
# Moments (issue 14): slash commands, and the message command "Find moment".
MEMBER_COMMANDS |= {"moment", "discuss", "saved", "top", "Find moment"}
ADMIN_COMMANDS = {"feed", "announce"}


@dataclass
class Case:
    fake: FakeDiscord | None
    process: BotProcess
    exit_code: int | None = None
    connected_before_exit: bool = False


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def cases(tmp_path_factory):
    """name → what happened, for every process this module runs (run concurrently)."""
    async with FakeDiscord() as serving, FakeDiscord() as rejecting, FakeDiscord() as inviting:

        def env(fake, name, **options):
            return bot_env(fake, db_path=tmp_path_factory.mktemp(name) / "bot.db", **options)

        async def serve_then_sigterm() -> Case:
            workdir = tmp_path_factory.mktemp("serve")
            process = BotProcess(env(serving, "serve", feeds=[EXAMPLES / "feed.xml"]), cwd=workdir)
            serving.diagnostics = process.tail
            await process.start()
            case = Case(serving, process)
            try:
                await serving.wait_until_ready(within=30)
                case.connected_before_exit = serving.connected
            finally:
                case.exit_code = await process.stop(signal.SIGTERM)
            return case

        async def to_exit(fake, name, args, **options) -> Case:
            process = await run_to_exit(
                env(fake, name, **options), cwd=tmp_path_factory.mktemp(name), args=args
            )
            return Case(fake, process, process.returncode)

        results = await asyncio.gather(
            serve_then_sigterm(),
            to_exit(None, "no-token", ["run"]),
            to_exit(rejecting, "rejected", ["run"], token=rejecting.token[:-4] + "AAAA"),
            # LOG_LEVEL unset, as a user runs it: the CLI logs only problems.
            to_exit(inviting, "invite", ["invite"], extra={"LOG_LEVEL": ""}),
        )
        yield dict(zip(["serve", "no_token", "rejected", "invite"], results, strict=True))


async def test_the_bot_logs_in_and_syncs_valid_commands_to_the_dev_server(cases):
    fake = cases["serve"].fake
    assert cases["serve"].connected_before_exit
    assert fake.violations == []
    # One sync, to the development server, every command in it accepted by the fake's
    # checks of Discord's rules; none globally (members there would see commands twice).
    assert [record.guild_id for record in fake.sync_requests] == [fake.guild.id]
    synced = {command["name"]: command for command in fake.commands(fake.guild.id)}
    assert set(synced) == MEMBER_COMMANDS | ADMIN_COMMANDS
    for name in ADMIN_COMMANDS:
        assert synced[name]["default_member_permissions"] == str(Perm.MANAGE_GUILD), name
        assert synced[name]["contexts"] == [0], f"/{name} must be guild-only"
    for name in MEMBER_COMMANDS:
        assert synced[name]["default_member_permissions"] is None, name


async def test_the_bot_asks_for_the_guilds_intent_only(cases):
    fake = cases["serve"].fake
    assert [identify["intents"] for identify in fake.identifies] == [1]  # GUILDS
    assert fake.violations == []


async def test_sigterm_closes_the_gateway_and_exits_0_without_logging_the_token(cases):
    case = cases["serve"]
    assert case.exit_code == 0, case.process.tail()
    assert not case.fake.connected
    assert "shutting down" in case.process.log
    assert "Traceback" not in case.process.log
    assert case.fake.token not in case.process.log
    assert case.fake.token.split(".")[-1] not in case.process.log
    assert case.fake.violations == []


async def test_run_without_a_token_is_one_line_and_exit_code_2(cases):
    case = cases["no_token"]
    assert case.exit_code == 2
    assert case.process.lines == [f"episode-bot: {NO_TOKEN}"]


async def test_a_rejected_token_is_one_line_and_exit_code_2(cases):
    case = cases["rejected"]
    assert case.exit_code == 2
    errors = [line for line in case.process.lines if line.startswith("episode-bot:")]
    assert errors == [f"episode-bot: {REJECTED_TOKEN}"], case.process.tail()
    assert "Traceback" not in case.process.log
    assert [r.status for r in case.fake.requests_to("GET /users/@me")] == [401]
    assert case.fake.sync_requests == []
    assert case.fake.violations == []


async def test_invite_prints_the_url_for_the_tokens_application(cases):
    case = cases["invite"]
    assert case.exit_code == 0, case.process.tail()
    assert case.process.stdout_lines == [
        f"https://discord.com/oauth2/authorize?client_id={case.fake.application_id}"
        f"&scope=bot+applications.commands&permissions={invite_permissions().value}"
    ]
    assert case.process.lines == []  # no warnings from discord.py about voice or intents
    assert case.fake.requests_to("GET /oauth2/applications/@me")
    assert case.fake.violations == []
