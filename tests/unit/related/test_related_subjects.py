"""Related: a regular panelist tagged as a guest is no shared guest; episodes whose titles
share a two-word subject are linked for it, with the phrase as the reason. Made-up feeds."""

from __future__ import annotations

from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed

# A shipyard show: each episode's notes talk about something different, so only the title
# phrase ("tidal turbines") or a guest can link two of them.
TOPICS = [
    ("Tidal turbines in the Pentland Firth", "Blades under water, currents and seals."),
    ("Welding hulls", "Arc, gas and the smell of burnt primer."),
    ("Tidal turbines after ten years",
     "Bronze castings and cavitation: the same bronze castings, the same cavitation and"
     " pitch as a ship's propellers, and the same copper antifouling paint below the"
     " waterline."),
    ("Rope and knots", "Bowlines, hitches and a splice that holds."),
    ("Paint below the waterline", "Antifouling, copper and the rules against it."),
    ("Tidal turbines and the grid", "Cables to shore and when the tide turns."),
    ("Launch day", "Champagne, chocks and a slipway greased with tallow."),
    ("Rivets", "Hot rivets thrown across a yard and caught in a bucket."),
    ("Dry docks", "Pumping out a basin and shoring a keel."),
    ("Propellers", "Cavitation, pitch and bronze castings; propellers and their bronze."),
    ("Steel prices", "Mills, tariffs and a plate of a certain thickness."),
    ("Apprentices", "Learning a trade from the people who have it."),
] + [(f"Yard log {word}", f"The {word} shift at the yard.") for word in (
    ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
     "juliet", "kilo", "lima")
)]  # fmt: skip


def feed_items(panelist_on: set[int], guest_on: set[int]) -> list[Item]:
    items = []
    for i, (title, notes) in enumerate(TOPICS, 1):
        guests = []
        if i in panelist_on:
            guests.append("Odile Marchetti")  # a regular, tagged as a guest
        if i in guest_on:
            guests.append("Kasimir Oyelaran")  # a real guest, twice
        items.append(Item(title, f"y{i}", notes=notes, number=i, days=i, guests=tuple(guests)))
    return items


async def related_of(tmp_path, title: str, items: list[Item]):
    feed = write_feed(tmp_path, "yard.xml", "Shipyard Hours", items)
    await import_feeds(tmp_path / "yard.db", feed)
    async with await Store.open(tmp_path / "yard.db") as store:
        catalogue = Catalogue(store)
        episode = (await catalogue.resolve_episode(title, guild_id=None)).episode
        assert episode is not None
        return await catalogue.related(episode.id, guild_id=None)


async def test_episodes_sharing_a_title_subject_are_linked_for_it(tmp_path):
    related = await related_of(tmp_path, "Tidal turbines after ten years", feed_items(set(), set()))
    first_two = {r.episode.title for r in related[:2]}
    assert first_two == {"Tidal turbines in the Pentland Firth", "Tidal turbines and the grid"}
    for entry in related[:2]:
        # read as the process first saw the words: "Tidal turbines" or "tidal turbine"
        assert entry.shared_terms[0].casefold().startswith("tidal turbine")


async def test_a_regular_panelist_is_no_shared_guest_but_a_real_guest_is(tmp_path):
    # six episodes of twenty-four: under the 30% that makes a name boilerplate
    panelist = {2, 4, 5, 7, 8, 9}
    items = feed_items(panelist, guest_on={2, 11})
    related = await related_of(tmp_path, "Welding hulls", items)
    assert all("Odile Marchetti" not in r.shared_people for r in related)
    assert related[0].episode.title == "Steel prices"
    assert related[0].shared_people == ("Kasimir Oyelaran",)
