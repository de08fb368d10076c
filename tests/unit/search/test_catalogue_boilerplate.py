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


SWIFT_FACTS = (
    "They spend ten months aloft, eat insects caught in the air, drink rain, mate in "
    "flight, and return each May to the same gap under the same roof tiles; ringers in "
    "Oxford have followed one colony in a church tower since the nineteen forties, and "
    "their counts show fewer nests every decade as old buildings are sealed up."
)


async def test_a_search_never_finds_an_episode_by_its_ad(tmp_path):
    ad = "Tonight's rest is on Driftwood Mattresses: better sleep, delivered to your door."
    items = [
        Item(f"{topic.title()}", f"n{n}", number=n, days=n, notes=f"{text}\n{ad}")
        for n, (topic, text) in enumerate(
            [
                ("owls", "Owls."),
                ("swifts", "Swifts sleep on the wing. " + SWIFT_FACTS),
                ("moths", "Moths and the moon."),
                ("bats", "Bats in the church tower."),
            ],
            1,
        )
    ]
    feed = write_feed(tmp_path, "night.xml", "Night Shift", items)
    path = tmp_path / "night.db"
    await import_feeds(path, feed)
    async with await Store.open(path) as store:
        hits = await Catalogue(store).search("sleep", guild_id=None)
    titles = [h.episode.title for h in hits]
    # "Swifts" holds the word in its own notes; the others only in the ad, which the
    # index leaves out (migration 0010): they are not found at all.
    assert titles == ["Swifts"]
    async with await Store.open(path) as store:
        moments = await Catalogue(store).when("mattresses", guild_id=None)
        stored = await store.fetchall("SELECT notes_text FROM episodes")
    assert moments == []
    assert all("Driftwood Mattresses" in row[0] for row in stored)  # the notes, unchanged


async def test_a_feeds_learned_boilerplate_goes_with_the_feed(tmp_path):
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
        feed_id = (await store.fetchall("SELECT id FROM feeds"))[0]["id"]
        assert await store.get_state(f"boilerplate:{feed_id}")
        async with store.transaction() as db:
            await db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))
        assert await store.get_state(f"boilerplate:{feed_id}") is None
