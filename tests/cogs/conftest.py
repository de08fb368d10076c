"""Fixtures of the member-command tests: the example show, imported once per session and
copied for each test, and the real bot with the member cogs loaded (never connected)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.support.catalogues import example_store_file
from tests.support.cog_calls import RecordingBot, open_copy, started_bot


@pytest.fixture(scope="session")
def example_db(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("example"))


@pytest.fixture
async def example_store(example_db: Path, tmp_path: Path) -> AsyncIterator[Store]:
    store = await open_copy(example_db, tmp_path)
    yield store
    await store.close()


@pytest.fixture
async def bot(example_store) -> RecordingBot:
    return await started_bot(example_store)
