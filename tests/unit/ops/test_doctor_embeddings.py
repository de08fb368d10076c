"""`episode-bot doctor` on /when's meaning layer: off, or its model and how far the bot's
background job has come (vectors written through the real store, read beside it)."""

from __future__ import annotations

import time

import pytest

from bot.app.settings import Settings
from bot.ops.doctor import Report, check_embeddings
from bot.store import Store
from bot.store.embedding_rows import SOURCE_CHAPTER
from bot.store.lease_rows import EMBEDDER_LEASE
from tests.support.catalogues import import_feeds
from tests.support.paths import EXAMPLES


@pytest.fixture
async def db(tmp_path):
    path = tmp_path / "store.db"
    await import_feeds(path, EXAMPLES / "feed.xml")
    return path


async def embed_two_chapters(db, model: str) -> None:
    async with await Store.open(db) as store:
        await store.use_embedding_model(model)
        rows = await store.fetchall("SELECT id, episode_id FROM chapters LIMIT 2")
        vectors = [(SOURCE_CHAPTER, r[0], r[1], bytes(8)) for r in rows]
        assert await store.save_embeddings(vectors) == 2


async def embeddings_line(db, settings: Settings):
    report = Report()
    await check_embeddings(report, settings, db)
    (check,) = report.checks
    return check


async def test_without_a_model_the_layer_is_said_to_be_off(db):
    check = await embeddings_line(db, Settings())
    assert check.status == "skip" and "words only" in check.detail


async def test_with_a_model_it_says_how_many_passages_are_embedded(db):
    await embed_two_chapters(db, "tiny-model")
    check = await embeddings_line(db, Settings(embedding_model="tiny-model"))
    assert check.status == "ok"
    assert check.detail.startswith("EMBEDDING_MODEL tiny-model: 2 of ")
    assert check.facts["vectors"] == 2 and check.facts["rows"] > 2


async def test_vectors_of_another_model_are_said_to_be_made_again(db):
    await embed_two_chapters(db, "old-model")
    check = await embeddings_line(db, Settings(embedding_model="new-model"))
    assert "are of old-model" in check.detail and "makes them all again" in check.detail


async def test_the_process_embedding_now_is_named(db):
    await embed_two_chapters(db, "tiny-model")
    async with await Store.open(db) as store:
        assert await store.try_acquire(EMBEDDER_LEASE, "host-b:77:5e6f", int(time.time()), 30)
    check = await embeddings_line(db, Settings(embedding_model="tiny-model"))
    assert check.detail.endswith("; embedding now: host-b:77:5e6f")
    async with await Store.open(db) as store:
        await store.release(EMBEDDER_LEASE, "host-b:77:5e6f")
    check = await embeddings_line(db, Settings(embedding_model="tiny-model"))
    assert "embedding now" not in check.detail
