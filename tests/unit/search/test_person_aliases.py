"""One person under several spellings is one person in /guest (merged at lookup)."""

from __future__ import annotations

import pytest

from bot.search.catalogue import Catalogue
from bot.search.lookup import IndexedPerson, lookup_words
from bot.search.person_aliases import alias_key, merge_aliases
from bot.store import Store
from tests.support.catalogues import Item, import_feeds, write_feed


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("José Núñez", "Jose Nunez"),  # diacritics
        ("Jürgen Höller", "Juergen Hoeller"),  # umlauts spelled out
        ("Guy L. Steele Jr", "Guy Steele"),  # middle initial, suffix
        ("Dr. Ines Farrow", "Ines Farrow"),  # honorific
        ("Ruth  O’Hare", "ruth o'hare"),  # apostrophe, case, spaces
    ],
)
def test_spellings_of_one_name_share_a_key(a, b):
    assert alias_key(a) == alias_key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Ann Lee", "Anne Lee"),  # another first name is another person
        ("Ann Lee", "Ann Leeds"),
        ("Ann Lee", "Bo Lee"),
        ("Joe Smith", "Jo Smith"),  # no letter dropping beyond umlauts
    ],
)
def test_other_names_keep_other_keys(a, b):
    assert alias_key(a) != alias_key(b)


def person(pid: int, name: str, *episodes: int) -> IndexedPerson:
    return IndexedPerson(
        pid, name, name.casefold(), tuple(lookup_words(name)), [(e, "guest") for e in episodes]
    )


def test_a_nickname_with_the_same_href_and_last_name_is_one_person():
    people = [person(1, "Dave Ortmann", 1), person(2, "David Ortmann", 2, 3)]
    hrefs = {1: "https://example.org/people/dortmann", 2: "http://www.example.org/people/dortmann/"}
    (merged,) = merge_aliases(people, hrefs)
    assert merged.name == "David Ortmann"  # the spelling on most episodes
    assert {e for e, _ in merged.episodes} == {1, 2, 3}
    assert "dave" in merged.words and "david" in merged.words


def test_a_misspelt_last_name_with_the_same_href_is_one_person():
    # Podcasting 2.0 credits "Roy Scheinfeld" and "Roy Sheinfeld" with one href.
    people = [person(1, "Rune Halvorsen", 1), person(2, "Rune Halvorson", 2)]
    hrefs = {1: "https://example.org/@rune", 2: "https://example.org/@rune"}
    assert len(merge_aliases(people, hrefs)) == 1
    site = {1: "https://runes.example/", 2: "https://runes.example"}  # the company's site
    assert len(merge_aliases(people, site)) == 1


def test_a_shared_site_or_another_last_name_is_no_alias():
    people = [person(1, "Dave Ortmann", 1), person(2, "Mia Ortmann", 2), person(3, "Ivo Kern", 3)]
    site = {1: "https://example.org/", 2: "https://example.org", 3: "https://example.org/"}
    assert len(merge_aliases(people, site)) == 3
    page = {1: "https://example.org/team", 3: "https://example.org/team"}
    assert len(merge_aliases(people, page)) == 3  # same page, other last names


@pytest.fixture
async def catalogue(tmp_path):
    kilns = write_feed(
        tmp_path,
        "kilns.xml",
        "Kiln Diaries",
        [
            Item("Glazes", "k1", number=1, guests=("José Núñez",)),
            Item("Raku", "k2", number=2, days=1, guests=("Jose Nunez",)),
            Item("Compilers", "k3", number=3, days=2, guests=("Guy L. Steele Jr",)),
        ],
    )
    code = write_feed(
        tmp_path,
        "code.xml",
        "Code Hour",
        [Item("Lisp", "c1", number=1, guests=("Guy Steele",))],
    )
    await import_feeds(tmp_path / "db.db", kilns, code)
    async with await Store.open(tmp_path / "db.db") as store:
        yield Catalogue(store)


async def test_guest_shows_one_person_for_every_spelling(catalogue):
    suggestions = [s.name for s in await catalogue.complete_person("nunez", guild_id=None)]
    assert len(suggestions) == 1 and "(2 episodes)" in suggestions[0]
    found = await catalogue.person("Jose Nunez", guild_id=None)
    assert found is not None
    assert sorted(e.title for e in found.episodes) == ["Glazes", "Raku"]
    steele = await catalogue.person("Guy Steele", guild_id=None)
    assert steele is not None
    assert sorted(e.title for e in steele.episodes) == ["Compilers", "Lisp"]
