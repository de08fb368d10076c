"""Shared test fixtures: where the real-world sample data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
SHARED_FIXTURES = PROJECT.parent / "shared" / "fixtures"
EXAMPLES = PROJECT / "examples"


def shared_fixtures_or_skip() -> Path:
    """The real feeds in ../shared/fixtures; tests skip (with the reason) only when absent."""
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"real-world fixtures not found at {SHARED_FIXTURES} (clone beside ../shared)")
    return SHARED_FIXTURES


@pytest.fixture
def fixtures_dir() -> Path:
    return shared_fixtures_or_skip()


def fixture_feed(name_part: str) -> Path:
    """The one fixture feed whose file name contains `name_part`."""
    feeds = shared_fixtures_or_skip() / "feeds"
    matches = [p for p in feeds.iterdir() if name_part in p.name]
    assert len(matches) == 1, f"{name_part!r} matches {len(matches)} fixture feeds"
    return matches[0]
