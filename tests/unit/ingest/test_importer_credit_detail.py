"""A credit's honorific and affiliation are its detail, stored and shown, not part of the name."""

from __future__ import annotations

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed


async def test_a_credits_honorific_and_company_are_kept_beside_one_person(tmp_path):
    feed = write_feed(
        tmp_path,
        "kilns.xml",
        "Kiln Talk",
        [
            Item("Salt firing", "k1", number=1, days=1, guests=("Dr. Ann Lee - Quarry Labs",)),
            Item("Raku", "k2", number=2, days=2, guests=("Ann Lee",)),
        ],
    )
    await import_feeds(tmp_path / "kilns.db", feed)
    async with await Store.open(tmp_path / "kilns.db") as store:
        catalogue = Catalogue(store)
        person = await catalogue.person("Ann Lee", guild_id=None)
        assert person is not None and len(person.episodes) == 2  # one person, not two
        first = (await catalogue.resolve_episode("Salt firing", guild_id=None)).episode
        assert first is not None
        detail = await catalogue.episode_detail(first.id, guild_id=None)
        assert detail is not None
        (credit,) = [p for p in detail.persons if p.role == "guest"]
        assert credit.name == "Ann Lee"
        assert credit.detail is not None
        assert "Dr." in credit.detail and "Quarry Labs" in credit.detail
