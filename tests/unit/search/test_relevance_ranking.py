"""Ranking for what members mean (issue 12): a person named in a /when topic, partial
matches by coverage, typo tolerance from the catalogue's vocabulary. The numbers are in
bench/bench_relevance.py; these pin the behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.search.catalogue import Catalogue
from bot.search.fts_query import coverage
from bot.search.lookup import IndexedPerson
from bot.search.topic_people import person_in_topic
from bot.store import Store
from tests.support.catalogues import example_store_file

ZOE = IndexedPerson(1, "Zoë Harlan-Miyata", "zoe harlan-miyata", ("zoe", "harlan", "miyata"))
ZOE.episodes.append((12, "guest"))
MAX = IndexedPerson(2, "Max Kless", "max kless", ("max", "kless"))
MAX.episodes.append((40, "guest"))


@pytest.fixture(scope="module")
def example_file(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("example"))


@pytest.fixture
async def catalogue(example_file):
    async with await Store.open(example_file) as store:
        yield Catalogue(store)


@pytest.mark.parametrize(
    ("topic", "rest"),
    [
        ("what Zoë said about depth", "what depth"),
        ("Zoe Harlan-Miyata depth", "depth"),
        ("zoe harlan miyata on kernels", "kernels"),
        ("Zoë asks about depth", "depth"),
    ],
)
def test_a_person_named_in_a_topic_is_taken_out_of_it(topic, rest):
    named = person_in_topic(topic, [ZOE, MAX])
    assert named is not None and named.person is ZOE and named.rest == rest


@pytest.mark.parametrize("topic", ["max pooling", "Zoë Harlan-Miyata", "depth"])
def test_no_person_lower_case_word_alone_name_alone_or_no_name(topic):
    assert person_in_topic(topic, [ZOE, MAX]) is None


def test_a_person_out_of_scope_is_not_named():
    assert person_in_topic("Zoë on depth", [ZOE], in_scope={99}) is None


def test_coverage_counts_distinct_words_from_the_highlights():
    text = "the \x02rye\x03 bread and more \x02rye\x03, no \x02whiskeys\x03"
    assert coverage(text, ("rye", "whiskey", "distilling")) == 2
    assert coverage("nothing marked", ("rye",)) == 0


async def test_the_named_guest_s_episode_comes_first(catalogue):
    moments = await catalogue.when("Zoë on parametrisations", guild_id=None)
    assert moments and moments[0].episode.number == 12


async def test_a_typo_is_respelled_from_the_catalogue_and_said(catalogue):
    moments, shown = await catalogue.when_spelled("parametrisatons", guild_id=None)
    assert shown == "parametrisations"
    assert moments and moments[0].episode.number == 12 and moments[0].match != "any"


async def test_a_typo_is_compared_by_its_stem_too(catalogue):
    # "difusion" is far from the index's term "diffus" as typed, close as a stem ("difus").
    moments, shown = await catalogue.when_spelled("difusion weather", guild_id=None)
    assert shown == "diffusion weather"
    assert moments and moments[0].episode.number == 20


async def test_known_words_are_not_respelled(catalogue):
    _, shown = await catalogue.when_spelled("learning rate", guild_id=None)
    assert shown is None
    moments, shown = await catalogue.when_spelled("zzyzx qwertyuiop", guild_id=None)
    assert moments == [] and shown is None


@pytest.fixture(scope="module")
def previews_file(tmp_path_factory) -> Path:
    """bench/relevance/slow-tokens.xml (openings that preview the hour), transcripts too."""
    import asyncio

    from bot.ingest.fetch import Fetcher
    from bot.ingest.importer import Importer
    from bot.transcripts.transcript_sync import TranscriptSync
    from tests.support.paths import PROJECT

    path = tmp_path_factory.mktemp("previews") / "previews.db"

    async def build() -> None:
        async with await Store.open(path) as store, Fetcher() as fetcher:
            summary = await Importer(store, fetcher, remote_files=False).import_source(
                str(PROJECT / "bench" / "relevance" / "slow-tokens.xml")
            )
            assert summary.ok and summary.feed_id is not None
            await TranscriptSync(store, fetcher, remote_files=False).sync_feed(summary.feed_id)

    asyncio.run(build())
    return path


async def test_a_preview_comes_after_the_discussion_it_announces(previews_file):
    async with await Store.open(previews_file) as store:
        catalogue = Catalogue(store)
        # Said in the opening's list and discussed at 7:10 and 7:32.
        moments = await catalogue.when("coral bleaching", guild_id=None)
        assert moments[0].start is not None and moments[0].start >= 400
        # Only the opening holds all three words: the passage holding most of them
        # (labelled partial) comes first, then the opening.
        moments = await catalogue.when("reef restoration nurseries", guild_id=None)
        assert [(m.match, (m.start or 0) < 90) for m in moments[:2]] == [
            ("any", False),
            ("phrase", True),
        ]
        # An opening that is the only place a topic comes up stays first.
        moments = await catalogue.when("a detour from computing", guild_id=None)
        assert moments and moments[0].start is not None and moments[0].start < 90
