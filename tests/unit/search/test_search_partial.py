"""Partial matches ("closest partial matches") only when they hold most of what the topic
is about: its rare words weigh more than its common ones (issue 12, item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import example_store_file


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
