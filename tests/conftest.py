"""Shared test fixtures: where the real-world sample data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from tests.feedserver import FeedServer

PROJECT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = PROJECT.parent / "shared" / "fixtures"
EXAMPLES = PROJECT / "examples"


def shared_fixtures_or_skip() -> Path:
    """The real feeds in ../shared/fixtures; tests skip (with the reason) only when absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"real-world fixtures not found at {SHARED_FIXTURES} (clone beside ../shared)")
    return SHARED_FIXTURES


def fixture_feed(name_part: str) -> Path:
    """The one fixture feed whose file name contains `name_part`."""
    feeds = shared_fixtures_or_skip() / "feeds"
    matches = [p for p in feeds.iterdir() if name_part in p.name]
    assert len(matches) == 1, f"{name_part!r} matches {len(matches)} fixture feeds"
    return matches[0]


@pytest.fixture
async def store(tmp_path):
    """A store in a real SQLite file, with the real migrations."""
    async with await Store.open(tmp_path / "store.db") as opened:
        yield opened


@pytest.fixture
async def server():
    """A loopback feed server (tests/feedserver.py) on 127.0.0.1."""
    async with FeedServer() as started:
        yield started


SETTINGS_VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "FEEDS",
    "POLL_INTERVAL_MINUTES",
    "DEV_GUILD_ID",
    "DISCORD_API_BASE",
    "DISCORD_GATEWAY_URL",
    "ALLOW_PRIVATE_FEED_URLS",
    "LOG_LEVEL",
)


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """Run in an empty folder (no stray .env) with none of the bot's settings set."""
    monkeypatch.chdir(tmp_path)
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
