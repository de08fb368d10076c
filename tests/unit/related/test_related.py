"""Related episodes: computed at import, stored, read as a lookup, refreshed when an
episode arrives — over the example feed and small hand-written feeds."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.models.related_types import RelatedRow, is_boilerplate
from bot.related.scoring import Candidate, RelatedRefresh, merge_offer, reasons, term_key
from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import HOSTS, Item, example_store_file, import_feeds, write_feed
from tests.support.paths import EXAMPLES

NEW_ITEM = """
    <item>
      <title>31: Zoë Harlan-Miyata on the Neural Tangent Kernel, Revisited</title>
      <guid isPermaLink="false">new-episode-31</guid>
      <pubDate>Tue, 03 Feb 2026 09:00:00 +0000</pubDate>
      <description><![CDATA[<p>Zoë is back to revisit the neural tangent kernel and the
      infinite-width limit, and what lazy training means for feature learning.</p>]]></description>
      <enclosure url="https://example.com/audio/ep31.mp3" length="1" type="audio/mpeg"/>
      <itunes:duration>3000</itunes:duration>
      <itunes:episode>31</itunes:episode>
      <podcast:person role="guest"
        href="https://example.com/people/zoe-harlan-miyata">Zoë Harlan-Miyata</podcast:person>
    </item>
