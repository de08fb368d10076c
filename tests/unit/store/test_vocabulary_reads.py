"""The vocabulary reads search draws on (bot/store/episode_reads.py): the index terms of
the searched indexes with how many rows hold each, summed over titles, notes, chapters
and passages, read whole, by a range or for chosen terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

ITEMS = [
    Item("Sourdough starter basics", "s1", number=1, days=1,
         notes="A starter needs flour and water. Καλημέρα to our Greek listeners."),
    Item("Baking rye bread", "s2", number=2, days=2,
         notes="Rye is heavier than wheat; our sourdough starter copes with it."),
]  # fmt: skip


@pytest.fixture
async def store(tmp_path: Path):
    path = tmp_path / "vocabulary.db"
    await import_feeds(path, write_feed(tmp_path, "bread.xml", "Crumb Talk", ITEMS))
    async with await Store.open(path) as opened:
        yield opened


async def test_term_rows_counts_each_term_over_the_indexes(store):
    counts = await store.term_rows(["sourdough", "rye", "absent"])
    # Each episode's row in the episodes index: title or notes, counted once per row.
    assert counts == {"sourdough": 2, "rye": 1, "absent": 0}


async def test_term_rows_reads_more_terms_than_one_statement_binds(store):
    # More terms than the store binds in one IN (...): every one answered all the same.
    asked = ["rye", *(f"unknown{n}" for n in range(2000)), "sourdough"]
    counts = await store.term_rows(asked)
    assert len(counts) == 2002 and counts["rye"] == 1 and counts["sourdough"] == 2
    assert sum(counts.values()) == 3


async def test_ranges_of_the_vocabulary(store):
    whole = await store.search_vocabulary()
    assert await store.terms_starting("sourd") == {"sourdough": whole["sourdough"]}
    assert await store.terms_starting("") == {}
    marked = await store.marked_terms()
    assert marked == {"καλημέρα": 1}
    assert all(term.isascii() for term in set(whole) - set(marked))


async def test_credited_names_are_everyone_credited_once(tmp_path: Path):
    items = [
        Item("Rye", "r1", number=1, days=1, guests=("Ines Okafor",), hosts=("Dana Whitfield",)),
        Item("Oats", "r2", number=2, days=2, guests=("Ines Okafor",), hosts=("Dana Whitfield",)),
    ]
    path = tmp_path / "credits.db"
    await import_feeds(path, write_feed(tmp_path, "grain.xml", "Grain Talk", items))
    async with await Store.open(path) as store:
        assert sorted(await store.credited_names()) == ["Dana Whitfield", "Ines Okafor"]
