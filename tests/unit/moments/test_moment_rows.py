"""The store's moment rows: saves counted once, counts kept by triggers, threads one per
episode per server, and what a moment card reads at a second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.support.catalogues import copy_store, example_store_file

GUILD = 1


@pytest.fixture(scope="module")
def example_db(tmp_path_factory) -> Path:
    return example_store_file(tmp_path_factory.mktemp("rows"))


@pytest.fixture
async def store(example_db: Path, tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(copy_store(example_db, tmp_path))
    yield opened
    await opened.close()


async def number(store: Store, n: int) -> int:
    (row,) = await store.fetchall("SELECT id FROM episodes WHERE number = ?", (n,))
    return int(row["id"])


async def test_saving_the_same_moment_twice_keeps_one_row_and_one_count(store):
    ep = await number(store, 12)
    assert await store.save_moment(GUILD, 7, ep, 60, "first") is True
    assert await store.save_moment(GUILD, 7, ep, 60, "again") is False
    (saved,) = await store.saved_moments(GUILD, 7)
    assert (saved.seconds, saved.note) == (60, "first")
    assert [(t.seconds, t.saves) for t in await store.top_moments(GUILD)] == [(60, 1)]


async def test_counts_follow_saves_and_removals_per_server(store):
    ep = await number(store, 12)
    for user in (1, 2, 3):
        await store.save_moment(GUILD, user, ep, 60, None)
    await store.save_moment(GUILD, 1, ep, 120, None)
    await store.save_moment(2, 1, ep, 120, None)  # another server
    assert [(t.seconds, t.saves) for t in await store.top_moments(GUILD)] == [(60, 3), (120, 1)]
    assert await store.remove_saved_moment(GUILD, 1, ep, 120) is True
    assert await store.remove_saved_moment(GUILD, 1, ep, 120) is False
    assert [(t.seconds, t.saves) for t in await store.top_moments(GUILD)] == [(60, 3)]
    assert [(t.seconds, t.saves) for t in await store.top_moments(2)] == [(120, 1)]
    other = await number(store, 11)
    assert await store.top_moments(GUILD, episode_id=other) == []


async def test_an_episode_that_goes_takes_its_saves_and_counts_with_it(store):
    ep = await number(store, 12)
    await store.save_moment(GUILD, 1, ep, 60, None)
    async with store.transaction() as db:
        await db.execute("DELETE FROM episodes WHERE id = ?", (ep,))
    assert await store.saved_moments(GUILD, 1) == []
    assert await store.top_moments(GUILD) == []


async def test_one_thread_per_episode_per_server_the_first_wins_unless_replaced(store):
    ep = await number(store, 12)
    assert await store.register_discussion_thread(GUILD, ep, 100) == 100
    assert await store.register_discussion_thread(GUILD, ep, 200) == 100
    assert await store.discussion_thread(GUILD, ep) == 100
    assert await store.register_discussion_thread(GUILD, ep, 300, replace=True) == 300
    assert await store.episode_of_thread(GUILD, 300) == ep
    assert await store.episode_of_thread(GUILD, 100) is None
    assert await store.episode_of_thread(2, 300) is None  # another server's thread id


async def test_the_moment_context_has_the_chapter_and_the_notes_sentence(store):
    ep = await number(store, 11)
    context = await store.moment_context(ep, 750)
    assert context.passage is None
    assert context.notes_sentence is not None and context.notes_sentence.startswith("At 12:30")
    ep12 = await number(store, 12)
    chapter = (await store.moment_context(ep12, 1030)).chapter
    assert chapter is not None and chapter.title == "The infinite-width limit"
    assert (await store.moment_context(ep12, 0)).chapter.title == "Cold open"
