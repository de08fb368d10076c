"""The catalogue services behind the member commands, over real stores imported from the
example feed (examples/README.md says what is in it) and small hand-written feeds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.models.episode_views import HIGHLIGHT_END, HIGHLIGHT_START, Moment
from bot.search.catalogue import Catalogue
from bot.search.lookup import parse_episode_value
from bot.store import Store
from tests.support.catalogues import (
    HOSTS,
    Item,
    copy_store,
    example_store_file,
    import_feeds,
    store_file,
    write_feed,
)

LEARNING_RATE_CHAPTERS = {1, 3, 5, 6, 10, 14, 16, 26}


@pytest.fixture(scope="module")
def example_file(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("example"))


@pytest.fixture
async def catalogue(example_file):
    async with await Store.open(example_file) as store:
        yield Catalogue(store)


@pytest.fixture(scope="module")
def small_show_file(tmp_path_factory) -> Path:
    """Two seasons that both have an episode 1, a guest named Arora, a very long title,
    and notes with a chapter list and a timed sentence in the same minute as a chapter."""
    folder = tmp_path_factory.mktemp("small")
    notes = (
        "We talk warmup and schedules.\n"
        "0:00 Intro\n12:00 Warmup in practice\n20:00 Wrap-up\n"
        "At 12:40 in, we come back to warmup for large batches."
    )
    feed = write_feed(
        folder,
        "small.xml",
        "Small Show",
        [
            Item("Pilot", "s1e1", number=1, season=1, guests=("Sanjeev Arora",)),
            Item("Pilot, again", "s2e1", number=1, season=2, days=300, notes=notes),
            Item("Trains " + "and boats " * 40, "long", number=2, season=2, days=301),
        ],
    )
    return store_file(folder / "small.db", feed)


@pytest.fixture
async def small(small_show_file):
    async with await Store.open(small_show_file) as store:
        yield Catalogue(store)


def numbers(episodes) -> list[int | None]:
    return [e.number for e in episodes]


def plain(text: str) -> str:
    return text.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")


# ---------------------------------------------------------------------- resolving


@pytest.mark.parametrize(
    "typed",
    [
        "12",
        "#12",
        "ep 12",
        "Ep. 12",
        "Episode 12",
        "episode #12",
        "  12  ",
        "infinitely wide",
        "Infinitely Wide Neural Networks",
        "12: Zoë Harlan-Miyata on Infinitely Wide Neural Networks",
        "infinitly wide",  # typo
        "infinitely wdie neural",  # typo
    ],
)
async def test_an_episode_is_found_by_number_title_fragment_or_typo(catalogue, typed):
    resolution = await catalogue.resolve_episode(typed, guild_id=None)
    assert resolution.episode is not None, resolution.closest
    assert resolution.episode.number == 12


async def test_an_autocomplete_value_resolves_to_exactly_that_episode(catalogue):
    suggestions = await catalogue.complete_episode("zoe", guild_id=None)
    assert suggestions
    for suggestion in suggestions:
        resolution = await catalogue.resolve_episode(suggestion.value, guild_id=None)
        assert resolution.episode is not None
        assert resolution.episode.id == parse_episode_value(suggestion.value)
        assert resolution.episode.title.endswith(
            plain(suggestion.name).split(" · ", 1)[1][:10]
        ) or (str(resolution.episode.number) in suggestion.name)


async def test_a_title_fragment_shared_by_several_titles_picks_the_one_most_about_it(catalogue):
    resolution = await catalogue.resolve_episode("scaling laws", guild_id=None)
    assert resolution.episode is not None
    assert resolution.episode.number == 5  # "Bartholomew Ndiaye on Scaling Laws"


async def test_an_unknown_episode_gets_the_closest_matches(catalogue):
    resolution = await catalogue.resolve_episode("quantum knitting festival", guild_id=None)
    assert resolution.episode is None
    assert len(resolution.closest) <= 5


async def test_an_unknown_number_offers_the_nearest_numbers(catalogue):
    resolution = await catalogue.resolve_episode("#99", guild_id=None)
    assert resolution.episode is None
    assert resolution.closest and resolution.closest[0].number == 30


async def test_a_typo_offers_the_title_it_resembles(catalogue):
    resolution = await catalogue.resolve_episode("adversarial exmples", guild_id=None)
    found = [resolution.episode] if resolution.episode else resolution.closest
    assert 11 in numbers(found)


async def test_a_number_in_two_seasons_is_ambiguous_and_offers_both(small):
    resolution = await small.resolve_episode("1", guild_id=None)
    assert resolution.episode is None and resolution.ambiguous
    assert sorted((e.season, e.number) for e in resolution.closest) == [(1, 1), (2, 1)]


@pytest.mark.parametrize("typed", ["S2E1", "s2 e1", "season 2 episode 1", "S02E01"])
async def test_season_and_number_pick_one_episode(small, typed):
    resolution = await small.resolve_episode(typed, guild_id=None)
    assert resolution.episode is not None
    assert (resolution.episode.season, resolution.episode.number) == (2, 1)


# ---------------------------------------------------------------------- autocomplete


async def test_empty_autocomplete_offers_the_newest_episodes(catalogue):
    suggestions = await catalogue.complete_episode("", guild_id=None)
    assert len(suggestions) == 25
    assert suggestions[0].name.startswith("#30 · Bartholomew Ndiaye on What Scaling Laws")
    assert suggestions[0].name.endswith("(2026)")


@pytest.mark.parametrize("typed", ["", "1", "12", "ep 3", "zoe", "learn rat", "infinitly", "a"])
async def test_autocomplete_choices_fit_discord(catalogue, typed):
    suggestions = await catalogue.complete_episode(typed, guild_id=None)
    assert len(suggestions) <= 25
    for suggestion in suggestions:
        assert 1 <= len(suggestion.name) <= 100
        assert 1 <= len(suggestion.value) <= 100


async def test_autocomplete_by_number_puts_that_episode_first(catalogue):
    suggestions = await catalogue.complete_episode("#12", guild_id=None)
    assert suggestions[0].name.startswith("#12 · Zoë Harlan-Miyata on Infinitely Wide")


async def test_autocomplete_by_a_guest_name_offers_their_episodes(catalogue):
    suggestions = await catalogue.complete_episode("José Ibarr", guild_id=None)
    assert [s.name.split(" · ")[0] for s in suggestions] == ["#26", "#14", "#3"]


async def test_autocomplete_matches_the_start_of_any_title_word(catalogue):
    names = [s.name for s in await catalogue.complete_episode("sparse autoenc", guild_id=None)]
    assert names and names[0].startswith("#9 · Søren Vestergaard on Sparse Autoencoders")


async def test_autocomplete_forgives_typos(catalogue):
    names = [s.name for s in await catalogue.complete_episode("diffsion", guild_id=None)]
    assert {"#8", "#19", "#20"} <= {name.split(" · ")[0] for name in names}


async def test_autocomplete_finds_a_name_from_a_typo(small):
    names = [s.name for s in await small.complete_episode("aror", guild_id=None)]
    assert names and "Pilot" in names[0]
    people = [s.name for s in await small.complete_person("arroa", guild_id=None)]
    assert people == ["Sanjeev Arora (1 episode)"]


async def test_a_very_long_title_is_cut_to_fit(small):
    suggestions = await small.complete_episode("trains", guild_id=None)
    assert suggestions and len(suggestions[0].name) <= 100
    assert suggestions[0].name.startswith("S2E2 · Trains and boats")
    assert "…" in suggestions[0].name


async def test_person_autocomplete_shows_episode_counts(catalogue):
    suggestions = await catalogue.complete_person("zo", guild_id=None)
    assert suggestions[0].name == "Zoë Harlan-Miyata (3 episodes)"
    assert suggestions[0].value == "Zoë Harlan-Miyata"
    everyone = await catalogue.complete_person("", guild_id=None)
    assert 0 < len(everyone) <= 25


# ---------------------------------------------------------------------- one episode, lists


async def test_a_person_has_their_episodes_newest_first(catalogue):
    person = await catalogue.person("zoe harlan miyata", guild_id=None)
    assert person is not None and person.name == "Zoë Harlan-Miyata"
    assert numbers(person.episodes) == [29, 21, 12]
    assert person.roles == ("guest",)


async def test_a_misspelt_person_is_still_found_and_a_stranger_is_not(catalogue):
    person = await catalogue.person("Bartholemew Ndiay", guild_id=None)
    assert person is not None and numbers(person.episodes) == [30, 18, 5]
    assert await catalogue.person("Nobody Whatsoever", guild_id=None) is None


async def test_latest_is_newest_first_with_trailer_and_bonus_marked(catalogue):
    latest = await catalogue.latest(guild_id=None, count=3)
    assert numbers(latest) == [30, 29, 28]
    everything = await catalogue.latest(guild_id=None, count=40)
    kinds = {e.episode_type for e in everything}
    assert kinds == {"full", "trailer", "bonus"}
    assert everything[-1].episode_type == "trailer"  # the oldest item


async def test_episode_detail_and_chapters(catalogue):
    episode = (await catalogue.resolve_episode("12", guild_id=None)).episode
    detail = await catalogue.episode_detail(episode.id, guild_id=None)
    assert detail.chapter_count == 9 and detail.has_transcript
    assert [(p.name, p.role) for p in detail.persons] == [("Zoë Harlan-Miyata", "guest")]
    assert "neural tangent kernel" in detail.notes_text
    chapters = await catalogue.chapters(episode.id)
    assert [c.start for c in chapters[:4]] == [0.0, 62.5, 414.0, 1021.25]
    assert chapters[3].title == "The infinite-width limit"
    assert await catalogue.episode_detail(10_000, guild_id=None) is None


# ---------------------------------------------------------------------- /when


async def test_when_lists_chapter_moments_before_episode_level_ones(catalogue):
    moments = await catalogue.when("learning rates", guild_id=None)
    kinds = [m.kind for m in moments]
    chapters = [m for m in moments if m.kind == "chapter"]
    assert {m.episode.number for m in chapters} == LEARNING_RATE_CHAPTERS
    assert kinds.index("episode") > max(i for i, k in enumerate(kinds) if k == "chapter")
    assert all(m.start is None for m in moments if m.kind == "episode")
    episode_5 = next(m for m in chapters if m.episode.number == 5)
    assert episode_5.start == 2945.0
    assert plain(episode_5.text) == "Learning rate schedules distort the fits"
    assert f"{HIGHLIGHT_START}Learning rate{HIGHLIGHT_END}" in episode_5.text


async def test_when_finds_a_timestamp_in_the_prose_of_the_notes(catalogue):
    moments = await catalogue.when("stickers on a road sign", guild_id=None)
    assert moments[0].kind == "notes"
    assert (moments[0].episode.number, moments[0].start) == (11, 750.0)
    assert plain(moments[0].text).startswith("At 12:30 in, she explains")


async def test_when_finds_a_soundbite(catalogue):
    moments = await catalogue.when("tangent kernel in one breath", guild_id=None)
    assert (moments[0].kind, moments[0].episode.number, moments[0].start) == (
        "soundbite",
        12,
        1335.0,
    )


async def test_when_within_one_episode_only_looks_there(catalogue):
    episode = (await catalogue.resolve_episode("3", guild_id=None)).episode
    moments = await catalogue.when("warmup", guild_id=None, episode_id=episode.id)
    assert moments and {m.episode.number for m in moments} == {3}
    assert moments[0].start == 1175.0  # "Warmup: what it actually does"


async def test_when_prefers_the_phrase_and_says_how_it_matched(catalogue):
    moments = await catalogue.when("edge of stability", guild_id=None)
    assert moments[0].match == "phrase"
    # No passage holds all the words: partial matches holding most of them, labelled.
    loose = await catalogue.when("edge of stability sparsity", guild_id=None)
    assert loose and all(m.match == "any" for m in loose)
    # One word of two is not the topic: nothing found (issue 12).
    assert await catalogue.when("stability sparsity", guild_id=None) == []


async def test_when_collapses_moments_of_one_episode_in_the_same_minute(small):
    moments = await small.when("warmup", guild_id=None)
    timed = [m for m in moments if m.start is not None]
    assert [(m.kind, m.start) for m in timed] == [("chapter", 720.0)]


async def test_when_respects_the_limit(catalogue):
    assert len(await catalogue.when("the", guild_id=None, limit=3)) == 3


# ---------------------------------------------------------------------- /search


async def test_search_ranks_a_title_match_first(catalogue):
    hits = await catalogue.search("dropout", guild_id=None)
    assert hits[0].episode.number == 4


async def test_search_snippets_are_highlighted(catalogue):
    hits = await catalogue.search("learning rate", guild_id=None, limit=10)
    assert len(hits) == 10
    assert all(HIGHLIGHT_START in h.snippet and HIGHLIGHT_END in h.snippet for h in hits)
    assert {14, 3} <= {h.episode.number for h in hits[:4]}  # "Learning Rate(s)" in the title


async def test_search_shows_a_chapter_when_only_a_chapter_matched(catalogue):
    hits = {h.episode.number: h for h in await catalogue.search("synapses", guild_id=None)}
    assert plain(hits[10].snippet) == "Do synapses have learning rates?"
    assert hits[10].start == 3620.0
    assert plain(hits[24].snippet) == "Protecting the synapses that matter"


async def test_stemming_finds_other_forms_of_a_word(catalogue):
    singular = {h.episode.id for h in await catalogue.search("learning rate", guild_id=None)}
    plural = {h.episode.id for h in await catalogue.search("learning rates", guild_id=None)}
    assert singular == plural


# ---------------------------------------------------------------------- hostile input

HOSTILE = [
    "",
    "   ",
    '"',
    '"unbalanced',
    'learning rate"',
    "AND(",
    "AND OR NOT",
    "NEAR(warmup adam, 2)",
    "NEAR",
    "*",
    "warm*",
    "^warmup",
    "-warmup",
    "title: warmup",
    "{title notes_text}: warmup",
    "notes_text:adam",
    "😀🎙️🔥",
    "warmup 😀",
    "!!!???",
    "the and of to",
    "a" * 500,
    "learning rate " * 40,
    "\x00\x02\x03",
    "<@&123> @everyone",
    "rowid = 1; DROP TABLE episodes; --",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
async def test_hostile_text_never_raises(catalogue, text):
    moments = await catalogue.when(text, guild_id=None)
    assert isinstance(moments, list) and all(isinstance(m, Moment) for m in moments)
    assert isinstance(await catalogue.search(text, guild_id=None), list)
    assert len(await catalogue.complete_episode(text, guild_id=None)) <= 25
    assert len(await catalogue.complete_person(text, guild_id=None)) <= 25
    resolution = await catalogue.resolve_episode(text, guild_id=None)
    assert len(resolution.closest) <= 5
    await catalogue.person(text, guild_id=None)


async def test_fts_syntax_is_read_as_words(catalogue):
    hits = await catalogue.search('"warmup" AND(', guild_id=None)
    assert hits and all("warmup" in plain(h.snippet).casefold() for h in hits[:3])


# ---------------------------------------------------------------------- guild scope


@pytest.fixture
async def scoped(example_file, small_show_file, tmp_path):
    """The example feed global; the small show followed by guild 1 only."""
    path = copy_store(example_file, tmp_path)
    small_url = sqlite3.connect(small_show_file).execute("SELECT url FROM feeds").fetchone()[0]
    await import_feeds(path, Path(small_url))
    db = sqlite3.connect(path)
    feed_id = db.execute("SELECT id FROM feeds WHERE url = ?", (small_url,)).fetchone()[0]
    db.execute("UPDATE feeds SET is_global = 0 WHERE id = ?", (feed_id,))
    db.execute("INSERT INTO guild_feeds (guild_id, feed_id, added_at) VALUES (1, ?, 0)", (feed_id,))
    db.commit()
    db.close()
    async with await Store.open(path) as store:
        yield Catalogue(store)


async def test_a_guilds_own_feed_is_invisible_elsewhere(scoped):
    for guild in (None, 2):
        assert not await scoped.search("pilot", guild_id=guild)
        assert not [
            m
            for m in await scoped.when("warmup in practice", guild_id=guild)
            if m.episode.feed_title == "Small Show"
        ]
        assert not await scoped.complete_person("arora", guild_id=guild)
        assert await scoped.person("Sanjeev Arora", guild_id=guild) is None
        latest = await scoped.latest(guild_id=guild, count=50)
        assert "Small Show" not in {e.feed_title for e in latest}
        assert (await scoped.resolve_episode("S2E1", guild_id=guild)).episode is None
    assert {h.episode.title for h in await scoped.search("pilot", guild_id=1)} == {
        "Pilot",
        "Pilot, again",
    }
    assert (await scoped.person("Sanjeev Arora", guild_id=1)) is not None
    value = (await scoped.complete_episode("pilot again", guild_id=1))[0].value
    assert (await scoped.resolve_episode(value, guild_id=1)).episode is not None
    assert (await scoped.resolve_episode(value, guild_id=2)).episode is None


async def test_with_several_feeds_in_scope_choices_name_the_show(scoped):
    names = [s.name for s in await scoped.complete_episode("pilot", guild_id=1)]
    assert names and all(name.endswith("— Small Show") for name in names)


def test_hosts_are_known(example_file):
    db = sqlite3.connect(example_file)
    hosts = {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT p.name FROM episode_persons ep JOIN persons p ON p.id = ep.person_id "
            "WHERE ep.role = 'host'"
        )
    }
    assert hosts == set(HOSTS)
