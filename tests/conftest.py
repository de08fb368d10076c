"""Fixtures every test may use: a real store, a loopback feed server, a clean environment."""

from __future__ import annotations

import pytest

from bot.app.settings import VARIABLES
from bot.store import Store
from tests.support.feedserver import FeedServer


@pytest.fixture
async def store(tmp_path):
    """A store in a real SQLite file, with the real migrations."""
    async with await Store.open(tmp_path / "store.db") as opened:
        yield opened


@pytest.fixture
async def server():
    """A loopback feed server (tests/support/feedserver.py) on 127.0.0.1."""
    async with FeedServer() as started:
        yield started


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """Run in an empty folder (no stray .env) with none of the bot's settings set."""
    monkeypatch.chdir(tmp_path)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
