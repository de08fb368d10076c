"""The card's notes leave out the feed's boilerplate, learned when the feed is imported;
the stored notes are unchanged."""

from __future__ import annotations

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

BREAD_TOPICS = ["rye sourdough", "focaccia", "bagels", "brioche"]


def _notes(topic: str, n: int) -> str:
    return (
        f"This week we bake {topic} and talk flour.\n"
        f"Our episode {n} partner Millstone Oven gives listeners a free baking tray.\n"
        "Write to the crumb desk with your bread questions."
    )


async def test_the_card_notes_leave_out_what_the_feed_repeats(tmp_path):
    feed = write_feed(
        tmp_path,
        "bread.xml",
        "Crumb Talk",
        [
            Item(topic.title(), f"b{n}", number=n, days=n, notes=_notes(topic, n))
            for n, topic in enumerate(BREAD_TOPICS, 1)
        ],
    )
    path = tmp_path / "bread.db"
    await import_feeds(path, feed)
    async with await Store.open(path) as store:
        rows = await store.fetchall("SELECT id, title, notes_text FROM episodes ORDER BY id")
        focaccia = next(row for row in rows if row["title"] == "Focaccia")
        detail = await Catalogue(store).episode_detail(focaccia["id"], guild_id=None)
        assert detail is not None
        assert detail.notes_text == "This week we bake focaccia and talk flour."
        # Stored as the feed wrote it.
        assert "Millstone Oven" in focaccia["notes_text"]
        assert "crumb desk" in focaccia["notes_text"]
