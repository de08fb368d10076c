"""Where the project, its example show and the real-world sample data live."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
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


def raw_item_element(feed: str, title_start: str, tag: str) -> str:
    """An element's text exactly as written in the feed file (XML entities not decoded)."""
    raw = fixture_feed(feed).read_text(encoding="utf-8")
    for item in raw.split("<item>")[1:]:
        title = re.search(r"<title>(?:<!\[CDATA\[)?(.*?)(?:\]\]>)?</title>", item, re.DOTALL)
        if title and title.group(1).startswith(title_start):
            element = re.search(rf"<{tag}>(.*?)</{tag}>", item, re.DOTALL)
            assert element, f"{tag} not found in {title_start!r}"
            return element.group(1)
    raise AssertionError(f"no item titled {title_start!r} in {feed}")
