"""`/guest` autocomplete: a name is found from inside it, diacritics folded both ways."""

from __future__ import annotations

import pytest

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed


@pytest.fixture
async def catalogue(tmp_path):
    feed = write_feed(
        tmp_path,
        "kilns.xml",
        "Kiln Diaries",
        [
            Item("Glazes", "k1", number=1, guests=("Søren Livingston",)),
            Item("Raku", "k2", number=2, days=1, guests=("Zoë Quaresma",)),
            Item("Clay bodies", "k3", number=3, days=2, guests=("Maria Livia Costa",)),
            Item("Firing", "k4", number=4, days=3, guests=("Ada Stonebridge",)),
        ],
    )
    await import_feeds(tmp_path / "kilns.db", feed)
    async with await Store.open(tmp_path / "kilns.db") as store:
        yield Catalogue(store)


async def names(catalogue: Catalogue, typed: str) -> list[str]:
    return [s.name for s in await catalogue.complete_person(typed, guild_id=None)]


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ngston", "Søren Livingston"),  # inside a word
        ("soren", "Søren Livingston"),  # ø typed as o
        ("zoe", "Zoë Quaresma"),
        ("Zoë", "Zoë Quaresma"),
        ("resma", "Zoë Quaresma"),
    ],
)
async def test_a_name_is_found_from_inside_and_without_its_accents(catalogue, typed, found):
    assert any(found in name for name in await names(catalogue, typed))


async def test_a_word_start_match_comes_before_a_match_inside_a_word(catalogue):
    found = await names(catalogue, "ston")
    assert "Ada Stonebridge" in found[0] and "Søren Livingston" in found[1]


async def test_two_letters_do_not_match_inside_names(catalogue):
    assert not any("Quaresma" in name for name in await names(catalogue, "es"))
