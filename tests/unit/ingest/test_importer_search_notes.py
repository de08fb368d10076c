"""What search reads of the notes (migration 0010): the importer writes each episode's notes
without the feed's boilerplate, and re-writes older episodes' when a line becomes
boilerplate as the feed grows. The notes themselves stay as the feed wrote them."""

from __future__ import annotations

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

PARTNER = "Our friends at Juniper Kettles keep this studio in tea."
TOPICS = ["Harbour seals", "Tidal pools", "Kelp forests"]


def _items(count: int) -> list[Item]:
    return [
        Item(topic, f"s{n}", number=n, days=n, notes=f"All about {topic.lower()}.\n{PARTNER}")
        for n, topic in enumerate(TOPICS[:count], 1)
    ]


async def test_a_line_that_becomes_boilerplate_leaves_every_episodes_search(tmp_path):
    path = tmp_path / "sea.db"
    # Two episodes: the line is not (yet) the feed's boilerplate, nor an ad marker.
    await import_feeds(path, write_feed(tmp_path, "sea.xml", "Sea Notes", _items(2)))
    async with await Store.open(path) as store:
        assert len(await Catalogue(store).search("Juniper Kettles", guild_id=None)) == 2
    # A third episode with the same line: now it is, and the older two change too.
    await import_feeds(path, write_feed(tmp_path, "sea.xml", "Sea Notes", _items(3)))
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        assert await catalogue.search("Juniper Kettles", guild_id=None) == []
        hits = await catalogue.search("kelp", guild_id=None)
        assert [h.episode.title for h in hits] == ["Kelp forests"]
        notes = [row[0] for row in await store.fetchall("SELECT notes_text FROM episodes")]
        assert len(notes) == 3 and all(PARTNER in text for text in notes)
