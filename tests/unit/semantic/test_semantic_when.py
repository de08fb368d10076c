"""/when with the meaning layer on, over a real store and the tests' own tiny model."""

from __future__ import annotations

import asyncio
import logging

from bot.search.catalogue import Catalogue
from bot.semantic.embedder import Embedder
from bot.semantic.semantic_layer import SemanticLayer
from bot.store import Store
from tests.unit.semantic.conftest import TRANSCRIPT, add_transcript, tiny_model


async def layer_over(store: Store, model) -> SemanticLayer:
    layer = SemanticLayer.with_embedder(store, Embedder.load(str(model)))
    assert layer.backlog is not None
    await layer.backlog.run_pass(thorough=True)
    return layer


async def test_a_paraphrase_that_shares_no_word_finds_the_moment(show, model):
    async with await Store.open(show) as store:
        layer = await layer_over(store, model)
        words_only = await Catalogue(store).when("wobbly bridge london", guild_id=None)
        moments = await Catalogue(store, fusion=layer).when("wobbly bridge london", guild_id=None)
        await layer.close()
    assert words_only == []
    first = moments[0]
    assert (first.start, first.kind, first.speaker) == (120.0, "transcript", "Ann")
    assert first.text == "The footbridge kept swaying over the Thames."
    assert first.match == "meaning"


async def test_a_topic_nobody_talked_about_finds_nothing(show, model):
    async with await Store.open(show) as store:
        layer = await layer_over(store, model)
        moments = await Catalogue(store, fusion=layer).when("guitar chords", guild_id=None)
        await layer.close()
    assert moments == []


async def test_a_sponsor_read_is_not_found_by_meaning_either(show, model):
    async with await Store.open(show) as store:
        layer = await layer_over(store, model)
        near = await layer.search.nearest(  # type: ignore[union-attr]
            "cheese pizza dough", guild_id=None, episode_id=None, count=5
        )
        moments = await Catalogue(store, fusion=layer).when("cheese pizza dough", guild_id=None)
        await layer.close()
    assert near == [] and moments == []


async def test_words_and_meaning_agreeing_put_that_moment_first(show, model):
    async with await Store.open(show) as store:
        layer = await layer_over(store, model)
        moments = await Catalogue(store, fusion=layer).when("swaying footbridge", guild_id=None)
        await layer.close()
    assert moments[0].start == 120.0
    assert moments[0].match in ("phrase", "all")  # the words matched: their tier stays


async def test_within_one_episode_only_its_moments_are_found(show, model, tmp_path):
    async with await Store.open(show) as store:
        episode_id = (await store.fetchall("SELECT id FROM episodes"))[0]["id"]
        layer = await layer_over(store, model)
        catalogue = Catalogue(store, fusion=layer)
        inside = await catalogue.when("bleached reef", guild_id=None, episode_id=episode_id)
        elsewhere = await catalogue.when("bleached reef", guild_id=None, episode_id=episode_id + 1)
        await layer.close()
    assert inside and inside[0].start == 900.0
    assert elsewhere == []


async def test_the_backlog_embeds_only_what_is_new_and_carries_on_after_a_reopen(show, model):
    async with await Store.open(show) as store:
        layer = await layer_over(store, model)
        assert layer.backlog is not None
        assert await layer.backlog.run_pass() == 0  # nothing new
        episode_id = (await store.fetchall("SELECT id FROM episodes"))[0]["id"]
        more = [*TRANSCRIPT, TRANSCRIPT[0].__class__("A guitar chord song.", 2000.0, 2010.0, "Bo")]
        await add_transcript(store, episode_id, more, url="t2.vtt")  # the transcript changed
        assert await layer.backlog.run_pass() == len(more)
        await layer.close()
    async with await Store.open(show) as store:
        stored, total = await store.embedding_totals()
        layer = await layer_over(store, model)  # a restart: nothing left to do
        assert layer.backlog is not None
        assert await layer.backlog.run_pass(thorough=True) == 0
        moments = await Catalogue(store, fusion=layer).when("song chords", guild_id=None)
        await layer.close()
    assert stored == total
    assert moments[0].start == 2000.0


async def test_a_new_model_embeds_everything_again(show, model, tmp_path):
    other = tiny_model(tmp_path / "other-model", shift=0.3)
    async with await Store.open(show) as store:
        await (await layer_over(store, model)).close()  # a restart with another model
        first_ids = {row[0] for row in await store.fetchall("SELECT id FROM embeddings")}
        layer = SemanticLayer.with_embedder(store, Embedder.load(str(other)))
        assert layer.backlog is not None
        again = await layer.backlog.run_pass()
        stored, total = await store.embedding_totals()
        ids = {row[0] for row in await store.fetchall("SELECT id FROM embeddings")}
        assert await store.embedding_model() == f"{other}|16|neighbours=1.0"
        await layer.close()
    assert again == total == stored
    assert not ids & first_ids


async def test_vectors_go_with_the_passages_they_embed(show, model):
    async with await Store.open(show) as store:
        await (await layer_over(store, model)).close()
        episode_id = (await store.fetchall("SELECT id FROM episodes"))[0]["id"]
        await add_transcript(store, episode_id, TRANSCRIPT[:2], url="short.vtt")
        left = await store.fetchall("SELECT source_id FROM embeddings WHERE source = 1")
        others = await store.fetchall("SELECT count(*) FROM embeddings")
    assert left == []  # the old passages went, and their vectors with them
    assert others[0][0] > 0  # the chapters and notes keep theirs


async def test_a_model_that_cannot_be_loaded_leaves_when_searching_words(show, tmp_path, caplog):
    async with await Store.open(show) as store:
        layer = SemanticLayer(store, str(tmp_path / "no-such-model"))
        with caplog.at_level(logging.WARNING):
            started = await layer.start()
            moments = await Catalogue(store, fusion=layer).when("footbridge", guild_id=None)
        await layer.close()
    assert started is False
    assert moments and moments[0].start == 120.0  # the lexical answer, unchanged
    lines = [r.getMessage() for r in caplog.records if "EMBEDDING_MODEL" in r.getMessage()]
    assert len(lines) == 1 and "no-such-model" in lines[0]


async def test_the_bots_layer_loads_the_model_and_embeds_in_the_background(show, model):
    async with await Store.open(show) as store:
        layer = SemanticLayer(store, str(model))  # as Services.build makes it
        assert await layer.start()
        for _ in range(600):  # the backlog's first pass, in its own task (up to 30 s under load)
            stored, total = await store.embedding_totals()
            if stored == total:
                break
            await asyncio.sleep(0.05)
        moments = await Catalogue(store, fusion=layer).when("wobbly bridge london", guild_id=None)
        await layer.close()
        holder = await store.lease_holder("embedder")
    assert stored == total
    assert moments[0].start == 120.0
    assert holder is None  # released on close: a restart need not wait for it
