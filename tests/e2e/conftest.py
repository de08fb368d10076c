"""Fixtures shared by the e2e modules that serve all their tests from one bot process.

A module opts in by using `example_bot` (one `python -m bot run` with FEEDS = the example
show, started once per module) and `fresh_violations`; `shared_fake` is the module's
loopback fake Discord, with the invite permissions granted to the bot.
"""

from __future__ import annotations

import signal

import pytest
import pytest_asyncio

from bot.app.runner import invite_permissions
from tests.fakediscord import FakeDiscord
from tests.fakediscord.botprocess import SharedBot
from tests.support.paths import EXAMPLES


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared_fake():
    async with FakeDiscord() as server:
        server.set_bot_permissions(invite_permissions().value)
        yield server


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def example_bot(shared_fake, tmp_path_factory, request):
    shared = SharedBot(
        shared_fake,
        tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]),
        feeds=[EXAMPLES / "feed.xml"],
        ready_feeds=1,
        # related episodes are derived just after the import
        ready_when="SELECT count(*) FROM related_episodes",
    )
    await shared.start()
    yield shared
    # Ctrl-C in a terminal: a clean exit too.
    assert await shared.stop(signal.SIGINT) == 0, shared.process.tail()


@pytest.fixture
def fresh_violations(shared_fake):
    """Each test answers for its own violations (the fake is shared by the module)."""
    shared_fake.violations.clear()
