"""A read that a feed repeats on a few of its episodes (too few for the 30% rule) is its
boilerplate too: learned at import, it links no episodes."""

from __future__ import annotations

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

TOPICS = [
    "river otters", "badger setts", "hedgehog crossings", "barn owls", "pine martens",
    "water voles", "red squirrels", "dormice", "bats in churches", "newts in ponds",
    "kingfishers", "adders", "hares boxing", "stoats in winter", "wildcats",
    "beavers returning", "seals on the coast", "otters again", "glow-worms", "natterjack toads",
]  # fmt: skip
# No marker word ("sponsor", "code"…): only its recurrence says it is a read.
READ = "Quillfeather makes waterproof notebooks for field naturalists, stitched in Kendal."


async def test_a_read_on_a_fifth_of_the_episodes_is_no_shared_topic(tmp_path):
    items = [
        Item(
            f"{i}: {topic.capitalize()}",
            f"w{i}",
            number=i,
            days=i,
            notes=f"We go looking for {topic} at dusk.\n" + (READ if i % 5 == 0 else ""),
        )
        for i, topic in enumerate(TOPICS, 1)
    ]
    feed = write_feed(tmp_path, "wild.xml", "Wild Hours", items)
    await import_feeds(tmp_path / "wild.db", feed)
    async with await Store.open(tmp_path / "wild.db") as store:
        catalogue = Catalogue(store)
        martens = (await catalogue.resolve_episode("5", guild_id=None)).episode
        assert martens is not None and martens.title == "5: Pine martens"
        related = await catalogue.related(martens.id, guild_id=None)
        detail = await catalogue.episode_detail(martens.id, guild_id=None)
    terms = {term.casefold() for r in related for term in r.shared_terms}
    assert not terms & {"quillfeather", "notebook", "naturalist", "kendal", "waterproof"}
    assert detail is not None and detail.notes_text == "We go looking for pine martens at dusk."
