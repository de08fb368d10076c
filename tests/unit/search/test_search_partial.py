"""Partial matches ("closest partial matches") only when they hold most of what the topic
is about: its rare words weigh more than its common ones (issue 12, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, example_store_file, import_feeds, write_feed


@pytest.fixture(scope="module")
def example_file(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("example"))


@pytest.fixture
async def catalogue(example_file):
    async with await Store.open(example_file) as store:
        yield Catalogue(store)


@pytest.mark.parametrize(
    "topic",
    [
        # The show says "learning rate" a hundred times and never "honeybees".
        "learning rate of honeybees",
        # "neural networks" without the graphs and molecules that say what it is about.
        "graph neural networks for molecules",
    ],
)
async def test_common_words_of_a_topic_alone_are_nothing_found(catalogue, topic):
    assert await catalogue.when(topic, guild_id=None) == []


async def test_a_partial_match_holding_the_rare_words_is_still_offered(catalogue):
    # Two rare words of three, the third unknown to the catalogue: a labelled partial match.
    moments = await catalogue.when("infinite-width honeybees", guild_id=None)
    assert moments and all(m.match == "any" for m in moments)
    assert {m.episode.number for m in moments[:2]} == {12, 21}


async def test_search_partial_matches_by_how_much_of_the_topic_they_hold(tmp_path):
    items = [
        Item("Burning Man", "b1", number=1, days=1, notes="A week of burnout in the desert."),
        Item("Open source burnout", "b2", number=2, days=2,
             notes="Why volunteers who keep open source projects running stop."),
        Item("Hardware", "b3", number=3, days=3, notes="Maintainers of open hardware."),
        Item("Compilers", "b4", number=4, days=4, notes="Parsing, with an open mind."),
    ]  # fmt: skip
    path = tmp_path / "partial.db"
    await import_feeds(path, write_feed(tmp_path, "partial.xml", "Partial Show", items))
    async with await Store.open(path) as store:
        hits = await Catalogue(store).search("open source maintainers burnout", guild_id=None)
    # Nothing holds every word: partial matches, the one holding three of the four words
    # first; one word ("Burning Man", "Compilers") is not the topic.
    titles = [h.episode.title for h in hits]
    assert titles[0] == "Open source burnout" and {h.match for h in hits} == {"any"}
    assert "Burning Man" not in titles and "Compilers" not in titles