"""


@pytest.fixture(scope="module")
def example_file(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("example"))


@pytest.fixture
async def catalogue(example_file):
    async with await Store.open(example_file) as store:
        yield Catalogue(store)


async def related_numbers(catalogue: Catalogue, number: int) -> dict[int, object]:
    episode = (await catalogue.resolve_episode(str(number), guild_id=None)).episode
    assert episode is not None
    return {r.episode.number: r for r in await catalogue.related(episode.id, guild_id=None)}


async def test_episodes_with_the_same_guest_are_most_related(catalogue):
    related = await related_numbers(catalogue, 12)
    assert list(related)[:2] in ([21, 29], [29, 21])
    assert related[21].shared_people == ("Zoë Harlan-Miyata",)
    assert len(related) == 5


async def test_related_says_which_distinctive_words_episodes_share(catalogue):
    related = await related_numbers(catalogue, 16)  # the mailbag: warmup, width, weight decay
    reasons_seen = {term for r in related.values() for term in r.shared_terms}
    assert {"weight decay", "warmup"} & reasons_seen
    for entry in related.values():
        assert entry.shared_people or entry.shared_terms
        assert len(entry.shared_terms) <= 3


async def test_hosts_are_never_a_reason(catalogue):
    for number in (1, 3, 12, 16, 17, 25, 30):
        for entry in (await related_numbers(catalogue, number)).values():
            assert not set(HOSTS) & set(entry.shared_people)
            assert not {"Maren", "Kwame", "Warm Restarts"} & set(entry.shared_terms)


async def test_related_is_limited_and_never_lists_the_episode_itself(catalogue):
    episode = (await catalogue.resolve_episode("3", guild_id=None)).episode
    related = await catalogue.related(episode.id, guild_id=None, limit=2)
    assert len(related) == 2
    assert episode.id not in {r.episode.id for r in related}
    assert related[0].score >= related[1].score


async def test_a_new_episode_is_related_without_recomputing_the_feed(tmp_path):
    folder = tmp_path / "show"
    shutil.copytree(EXAMPLES, folder)
    store_path = tmp_path / "store.db"
    await import_feeds(store_path, folder / "feed.xml")

    feed = folder / "feed.xml"
    text = feed.read_text(encoding="utf-8")
    feed.write_text(text.replace("<item>", NEW_ITEM.strip() + "\n    <item>", 1), encoding="utf-8")
    async with await Store.open(store_path) as store:
        feed_id = (await store.feeds())[0].id
        refresh = await RelatedRefresh.prepare(store, feed_id, new_count=1, updated_ids=[])
        assert not refresh.full  # one new episode in 32: only what it touches
    await import_feeds(store_path, feed)

    async with await Store.open(store_path) as store:
        catalogue = Catalogue(store)
        new = await related_numbers(catalogue, 31)
        assert {12, 21, 29} <= set(new)
        assert new[12].shared_people == ("Zoë Harlan-Miyata",)
        # The new episode entered the lists of the episodes it is most related to.
        assert 31 in await related_numbers(catalogue, 12)
        assert 31 in await related_numbers(catalogue, 21)
        # ... and autocomplete knows it at once.
        names = [s.name for s in await catalogue.complete_episode("revisited", guild_id=None)]
        assert names[0].startswith("#31 · Zoë Harlan-Miyata on the Neural Tangent Kernel")


async def test_an_updated_episode_leaves_the_lists_it_no_longer_belongs_on(tmp_path):
    topics = ["tomatoes in pots", "tomatoes in winter", "bees", "compost heaps", "roses", "ponds"]
    items = [
        Item(f"Topic {i}: {topic}", f"g{i}", notes=f"All about {topic}.", days=i)
        for i, topic in enumerate(topics)
    ]
    feed = write_feed(tmp_path, "garden.xml", "Garden Talk", items)
    path = tmp_path / "garden.db"
    await import_feeds(path, feed)
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        first = (await catalogue.resolve_episode("tomatoes in pots", guild_id=None)).episode
        before = await catalogue.related(first.id, guild_id=None)
    assert before[0].episode.title == "Topic 1: tomatoes in winter"

    items[1] = Item("Topic 1: ponds in winter", "g1", notes="All about ponds.", days=1)
    write_feed(tmp_path, "garden.xml", "Garden Talk", items)
    await import_feeds(path, feed)
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        after = await catalogue.related(first.id, guild_id=None)
        ponds = (await catalogue.resolve_episode("Topic 5: ponds", guild_id=None)).episode
        pond_related = await catalogue.related(ponds.id, guild_id=None)
    assert all("tomato" not in " ".join(r.shared_terms) for r in after)
    assert pond_related[0].episode.title == "Topic 1: ponds in winter"
    assert pond_related[0].shared_terms in (("ponds",), ("pond",))


async def test_feed_wide_boilerplate_is_not_a_shared_topic(tmp_path):
    sponsor = "\nThis episode is brought to you by Zorblax. Visit zorblax.example for more."
    items = [
        Item(f"Topic {i}: {topic}", f"g{i}", notes=f"We talk about {topic}.{sponsor}", days=i)
        for i, topic in enumerate(
            ["gardening tomatoes", "tomatoes in winter", "bees", "compost", "pruning roses"]
        )
    ]
    feed = write_feed(tmp_path, "garden.xml", "Garden Talk", items)
    await import_feeds(tmp_path / "garden.db", feed)
    async with await Store.open(tmp_path / "garden.db") as store:
        catalogue = Catalogue(store)
        first = (await catalogue.resolve_episode("gardening tomatoes", guild_id=None)).episode
        related = await catalogue.related(first.id, guild_id=None)
    assert related[0].episode.title == "Topic 1: tomatoes in winter"
    # Spelled as the feeds spell it (singular or plural: other tests' words are seen too).
    assert related[0].shared_terms in (("tomatoes",), ("tomato",))
    assert all("zorblax" not in term.casefold() for r in related for term in r.shared_terms)


async def test_related_across_feeds_is_filtered_by_scope(tmp_path):
    show_a = write_feed(
        tmp_path, "a.xml", "Show A", [Item("Beekeeping basics", "a1", guests=("Ida Hive",))]
    )
    show_b = write_feed(
        tmp_path, "b.xml", "Show B", [Item("Bees in cities", "b1", guests=("Ida Hive",))]
    )
    path = tmp_path / "two.db"
    await import_feeds(path, show_a, show_b)
    async with await Store.open(path) as store:
        feeds = {f.title: f.id for f in await store.feeds()}
        async with store.transaction() as db:
            await db.execute("UPDATE feeds SET is_global = 0 WHERE id = ?", (feeds["Show B"],))
            await db.execute(
                "INSERT INTO guild_feeds (guild_id, feed_id, added_at) VALUES (7, ?, 0)",
                (feeds["Show B"],),
            )
        catalogue = Catalogue(store)
        first = (await catalogue.resolve_episode("beekeeping", guild_id=None)).episode
        seen_in_guild = await catalogue.related(first.id, guild_id=7)
        assert [r.episode.title for r in seen_in_guild] == ["Bees in cities"]
        assert seen_in_guild[0].shared_people == ("Ida Hive",)
        assert await catalogue.related(first.id, guild_id=8) == []


# ---------------------------------------------------------------------- pure parts


def test_terms_fold_case_plurals_and_possessives():
    assert term_key("Rates") == term_key("rate") == term_key("rate's") == "rate"
    assert term_key("Studies") == "study"
    assert term_key("process") == "process"
    assert term_key("Zoë") == "zoe"


def test_a_term_in_a_third_of_a_feed_is_boilerplate():
    assert is_boilerplate(df=10, episodes=30)
    assert not is_boilerplate(df=9, episodes=30)
    assert not is_boilerplate(df=2, episodes=4)  # small feeds: two is still shared


def test_a_phrase_is_shown_instead_of_its_words():
    candidate = Candidate(
        2,
        1,
        0.5,
        terms=[
            (0.3, "learning", "learning"),
            (0.2, "learning rate", "learning rate"),
            (0.1, "rate", "rate"),
            (0.05, "warmup", "warmup"),
        ],
        people=["Zoë Harlan-Miyata"],
    )
    people, terms = reasons(candidate)
    assert people == ("Zoë Harlan-Miyata",)
    assert terms == ("learning rate", "warmup")


def test_an_offer_enters_a_list_only_when_it_beats_the_last():
    full = [
        RelatedRow(1, other, True, score, (), ())
        for other, score in [(2, 0.9), (3, 0.8), (4, 0.7), (5, 0.6), (6, 0.5)]
    ]
    better = merge_offer(full, RelatedRow(1, 9, True, 0.65, (), ()))
    assert [r.related_id for r in better] == [2, 3, 4, 9, 5]
    worse = merge_offer(full, RelatedRow(1, 9, True, 0.1, (), ()))
    assert [r.related_id for r in worse] == [2, 3, 4, 5, 6]
    # An episode already listed whose score fell: the list must be recomputed.
    assert merge_offer(full, RelatedRow(1, 3, True, 0.1, (), ())) is None


async def test_an_episode_that_changed_leaves_other_feeds_lists(tmp_path):
    show_a = write_feed(
        tmp_path, "a.xml", "Show A", [Item("Beekeeping basics", "a1", guests=("Ida Hive",))]
    )
    show_b = write_feed(
        tmp_path, "b.xml", "Show B", [Item("Bees in cities", "b1", guests=("Ida Hive",))]
    )
    path = tmp_path / "two.db"
    await import_feeds(path, show_a, show_b)
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        bees = (await catalogue.resolve_episode("bees in cities", guild_id=None)).episode
        assert [r.episode.title for r in await catalogue.related(bees.id, guild_id=None)] == [
            "Beekeeping basics"
        ]

    # Show A's only episode becomes another one: the whole feed is computed again.
    write_feed(tmp_path, "a.xml", "Show A", [Item("Knitting socks", "a1", notes="Wool.")])
    await import_feeds(path, show_a)
    async with await Store.open(path) as store:
        assert await Catalogue(store).related(bees.id, guild_id=None) == []
