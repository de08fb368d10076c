"""`/related` keeps to the episode's own show; another show's episode is listed only when
the link is strong (a shared guest, or much in common), after the show's own."""

from __future__ import annotations

from bot.related.scoring import _meaningful_key, name_keys, signature
from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

GARDEN = [
    ("Tomatoes under glass", "Claire grows tomatoes under glass and waters them at dawn."),
    ("Tomatoes outdoors", "Blight, tomatoes outdoors and staking in wind."),
    ("Compost heaps", "Turning compost heaps and what worms eat."),
    ("Pruning roses", "Pruning roses in late winter."),
]
KITCHEN = [
    ("Bread for beginners", "Claire bakes bread for beginners."),  # only a first name
    ("Knife skills", "Sharpening and holding a knife."),
    ("Soup stock", "Bones, onions and patience."),
]


async def test_a_shared_first_name_does_not_link_two_shows_but_a_guest_does(tmp_path):
    garden = write_feed(
        tmp_path,
        "garden.xml",
        "Garden Hour",
        [
            Item(t, f"g{i}", number=i, days=i, notes=n, guests=("Ivo Brandt",) if i == 1 else ())
            for i, (t, n) in enumerate(GARDEN, 1)
        ],
    )
    kitchen = write_feed(
        tmp_path,
        "kitchen.xml",
        "Kitchen Table",
        [
            Item(t, f"k{i}", number=i, days=i, notes=n, guests=("Ivo Brandt",) if i == 3 else ())
            for i, (t, n) in enumerate(KITCHEN, 1)
        ],
    )
    await import_feeds(tmp_path / "two.db", garden, kitchen)
    async with await Store.open(tmp_path / "two.db") as store:
        catalogue = Catalogue(store)
        first = (await catalogue.resolve_episode("Tomatoes under glass", guild_id=None)).episode
        assert first is not None
        related = await catalogue.related(first.id, guild_id=None)
    shows = [r.episode.feed_title for r in related]
    titles = [r.episode.title for r in related]
    assert "Bread for beginners" not in titles  # "Claire" is no link
    assert "Soup stock" in titles  # Ivo Brandt is on both
    # The show's own episodes come first.
    assert shows.index("Kitchen Table") > max(
        i for i, show in enumerate(shows) if show == "Garden Hour"
    )


def test_dates_fillers_and_segment_names_are_no_topics():
    for word in ["Feb", "März", "mars", "Questions", "might", "Housekeeping", "Pre-show"]:
        assert _meaningful_key(word) == "", word
    assert _meaningful_key("Tomatoes") == "tomatoe"  # a topic word stays (as its key)


def test_the_shows_name_in_any_order_is_no_topic():
    exclude = name_keys(["Lantern Gazette"])
    counts = {"gazette lantern": 3.0, "lantern": 3.0, "wick trimming": 3.0}
    df = {"gazette lantern": 1, "lantern": 1, "wick trimming": 1}
    terms = signature(counts, df, 20, exclude)
    assert list(terms) == ["wick trimming"]
