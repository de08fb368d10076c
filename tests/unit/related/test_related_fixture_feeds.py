"""Related over real feeds, as a fan would check them: Coding Blocks, Catalyst and Titans
of Nuclear imported into one store (../shared/fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models.episode_views import RelatedEpisode
from bot.search.catalogue import Catalogue
from bot.store import Store
from tests.support.catalogues import store_file
from tests.support.paths import fixture_feed


@pytest.fixture(scope="module")
def three_shows(tmp_path_factory) -> Path:
    feeds = [fixture_feed(name) for name in ("coding-blocks", "catalyst", "titans-of-nuclear")]
    return store_file(tmp_path_factory.mktemp("three") / "three.db", *feeds)


async def related_to(path: Path, title: str) -> tuple[int, list[RelatedEpisode]]:
    async with await Store.open(path) as store:
        catalogue = Catalogue(store)
        episode = (await catalogue.resolve_episode(title, guild_id=None)).episode
        assert episode is not None and episode.title == title
        return episode.feed_id, await catalogue.related(episode.id, guild_id=None)


async def test_a_book_series_lists_its_other_parts(three_shows):
    # Coding Blocks reads "Clean Architecture" a chapter an episode: "Clean Architecture -
    # Fight for Architecture", "… - Keeping Your Options Open", "… - Programming Paradigms"
    _, related = await related_to(three_shows, "Clean Architecture - Fight for Architecture")
    parts = [r for r in related if r.episode.title.startswith("Clean Architecture - ")]
    assert len(parts) >= 3
    assert all(r.shared_terms[0].casefold() == "clean architecture" for r in parts)


async def test_episodes_with_the_same_technology_in_the_title_are_listed(three_shows):
    # Catalyst has eleven titles with "data center(s)": "The rise of flexible data centers",
    # "When to colocate data centers with generation", "The potential for flexible data
    # centers", …
    feed_id, related = await related_to(three_shows, "The mechanics of data center flexibility")
    own = [r for r in related if r.episode.feed_id == feed_id]
    assert sum("data center" in r.episode.title.casefold() for r in own) >= 3


async def test_another_show_only_for_a_named_subject_or_a_full_name_guest(three_shows):
    # Titans of Nuclear's "Nuclear Nexus: Data Centers, Episode 1–4" shares the subject
    # with Catalyst's data center episodes; nothing else is reason to leave a show. (What
    # is stored: /related shows another show's after its own show's.)
    async with await Store.open(three_shows) as store:
        ids = [r["id"] for r in await store.fetchall("SELECT id FROM episodes")]
        crossing = []
        for episode_id in ids:
            own = (await store.episode_summaries([episode_id]))[episode_id]
            for item in await store.related_episodes(episode_id, None, 10):
                if item.episode.feed_id != own.feed_id:
                    crossing.append(item)
    assert crossing  # data centers: Catalyst <-> Titans of Nuclear
    for item in crossing:
        full_names = [name for name in item.shared_people if " " in name]
        assert full_names or " " in item.shared_terms[0], item
    assert any("data center" in item.shared_terms[0].casefold() for item in crossing)


async def test_no_reason_is_a_bare_first_name_of_someone_in_the_catalogue(three_shows):
    async with await Store.open(three_shows) as store:
        catalogue = Catalogue(store)
        people = await store.fetchall("SELECT name FROM persons")
        first_names = {row[0].split()[0].casefold() for row in people if " " in row[0]}
        ids = [r["id"] for r in await store.fetchall("SELECT id FROM episodes")]
        shown = set()
        for episode_id in ids:
            for item in await catalogue.related(episode_id, guild_id=None):
                shown.update(term for term in item.shared_terms if " " not in term)
    capitalised_first_names = {t for t in shown if t[:1].isupper() and t.casefold() in first_names}
    assert not capitalised_first_names
